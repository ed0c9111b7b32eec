// Package policy holds the rules ops set for a build, apart from build.yml:
// the policy file (weld.policy.yml) with its base-image allowlist, base
// replacements, digest pinning, check severities and scanner gates, and the
// Dockerfile checks weld runs before any build.
//
// Parse reads a policy file with gopkg.in/yaml.v3 nodes, so every problem is
// reported as a dag.Error at FILE:LINE:COL (bad input, exit 2). CheckBases
// refuses every FROM outside allowed_bases, after replace is applied, naming
// the step, the Dockerfile line, the base and the rule. Lint runs BuildKit's
// own Dockerfile lint rules in-process (the linter that the Dockerfile
// frontend's lint subrequest, `docker build --check`, runs, here without a
// daemon) and weld's rules for published images, each finding with its rule,
// step, Dockerfile file:line and the severity the policy gives it.
//
// References lists what else a Dockerfile names (COPY --from and RUN
// --mount from= images, also in ONBUILD triggers, the # syntax= frontend,
// ADD of URLs and git) and CheckReferences refuses those outside
// allowed_bases, allowed_frontends (none by default) and allowed_sources, in
// the same form. SourcePolicies turns the policy into BuildKit source
// policies, which the daemon enforces on every source of every solve: a
// second layer that also covers what no Dockerfile shows (a base image's
// ONBUILD triggers, a frontend's own sources). Patterns match as one RE2
// expression in both layers. Intersect puts a project's policy under an
// operator's that it cannot loosen.
//
// Parsing and matching are pure; CheckBases and Lint read the steps'
// Dockerfiles and nothing else. The package imports no BuildKit client code
// that talks to a daemon.
package policy
