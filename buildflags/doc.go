// Package buildflags turns weld build's flag values into a build, as
// buildx's util/buildflags turns buildx's: the parsers of the values
// (--build, --env, --allow, --platform, --image, --secret, --output,
// --cache-to, --cache-from), the build file's loading (File), the steps
// a run builds (--affected-by-base), the redactor of what the caller
// prints itself, the builder options the flags ask for (Flags.Options) and
// the files a build writes when it ends (--metadata-file, --report).
//
// It never prints or exits: its messages go to the logger it is given, and
// a value it refuses is an error that matches builder.ErrInvalid (exit 2,
// builder.IsBadInput). Its flag declarations are the caller's (cmd/weld's).
package buildflags
