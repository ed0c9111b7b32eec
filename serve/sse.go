package serve

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// events streams a build's events as Server-Sent Events: each with its id
// (Last-Event-ID, or ?after=N, resumes after it) and its type as the event
// name; the stream ends after the result event.
func (s *Server) events(w http.ResponseWriter, r *http.Request, b *build) {
	after := 0
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			after = n
		}
	}
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		evs, ended, changed := b.since(after)
		for _, e := range evs {
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Type, e.Data)
			after = e.ID
		}
		if fl != nil {
			fl.Flush()
		}
		if ended {
			if more, _, _ := b.since(after); len(more) == 0 {
				return
			}
			continue
		}
		select {
		case <-changed:
		case <-keepalive.C:
			fmt.Fprint(w, ": keepalive\n\n")
		case <-r.Context().Done():
			return
		}
	}
}
