package builder

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/charmbracelet/log"
	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/internal/llbsecret"
)

// A RUN that mounts a secret must never reuse a cache record, or share an
// in-flight run, made with another value of that secret; BuildKit keys the
// op by the secret's ID alone. So each step session rewrites the Dockerfile
// frontend's (still lazy) result before anything evaluates it: every exec op
// that mounts a secret, as a file or as an env var, gets the variable
// WELD_SECRET_HMAC_<n>, an HMAC-SHA256 of the value the session serves (see
// internal/llbsecret), under a key that never leaves the machine unless the
// operator shares it. Its digest and cache key change with the value, and so
// do those of everything built on it; the rewritten definition is what the
// step evaluates, tests, exports, scans and hands to the steps built FROM
// it. Builds with the same value and key keep sharing cache and runs.
//
// BuildKit shares a vertex between every job that loads its digest (the
// solver's actives; with --no-cache under a digest of its own that such
// jobs still share) and then asks any session of those jobs for the secret;
// it finds a cache record by the op's cache key. Both now differ per value.
// Cache mounts, which no cache key covers, are keyed too (cachemount.go).
//
// Limits: the RUN's process sees the variable (a keyed hash, never the
// value); provenance mode=max records the LLB, so the HMAC, never the value;
// the provenance of a step whose result was rewritten names no frontend,
// build args or Dockerfile path (its request is the definition, not the
// frontend's), its materials stay; cache imported from a machine with
// another key never hits for RUNs that mount secrets (give every machine the
// same key, WithSecretCacheKey); whoever holds the key and an exported cache
// can test guesses of a weak secret; a Dockerfile's own WELD_SECRET_HMAC_*
// variables are dropped from those RUNs; an external frontend (# syntax=)
// that itself evaluates a RUN with a secret is not rewritten. The frontend
// and the command and test containers get no secrets.

const (
	secretKeyFile = "secret-cache.key"
	minSecretKey  = 16
	maxSecretKey  = 4096
)

// ReadSecretCacheKey reads a key for WithSecretCacheKey from a file: a
// regular file of 16 to 4096 bytes, used as it is (e.g. made with
// `head -c 32 /dev/urandom > FILE`). Every error wraps ErrSecret.
func ReadSecretCacheKey(path string) ([]byte, error) {
	key, err := boundedio.ReadFile(path, maxSecretKey)
	if err != nil {
		return nil, fmt.Errorf("%w: secret cache key: %w", ErrSecret, err)
	}
	if err := checkSecretKey(key); err != nil {
		return nil, fmt.Errorf("%w: secret cache key %s: %w", ErrSecret, path, err)
	}
	return key, nil
}

func checkSecretKey(key []byte) error {
	if len(key) < minSecretKey || len(key) > maxSecretKey {
		return fmt.Errorf("a key has %d to %d bytes, this one %d", minSecretKey, maxSecretKey, len(key))
	}
	return nil
}

// machineSecretKey loads the key at path, or creates it: 32 random bytes,
// mode 0600, written to a temporary file and linked into place, so that
// concurrent first runs agree on one key and never read half of one.
func machineSecretKey(path string) ([]byte, error) {
	key, err := ReadSecretCacheKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the secret cache key: %w", err)
	}
	key = make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand never fails
	// CreateTemp makes the file with mode 0600.
	tmp, err := os.CreateTemp(dir, ".secret-cache.key-*")
	if err != nil {
		return nil, fmt.Errorf("creating the secret cache key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(key)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path) // fails if it exists, as O_EXCL
	}
	switch {
	case errors.Is(err, fs.ErrExist): // another run made it first
		return ReadSecretCacheKey(path)
	case err != nil:
		return nil, fmt.Errorf("creating the secret cache key %s: %w", path, err)
	}
	return key, nil
}

// secretKey is the key of a Builder's runs: given (WithSecretCacheKey), or
// the machine's, loaded on first need.
type secretKey struct {
	once sync.Once
	key  []byte
	// path is the machine key's; "" for the default under the user's
	// cache dir ($XDG_CACHE_HOME, else ~/.cache).
	path string
}

// get returns the key. When the machine key can be neither read nor made,
// it uses a key of this process alone: safe, but RUNs that mount secrets
// then reuse no cache of other processes.
func (k *secretKey) get(l *log.Logger) []byte {
	k.once.Do(func() {
		if k.key != nil {
			return
		}
		path, err := k.path, error(nil)
		if path == "" {
			var dir string
			dir, err = os.UserCacheDir()
			path = filepath.Join(dir, "weld", secretKeyFile)
		}
		if err == nil {
			k.key, err = machineSecretKey(path)
		}
		if err != nil {
			l.Warn("no secret cache key: RUNs that mount secrets, and cache mounts, will not reuse the cache of earlier runs (give one with --secret-cache-key)", "err", err)
			k.key = make([]byte, 32)
			_, _ = rand.Read(k.key)
		}
	})
	return k.key
}

// keySecrets turns the frontend's lazy result of step s into one whose
// RUNs that mount secrets are keyed by the values this session serves (see
// the top of this file), solved with the frontend request's source
// policies and the session's cache imports; nothing has run yet. A result
// without such RUNs comes back as it is.
//
// The values are those the session serves: one per ID for the step and the
// steps it re-solves, the dependent's winning, so a dependency's RUN re-run
// here is keyed by the value it would get here.
func (ss *stepSession) keySecrets(ctx context.Context, req gateway.SolveRequest, ref gateway.Reference) (gateway.Reference, llb.State, error) {
	st, err := ref.ToState()
	if err != nil {
		return nil, st, err
	}
	def, err := st.Marshal(ctx)
	if err != nil {
		return nil, st, err
	}
	secrets := sessionSecrets(ss.closure[ss.step.Label], ss.perStep, ss.global)
	in := def.ToPB()
	out, err := llbsecret.Rewrite(in, func() []byte { return ss.o.secretKey.get(ss.o.log) },
		func(id string) ([]byte, bool) { v, ok := secrets[id]; return v, ok })
	if err != nil || out == in {
		return ref, st, err
	}
	// The session's cache imports as the client prepared them (a local
	// cache becomes a content store of the session), as the frontend got
	// them.
	var imports []gateway.CacheOptionsEntry
	if v := ss.c.BuildOpts().Opts["cache-imports"]; v != "" {
		if err := json.Unmarshal([]byte(v), &imports); err != nil {
			return nil, st, fmt.Errorf("reading the session's cache imports: %w", err)
		}
	}
	res, err := ss.c.Solve(ctx, gateway.SolveRequest{Definition: out, CacheImports: imports, SourcePolicies: req.SourcePolicies})
	if err != nil {
		return nil, st, fmt.Errorf("keying the secrets of the RUNs: %w", err)
	}
	if ref, err = res.SingleRef(); err != nil {
		return nil, st, err
	}
	st, err = ref.ToState()
	return ref, st, err
}
