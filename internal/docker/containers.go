package docker

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Container is a running container as the engine lists it.
type Container struct {
	// ID is the container's full ID.
	ID string `json:"Id"`
	// Names are its names, each with a leading "/".
	Names []string
	// Image is the image as the container was started from it.
	Image string
	// ImageID is the image's ID (its config digest).
	ImageID string
}

// RunningContainers lists the engine's running containers.
func RunningContainers(ctx context.Context, host string) ([]Container, error) {
	var out []Container
	if err := getJSON(ctx, host, "/containers/json", &out); err != nil {
		return nil, fmt.Errorf("listing the containers of docker at %s: %w", host, err)
	}
	return out, nil
}

// ImageLabels are the labels of the image's config (never a container's
// own labels, which whoever starts it chooses).
func ImageLabels(ctx context.Context, host, imageID string) (map[string]string, error) {
	var img struct {
		Config struct{ Labels map[string]string }
	}
	if err := getJSON(ctx, host, "/images/"+url.PathEscape(imageID)+"/json", &img); err != nil {
		return nil, fmt.Errorf("inspecting image %s in docker at %s: %w", imageID, host, err)
	}
	return img.Config.Labels, nil
}

// Exec runs cmd in the running container id, writes its output (stdout
// and stderr) to out, and returns its exit code.
func Exec(ctx context.Context, host, id string, cmd []string, out io.Writer) (int, error) {
	var created struct {
		ID string `json:"Id"`
	}
	body := map[string]any{"Cmd": cmd, "AttachStdout": true, "AttachStderr": true}
	if err := postJSON(ctx, host, "/containers/"+url.PathEscape(id)+"/exec", body, &created); err != nil {
		return -1, fmt.Errorf("creating an exec in container %s: %w", short(id), err)
	}
	resp, err := do(ctx, host, http.MethodPost, "/exec/"+url.PathEscape(created.ID)+"/start", map[string]any{"Detach": false, "Tty": false})
	if err != nil {
		return -1, fmt.Errorf("starting the exec in container %s: %w", short(id), err)
	}
	err = demux(resp.Body, out)
	resp.Body.Close()
	if err != nil {
		return -1, fmt.Errorf("reading the exec's output in container %s: %w", short(id), err)
	}
	var ins struct {
		Running  bool
		ExitCode int
	}
	if err := getJSON(ctx, host, "/exec/"+url.PathEscape(created.ID)+"/json", &ins); err != nil {
		return -1, fmt.Errorf("inspecting the exec in container %s: %w", short(id), err)
	}
	if ins.Running {
		return -1, fmt.Errorf("the exec in container %s still runs after its output ended", short(id))
	}
	return ins.ExitCode, nil
}

// demux copies the engine's multiplexed stream (8-byte frame headers:
// stream, 3 zero bytes, big-endian length) to out, stdout and stderr alike.
func demux(r io.Reader, out io.Writer) error {
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if _, err := io.CopyN(out, r, int64(binary.BigEndian.Uint32(hdr[4:]))); err != nil {
			return err
		}
	}
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func getJSON(ctx context.Context, host, path string, v any) error {
	resp, err := do(ctx, host, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(v)
}

func postJSON(ctx context.Context, host, path string, body, v any) error {
	resp, err := do(ctx, host, http.MethodPost, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

// do sends one request with a JSON body (nil: none) and fails on a status
// other than 2xx, with the engine's message.
func do(ctx context.Context, host, method, path string, body any) (*http.Response, error) {
	c, base, err := client(host)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		dt, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(dt)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		var msg struct{ Message string }
		dt, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if json.Unmarshal(dt, &msg) != nil || msg.Message == "" {
			msg.Message = strings.TrimSpace(string(dt))
		}
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, msg.Message)
	}
	return resp, nil
}
