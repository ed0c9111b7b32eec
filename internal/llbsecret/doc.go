// Package llbsecret folds a keyed hash of each secret's value into the LLB
// of every exec op that mounts the secret, so that BuildKit never reuses a
// cache record, or shares an in-flight run, made with another value.
//
// BuildKit keys an exec op by its definition (solver/llbsolver/ops/exec.go
// CacheMap: the ExecOp as JSON, with only Meta.ExtraHosts' IPs, Meta.ProxyEnv,
// mount selectors and some cache mount IDs blanked) and shares a vertex
// between the sessions that load it by the digest of its marshalled bytes.
// A secret mount (Mount.SecretOpt) or secret env (ExecOp.Secretenv) carries
// only the secret's ID: two builds with different values of the secret have
// the same op, hit each other's cache records, and, started at once, run the
// op once, with the secret of whichever session answers first.
//
// Rewrite adds to such an op one environment variable per distinct secret ID
// it uses, WELD_SECRET_HMAC_<n>=hex(HMAC-SHA256(key, message)), where the
// message is "weld-secret-v1\x00", the ID's length as 8 bytes big-endian, the
// ID, then 0x01 and the value, or 0x00 alone for a secret the session does
// not have. Meta.Env is part of the cache key, so the op's cache key and
// digest change with the value, and with them every op that depends on it;
// what the container does does not change (it sees one more variable, which
// holds a keyed hash, never the value). Builds with the same value and key
// produce the same bytes and keep sharing their cache.
package llbsecret
