// Package builder runs a dag.Plan on BuildKit.
//
// Every selected step gets its own BuildKit session, and all of them start at
// once: a session owns its local contexts, its secrets and its exporter, and
// re-solves the definitions of the steps it needs (the daemon runs shared work
// once and caches it), handing them to the Dockerfile frontend as inputs. A
// dependent's own instructions therefore overlap the build of its
// dependencies instead of waiting at a level barrier.
//
// Artifacts are copied out of a dependency's result and merged into the
// dependent's context in the engine; FROM <step> becomes a named context with
// the parent's image config. Secrets are served by BuildKit's secrets
// provider and never become build args.
//
// Publishing is a second phase: a session that exports holds its result until
// every step, command and test has passed, and exports nothing if any failed.
//
// With WithSourcePolicy, every session carries BuildKit source policies, so
// the daemon itself refuses any image or remote source outside them; steps
// build with BuildKit's built-in Dockerfile frontend unless WithFrontends
// lets them run their # syntax= image.
//
// With WithPolicy, Run is the whole of weld build: before any daemon work it
// refuses build args that hold secrets and every base, image, frontend or
// source the policy does not allow; it composes the policy's replacements
// with WithImages, pins bases to digests (pin_digests), adds the policy's
// source policy and gates, and stops on the Dockerfile checks' errors; the
// Result records each step's bases (StepResult.Bases), and WriteMetadata
// writes the metadata file. Check runs those checks alone, without a daemon.
//
// The package never prints and never exits: it reports through an event sink,
// a progress sink and an injected *log.Logger, and cancels with its context.
// Every secret value a run serves (and those given to WithRedact) is
// redacted from its progress, events, errors and Result, as [secret:ID].
package builder
