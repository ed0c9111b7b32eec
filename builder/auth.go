package builder

import (
	"io"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
)

// DockerAuth serves the credentials of ~/.docker/config.json (or
// $DOCKER_CONFIG) through BuildKit's auth provider, as buildx does. Warnings
// about the file go to w.
func DockerAuth(w io.Writer) session.Attachable {
	cfg := config.LoadDefaultConfigFile(w)
	return authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(cfg),
	})
}
