package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/boundedio"
)

// ErrSecret marks a secret that cannot be read: a bad input, found before
// anything builds.
var ErrSecret = errors.New("unreadable secret")

// secretStore serves secret values from memory, read once before the build.
type secretStore map[string][]byte

var _ secrets.SecretStore = secretStore(nil)

// GetSecret implements secrets.SecretStore.
func (s secretStore) GetSecret(_ context.Context, id string) ([]byte, error) {
	v, ok := s[id]
	if !ok {
		return nil, fmt.Errorf("secret %q: %w (declare it under the step's secrets: or pass --secret id=%s,src=FILE)", id, secrets.ErrNotFound, id)
	}
	return v, nil
}

// readSecrets reads every secret of the selected steps and of the command
// line, so an unreadable secret fails before anything builds. A --secret
// replaces a step's secret of the same id, whose own source is then not
// read. Step secrets of type env fall back to HABITUS_<value>, as Habitus
// did. Files are read through boundedio: regular files of at most
// boundedio.MaxSecret bytes. Every error wraps ErrSecret.
func readSecrets(steps []*dag.Step, global []SecretSpec, lookup func(string) (string, bool)) (map[string]secretStore, secretStore, error) {
	overridden := map[string]bool{}
	for _, sp := range global {
		overridden[sp.ID] = true
	}
	perStep := map[string]secretStore{}
	for _, s := range steps {
		st := secretStore{}
		for _, sec := range s.Secrets {
			if overridden[sec.ID] {
				continue // --secret with this id replaces it
			}
			v, err := readStepSecret(sec, lookup)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: step %q: %w", ErrSecret, s.Label, err)
			}
			st[sec.ID] = v
		}
		perStep[s.Label] = st
	}
	glob := secretStore{}
	for _, sp := range global {
		var v []byte
		var err error
		switch {
		case sp.Env != "":
			val, ok := lookup(sp.Env)
			if !ok {
				err = fmt.Errorf("--secret id=%s: environment variable %s is not set", sp.ID, sp.Env)
			}
			v = []byte(val)
		default:
			v, err = boundedio.ReadFile(sp.Src, boundedio.MaxSecret)
			if err != nil {
				err = fmt.Errorf("--secret id=%s: %w", sp.ID, err) // err names the file
			}
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrSecret, err)
		}
		glob[sp.ID] = v
	}
	return perStep, glob, nil
}

func readStepSecret(sec dag.Secret, lookup func(string) (string, bool)) ([]byte, error) {
	switch sec.Type {
	case dag.SecretEnv:
		if v, ok := lookup(sec.Value); ok {
			return []byte(v), nil
		}
		if v, ok := lookup("HABITUS_" + sec.Value); ok {
			return []byte(v), nil
		}
		return nil, fmt.Errorf("%s: secret %q: environment variable %s (or HABITUS_%s) is not set", sec.Pos, sec.ID, sec.Value, sec.Value)
	default:
		v, err := boundedio.ReadFile(sec.Value, boundedio.MaxSecret)
		if err != nil {
			return nil, fmt.Errorf("%s: secret %q: %w", sec.Pos, sec.ID, err)
		}
		return v, nil
	}
}

// sessionSecrets merges the secrets a session must serve: those of the step
// and of every step it re-solves, then the command line's, which win.
func sessionSecrets(labels []string, perStep map[string]secretStore, global secretStore) secretStore {
	out := secretStore{}
	for _, l := range labels {
		for k, v := range perStep[l] {
			out[k] = v
		}
	}
	for k, v := range global {
		out[k] = v
	}
	return out
}

func secretAttachable(s secretStore) session.Attachable {
	return secretsprovider.NewSecretProvider(s)
}

// sshAttachable parses --ssh specs: default, ID, or ID=PATH[,PATH].
func sshAttachable(specs []string) (session.Attachable, error) {
	var confs []sshprovider.AgentConfig
	for _, s := range specs {
		id, paths, _ := strings.Cut(s, "=")
		c := sshprovider.AgentConfig{ID: id}
		if paths != "" {
			c.Paths = strings.Split(paths, ",")
		}
		confs = append(confs, c)
	}
	a, err := sshprovider.NewSSHAgentProvider(confs)
	if err != nil {
		return nil, fmt.Errorf("setting up --ssh: %w", err)
	}
	return a, nil
}

// runSecrets are the values of a run's secrets, read once per build.
type runSecrets struct {
	perStep map[string]secretStore // by step label: its build.yml secrets
	global  secretStore            // the command line's (WithSecrets)
}

// readRunSecrets is readSecrets for a run, from the process environment.
func readRunSecrets(steps []*dag.Step, specs []SecretSpec) (runSecrets, error) {
	perStep, global, err := readSecrets(steps, specs, os.LookupEnv)
	return runSecrets{perStep: perStep, global: global}, err
}
