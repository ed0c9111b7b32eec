package dag

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The keys build.yml accepts at each level.
var (
	topKeys     = []string{"build"}
	buildKeys   = []string{"version", "work_dir", "steps"}
	stepKeys    = []string{"name", "dockerfile", "context", "args", "target", "artifacts", "cleanup", "depends_on", "command", "after_build_command", "no_cache", "secrets", "tests", "publish", "platforms"}
	cleanupKeys = []string{"commands"}
	secretKeys  = []string{"type", "value"}
)

// topWhat names the file's top-level map in messages.
var topWhat = named("the file")

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
	name       ref // pos is the value's, for messages about the name itself
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
	for _, p := range d.mapping(top, topWhat, topKeys, nil) {
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
	for _, p := range d.mapping(at, named("build"), buildKeys, nil) {
		switch p.key.Value {
		case "version":
			haveVersion = true
			rb.version, _ = d.str(p.val, named("build.version"))
			if !slices.Contains(SupportedVersions, rb.version) {
				d.errorf(p.val, "unsupported build.version %q; use one of %s", rb.version, strings.Join(SupportedVersions, ", "))
			}
		case "work_dir":
			rb.workDir, _ = d.str(p.val, named("build.work_dir"))
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
	pairs := d.mapping(m, named("build.steps"), nil, nil)
	steps := make([]*rawStep, 0, len(pairs))
	for _, p := range pairs {
		if err := ValidLabel(p.key.Value); err != nil {
			d.errorf(p.key, "%s", labelError(p.key.Value, err))
			continue // depends_on naming it finds no such step
		}
		rs := &rawStep{step: &Step{}}
		d.decodeStep(rs, p.key, p.val)
		steps = append(steps, rs)
	}
	return steps
}

// decodeStep decodes steps.<label> into rs.
func (d *decoder) decodeStep(rs *rawStep, key, n *yaml.Node) {
	label := key.Value
	w := stepWhat(label)
	var buf [16]pair
	pairs := d.mapping(n, w, stepKeys, buf[:0])
	s := rs.step
	*s = Step{Label: label, Pos: d.pos(key), Keys: make(map[string]Pos, keyCount(pairs))}
	for _, p := range pairs {
		k := p.key.Value
		at := d.pos(p.key)
		s.Keys[k] = at
		d.decodeStepKey(rs, k, at, p.val, w.dot(k))
	}
	if rs.publishSet && s.Publish && s.Name == "" {
		d.warns = append(d.warns, &Error{Pos: s.Keys["publish"], Msg: fmt.Sprintf(
			"step %s has publish: true but no name:, so there is nothing to publish; add a name", label)})
	}
	s.Publish = s.Name != "" && (!rs.publishSet || s.Publish)
}

// keyCount estimates how many Keys entries a step's pairs make, so the
// map is allocated once at the right size.
func keyCount(pairs []pair) int {
	n := len(pairs)
	for _, p := range pairs {
		v := p.val
		switch p.key.Value {
		case "depends_on", "artifacts", "tests", "args":
			if v.Kind == yaml.SequenceNode {
				n += len(v.Content)
			} else if v.Kind == yaml.MappingNode {
				n += len(v.Content) / 2
			}
		case "cleanup", "secrets":
			if v.Kind == yaml.MappingNode {
				for i := 1; i < len(v.Content); i += 2 {
					n += 1 + len(v.Content[i].Content)
				}
			}
		}
	}
	return n
}

// decodeStepKey decodes one key of a step, written at at.
func (d *decoder) decodeStepKey(rs *rawStep, k string, at Pos, v *yaml.Node, w what) {
	s := rs.step
	switch k {
	case "name":
		s.Name, _ = d.str(v, w)
		rs.name = ref{value: s.Name, pos: d.pos(v)}
	case "dockerfile":
		rs.dockerfile = ref{pos: at}
		rs.dockerfile.value, _ = d.str(v, w)
	case "context":
		rs.context = ref{pos: at}
		rs.context.value, _ = d.str(v, w)
	case "target":
		s.Target, _ = d.str(v, w)
	case "command":
		s.Command, _ = d.str(v, w)
	case "after_build_command":
		s.AfterBuildCommand, _ = d.str(v, w)
	case "no_cache":
		s.NoCache, _ = d.boolean(v, w)
	case "publish":
		s.Publish, rs.publishSet = d.boolean(v, w)
	case "args":
		s.Args = d.decodeArgs(s, v, w)
	case "depends_on":
		rs.dependsOn = d.refs(s, dependsOnKeys, v, w)
	case "artifacts":
		rs.artifacts = d.refs(s, artifactsKeys, v, w)
	case "tests":
		s.Tests = values(d.refs(s, testsKeys, v, w))
	case "cleanup":
		var buf [2]pair
		for _, p := range d.mapping(v, w, cleanupKeys, buf[:0]) {
			s.Keys["cleanup.commands"] = d.pos(p.key)
			s.Cleanup = values(d.refs(s, cleanupKeys0, p.val, w.dot("commands")))
		}
	case "secrets":
		s.Secrets = d.decodeSecrets(s, v, w)
	case "platforms":
		s.Platforms = d.decodePlatforms(s, v, v, w)
	}
}

// indexedKeys are the Keys names of a list's items: "depends_on[0]", ...
// The first few are made once; refs makes the rest.
type indexedKeys struct {
	key   string
	names []string
}

func newIndexedKeys(key string) *indexedKeys {
	x := &indexedKeys{key: key, names: make([]string, 32)}
	for i := range x.names {
		x.names[i] = key + "[" + strconv.Itoa(i) + "]"
	}
	return x
}

func (x *indexedKeys) name(i int) string {
	if i < len(x.names) {
		return x.names[i]
	}
	return x.key + "[" + strconv.Itoa(i) + "]"
}

var (
	dependsOnKeys = newIndexedKeys("depends_on")
	artifactsKeys = newIndexedKeys("artifacts")
	testsKeys     = newIndexedKeys("tests")
	cleanupKeys0  = newIndexedKeys("cleanup.commands")
)

// refs decodes a list of strings, recording "key[i]" positions.
func (d *decoder) refs(s *Step, keys *indexedKeys, n *yaml.Node, w what) []ref {
	var refs []ref
	d.list(n, w, func(i int, item *yaml.Node) {
		p := d.pos(item)
		s.Keys[keys.name(i)] = p
		refs = append(refs, ref{value: item.Value, pos: p})
	})
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
func (d *decoder) decodeArgs(s *Step, n *yaml.Node, w what) map[string]string {
	var buf [8]pair
	pairs := d.mapping(n, w, nil, buf[:0])
	args := make(map[string]string, len(pairs))
	for _, p := range pairs {
		s.Keys["args."+p.key.Value] = d.pos(p.key)
		args[p.key.Value], _ = d.str(p.val, w.dot(p.key.Value))
	}
	return args
}

// decodeSecrets decodes secrets: <id>: {type, value}.
func (d *decoder) decodeSecrets(s *Step, n *yaml.Node, sw what) []Secret {
	var secrets []Secret
	for _, p := range d.mapping(n, sw, nil, nil) {
		id := p.key.Value
		sec := Secret{ID: id, Pos: d.pos(p.key)}
		s.Keys["secrets."+id] = sec.Pos
		w := sw.dot(id)
		m := d.resolve(p.val)
		if m == nil {
			continue
		}
		if isNull(m) {
			d.errorf(p.key, "%s needs type: file or env, and value", w)
			continue
		}
		var haveType, haveValue bool
		for _, q := range d.mapping(m, w, secretKeys, nil) {
			s.Keys["secrets."+id+"."+q.key.Value] = d.pos(q.key)
			switch q.key.Value {
			case "type":
				haveType = true
				t, _ := d.str(q.val, w.dot("type"))
				sec.Type = SecretType(t)
				if sec.Type != SecretFile && sec.Type != SecretEnv {
					d.errorf(q.val, "%s.type is %q; use file or env", w, t)
				}
			case "value":
				haveValue = true
				sec.Value, _ = d.str(q.val, w.dot("value"))
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
