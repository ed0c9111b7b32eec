package buildflags

import (
	"fmt"

	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/builder"
)

// ParseOutputs parses --output values (builder.ParseOutput), then adds a
// registry output for --push and a Docker engine output for --load.
func ParseOutputs(values []string, push, load bool) ([]builder.Output, error) {
	outs, err := parseEach(values, "", builder.ParseOutput)
	if err != nil {
		return nil, err
	}
	if push {
		outs = append(outs, builder.Output{Type: builder.OutputRegistry})
	}
	if load {
		outs = append(outs, builder.Output{Type: builder.OutputDocker})
	}
	return outs, nil
}

// ParseSecrets parses --secret values (builder.ParseSecret); the library
// reads each secret once, before any daemon (builder.ErrSecret).
func ParseSecrets(values []string) ([]builder.SecretSpec, error) {
	return parseEach(values, "", builder.ParseSecret)
}

// SecretIDs are the ids of the --secret values that parse (a bad one is
// ParseSecrets' error, reported with the other flags).
func SecretIDs(values []string) []string {
	var ids []string
	for _, s := range values {
		if sp, err := builder.ParseSecret(s); err == nil {
			ids = append(ids, sp.ID)
		}
	}
	return ids
}

// ParseCacheTo parses --cache-to values (builder.ParseCacheTo).
func ParseCacheTo(values []string) ([]client.CacheOptionsEntry, error) {
	return parseEach(values, "--cache-to: ", builder.ParseCacheTo)
}

// ParseCacheFrom parses --cache-from values (builder.ParseCacheFrom).
func ParseCacheFrom(values []string) ([]client.CacheOptionsEntry, error) {
	return parseEach(values, "--cache-from: ", builder.ParseCacheFrom)
}

// ParseImages parses --image replacements, REF=SOURCE (builder.ParseImage),
// into builder.WithImages' map (the policy's replacements join them in the
// builder).
func ParseImages(values []string) (map[string]builder.ImageSource, error) {
	images := map[string]builder.ImageSource{}
	for _, s := range values {
		ref, src, err := builder.ParseImage(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", builder.ErrInvalid, err)
		}
		images[ref] = src
	}
	return images, nil
}

// parseEach parses every value of a repeated flag; an error is bad input.
func parseEach[T any](values []string, prefix string, parse func(string) (T, error)) ([]T, error) {
	out := make([]T, 0, len(values))
	for _, v := range values {
		x, err := parse(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s%v", builder.ErrInvalid, prefix, err)
		}
		out = append(out, x)
	}
	return out, nil
}
