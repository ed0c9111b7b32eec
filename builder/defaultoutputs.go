package builder

import "context"

// WorkDirOutputs are the outputs weld build publishes to when it is named
// none: the Docker engine at $DOCKER_HOST when one answers, else the work
// dir's image store (DefaultStore), each image tagged with its name. A
// store that would leave the work dir (a .weld symlink to elsewhere) is an
// error that wraps ErrOutput.
func WorkDirOutputs(ctx context.Context, workDir string) ([]Output, error) {
	store, err := DefaultStore(workDir)
	outs := DefaultOutputs(ctx, store)
	if err != nil && outs[0].Type == OutputStore {
		return nil, err
	}
	return outs, nil
}
