package dag

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The keys build.yml accepts at each level.
var (
	topKeys     = []string{"build"}
	buildKeys   = []string{"version", "work_dir", "steps"}
	stepKeys    = []string{"name", "dockerfile", "context", "args", "target", "artifacts", "cleanup", "depends_on", "command", "after_build_command", "no_cache", "secrets", "tests", "publish"}
	cleanupKeys = []string{"commands"}
	secretKeys  = []string{"type", "value"}
)

// rawBuild is a decoded build file before validation against the disk.
type rawBuild struct {
	version     string
	workDir     string
	workDirNode *yaml.Node
	steps       []*rawStep
}

// rawStep is a decoded step plus what validation needs of its source.
type rawStep struct {
	step       *Step
	dockerfile ref // as written; value "" when absent
	context    ref
	dependsOn  []ref
	artifacts  []ref
	publishSet bool
}

// ref is a string value and where it is written.
type ref struct {
	value string
	pos   Pos
}

// decodeFile decodes the document node of a build file.
func (d *decoder) decodeFile(doc *yaml.Node) *rawBuild {
	if doc == nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		d.errs = append(d.errs, &Error{Pos: Pos{File: d.file, Line: 1, Col: 1},
			Msg: "the file is empty; it needs a build: map with version and steps"})
		return nil
	}
	top := d.resolve(doc.Content[0])
	if isNull(top) {
		d.errs = append(d.errs, &Error{Pos: Pos{File: d.file, Line: 1, Col: 1},
			Msg: "the file holds no data; it needs a build: map with version and steps"})
		return nil
	}
	if top.Kind != yaml.MappingNode {
		if top != nil {
			d.errorf(top, "the file must be a map with a build: key, not %s", kindName(top))
		}
		return nil
	}
	var build *yaml.Node
	for _, p := range d.mapping(top, "the file", topKeys) {
		build = p.val
	}
	if build == nil {
		d.errorf(top, "missing build: key; the file needs build: with version and steps")
		return nil
	}
	return d.decodeBuild(top, build)
}

// decodeBuild decodes build: (at key node parent for missing keys).
func (d *decoder) decodeBuild(top, n *yaml.Node) *rawBuild {
	rb := &rawBuild{}
	at := d.resolve(n)
	if at == nil {
		return nil
	}
	if isNull(at) {
		d.errorf(top.Content[0], "build: is empty; it needs version and steps")
		return nil
	}
	var haveVersion, haveSteps bool
	for _, p := range d.mapping(at, "build", buildKeys) {
		switch p.key.Value {
		case "version":
			haveVersion = true
			rb.version, _ = d.str(p.val, "build.version")
			if !contains(SupportedVersions, rb.version) {
				d.errorf(p.val, "unsupported build.version %q; use one of %s", rb.version, strings.Join(SupportedVersions, ", "))
			}
		case "work_dir":
			rb.workDir, _ = d.str(p.val, "build.work_dir")
			rb.workDirNode = p.key
		case "steps":
			haveSteps = true
			rb.steps = d.decodeSteps(p.key, p.val)
		}
	}
	if at.Kind == yaml.MappingNode && !haveVersion {
		d.errorf(top.Content[0], "build.version is missing; add version: %s", SupportedVersions[len(SupportedVersions)-1])
	}
	if at.Kind == yaml.MappingNode && !haveSteps {
		d.errorf(top.Content[0], "build.steps is missing; add at least one step")
	}
	return rb
}

func (d *decoder) decodeSteps(key, n *yaml.Node) []*rawStep {
	m := d.resolve(n)
	if m == nil {
		return nil
	}
	if isNull(m) || (m.Kind == yaml.MappingNode && len(m.Content) == 0) {
		d.errorf(key, "build.steps is empty; add at least one step")
		return nil
	}
	pairs := d.mapping(m, "build.steps", nil)
	steps := make([]*rawStep, 0, len(pairs))
	for _, p := range pairs {
		if p.key.Value == "" {
			d.errorf(p.key, "a step label is empty; name the step")
			continue
		}
		steps = append(steps, d.decodeStep(p.key, p.val))
	}
	return steps
}

// decodeStep decodes steps.<label>.
func (d *decoder) decodeStep(key, n *yaml.Node) *rawStep {
	label := key.Value
	what := "step " + label
	pairs := d.mapping(n, what, stepKeys)
	s := &Step{Label: label, Pos: d.pos(key), Keys: make(map[string]Pos, 2*len(pairs))}
	rs := &rawStep{step: s}
	for _, p := range pairs {
		k := p.key.Value
		s.Keys[k] = d.pos(p.key)
		d.decodeStepKey(rs, k, p.val, what+"."+k)
	}
	if rs.publishSet && s.Publish && s.Name == "" {
		d.warns = append(d.warns, &Error{Pos: s.Keys["publish"], Msg: fmt.Sprintf(
			"step %s has publish: true but no name:, so there is nothing to publish; add a name", label)})
	}
	s.Publish = s.Name != "" && (!rs.publishSet || s.Publish)
	return rs
}

// decodeStepKey decodes one key of a step.
func (d *decoder) decodeStepKey(rs *rawStep, k string, v *yaml.Node, what string) {
	s := rs.step
	switch k {
	case "name":
		s.Name, _ = d.str(v, what)
	case "dockerfile":
		rs.dockerfile = ref{pos: s.Keys[k]}
		rs.dockerfile.value, _ = d.str(v, what)
	case "context":
		rs.context = ref{pos: s.Keys[k]}
		rs.context.value, _ = d.str(v, what)
	case "target":
		s.Target, _ = d.str(v, what)
	case "command":
		s.Command, _ = d.str(v, what)
	case "after_build_command":
		s.AfterBuildCommand, _ = d.str(v, what)
	case "no_cache":
		s.NoCache, _ = d.boolean(v, what)
	case "publish":
		s.Publish, rs.publishSet = d.boolean(v, what)
	case "args":
		s.Args = d.decodeArgs(s, v, what)
	case "depends_on":
		rs.dependsOn = d.refs(s, k, v, what)
	case "artifacts":
		rs.artifacts = d.refs(s, k, v, what)
	case "tests":
		s.Tests = values(d.refs(s, k, v, what))
	case "cleanup":
		for _, p := range d.mapping(v, what, cleanupKeys) {
			s.Keys["cleanup.commands"] = d.pos(p.key)
			s.Cleanup = values(d.refs(s, "cleanup.commands", p.val, what+".commands"))
		}
	case "secrets":
		s.Secrets = d.decodeSecrets(s, v, what)
	}
}

// refs decodes a list of strings, recording "key[i]" positions.
func (d *decoder) refs(s *Step, key string, n *yaml.Node, what string) []ref {
	items := d.list(n, what)
	refs := make([]ref, 0, len(items))
	for i, item := range items {
		p := d.pos(item)
		s.Keys[key+"["+strconv.Itoa(i)+"]"] = p
		refs = append(refs, ref{value: item.Value, pos: p})
	}
	return refs
}

func values(refs []ref) []string {
	if len(refs) == 0 {
		return nil
	}
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.value
	}
	return out
}

// decodeArgs decodes args: a map of strings; null values are "".
func (d *decoder) decodeArgs(s *Step, n *yaml.Node, what string) map[string]string {
	pairs := d.mapping(n, what, nil)
	args := make(map[string]string, len(pairs))
	for _, p := range pairs {
		s.Keys["args."+p.key.Value] = d.pos(p.key)
		args[p.key.Value], _ = d.str(p.val, what+"."+p.key.Value)
	}
	return args
}

// decodeSecrets decodes secrets: <id>: {type, value}.
func (d *decoder) decodeSecrets(s *Step, n *yaml.Node, what string) []Secret {
	var secrets []Secret
	for _, p := range d.mapping(n, what, nil) {
		id := p.key.Value
		sec := Secret{ID: id, Pos: d.pos(p.key)}
		s.Keys["secrets."+id] = sec.Pos
		w := what + "." + id
		m := d.resolve(p.val)
		if m == nil {
			continue
		}
		if isNull(m) {
			d.errorf(p.key, "%s needs type: file or env, and value", w)
			continue
		}
		var haveType, haveValue bool
		for _, q := range d.mapping(m, w, secretKeys) {
			s.Keys["secrets."+id+"."+q.key.Value] = d.pos(q.key)
			switch q.key.Value {
			case "type":
				haveType = true
				t, _ := d.str(q.val, w+".type")
				sec.Type = SecretType(t)
				if sec.Type != SecretFile && sec.Type != SecretEnv {
					d.errorf(q.val, "%s.type is %q; use file or env", w, t)
				}
			case "value":
				haveValue = true
				sec.Value, _ = d.str(q.val, w+".value")
			}
		}
		if !haveType && m.Kind == yaml.MappingNode {
			d.errorf(p.key, "%s needs type: file or env", w)
		}
		if !haveValue && m.Kind == yaml.MappingNode {
			d.errorf(p.key, "%s needs value: a file path or a variable name", w)
		}
		secrets = append(secrets, sec)
	}
	return secrets
}
