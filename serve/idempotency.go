package serve

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// An Idempotency-Key header makes a retried POST /v1/builds safe: the
// tenant's first request with a key makes the build, and every later one
// with the same key answers with that build instead of making another.
// Keys are kept with the records, so they hold across restarts.

// errKeyInFlight answers a retry that arrives while the first request
// with its key is still being accepted.
var errKeyInFlight = errors.New("a request with this Idempotency-Key is still being accepted; retry shortly")

// maxKeyLen bounds an Idempotency-Key: each is kept with its record.
const maxKeyLen = 255

func keyOf(tenant, key string) string { return tenant + "\x00" + key }

// claimKey returns the build an earlier request with key made (""
// when none), or reserves key for this request; claimed says the caller
// must settle it with settleKey.
func (s *Server) claimKey(tenant, key string) (id string, claimed bool, err error) {
	if key == "" {
		return "", false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch id, ok := s.keys[keyOf(tenant, key)]; {
	case ok && id == "":
		return "", false, errKeyInFlight
	case ok:
		return id, false, nil
	}
	s.keys[keyOf(tenant, key)] = ""
	return "", true, nil
}

// settleKey records the build made for key, or frees the key when no
// build was made (id "").
func (s *Server) settleKey(tenant, key, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		delete(s.keys, keyOf(tenant, key))
		return
	}
	s.keys[keyOf(tenant, key)] = id
}

// idempotent answers a request whose key already made a build; it reports
// whether it answered.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, tenant string) (claimed, answered bool) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxKeyLen || strings.ContainsFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("Idempotency-Key: give at most %d printable ASCII characters without spaces (a UUID, say)", maxKeyLen))
		return false, true
	}
	id, claimed, err := s.claimKey(tenant, key)
	switch {
	case err != nil:
		httpError(w, http.StatusConflict, err.Error())
		return false, true
	case id != "":
		w.Header().Set("Location", "/v1/builds/"+id)
		writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "url": "/v1/builds/" + id})
		return false, true
	}
	return claimed, false
}
