package builder

import (
	"fmt"
	"os"
	"strings"
)

// checkSSH checks --ssh specs (default, ID, ID=PATH[,PATH]) before any
// daemon is contacted: an agent needs $SSH_AUTH_SOCK, a key file must be
// there. A bad one matches ErrInvalid.
func checkSSH(specs []string) error {
	for _, spec := range specs {
		id, paths, _ := strings.Cut(spec, "=")
		if paths == "" && os.Getenv("SSH_AUTH_SOCK") == "" {
			return fmt.Errorf("%w: --ssh %s: SSH_AUTH_SOCK is not set; start an agent (eval $(ssh-agent) && ssh-add) or name a key: --ssh %s=$HOME/.ssh/id_ed25519", ErrInvalid, spec, id)
		}
		for _, p := range strings.Split(paths, ",") {
			if _, err := os.Stat(p); p != "" && err != nil {
				return fmt.Errorf("%w: --ssh %s: %v", ErrInvalid, spec, err)
			}
		}
	}
	return nil
}
