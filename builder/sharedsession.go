package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"sync"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/moby/buildkit/session"
	sessioncontent "github.com/moby/buildkit/session/content"
	"github.com/moby/buildkit/session/filesync"
	"github.com/moby/buildkit/solver/pb"

	"github.com/weld-build/weld/dag"
)

// sharedSessions are the run's shared sessions, one per daemon, as buildx
// shares the local mounts of its targets: a session of weld's own that
// serves the contexts and Dockerfiles of every step whose closure mounts no
// secret and that uses no ssh (a sharing step), and the bases' OCI layout
// stores. It serves nothing else: no secret, no ssh agent, no registry
// auth, no export target. Every step keeps its own session for those (and
// its exports, cache exports and source policy); a sharing step's context
// and Dockerfile are read from the shared session, so the daemon sees the
// same local source in every session that needs it and sends it once.
type sharedSessions struct {
	files  filesync.StaticDirSource
	stores map[string]content.Store
	shares map[string]bool // per step label: its locals come from the shared session
	names  map[string]sharedNames
	bases  []sharedBase    // the OCI-layout bases it serves as frontend inputs (sharedbases.go)
	ctx    context.Context // the run's: the sessions end with it

	mu   sync.Mutex
	by   map[Solver]*sharedSession
	defs map[string]map[string]*pb.Definition // per shared session ID: its bases' source ops
	wg   sync.WaitGroup
	seen int // how many sessions were started (for tests)
}

// sharedSession is one daemon's shared session.
type sharedSession struct {
	s    *session.Session
	stop context.CancelFunc
}

// sessionDialer is a Solver that can dial a session of weld's own.
type sessionDialer interface {
	sessionDialer(ctx context.Context) (session.Dialer, error)
}

func (c *Client) sessionDialer(context.Context) (session.Dialer, error) { return c.Dialer(), nil }

func (l *LazyClient) sessionDialer(ctx context.Context) (session.Dialer, error) {
	c, err := l.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return c.sessionDialer(ctx)
}

func (p *Pool) sessionDialer(ctx context.Context) (session.Dialer, error) {
	c, err := p.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return c.sessionDialer(ctx)
}

var (
	_ sessionDialer = (*Client)(nil)
	_ sessionDialer = (*LazyClient)(nil)
	_ sessionDialer = (*Pool)(nil)
)

// newSharedSessions finds the sharing steps of a run and opens their
// folders; nil when none shares. A step whose folders cannot be opened
// does not share: its own session reports that.
func (r *run) newSharedSessions(ctx context.Context) *sharedSessions {
	if len(r.o.ssh) > 0 {
		return nil
	}
	sh := &sharedSessions{files: filesync.StaticDirSource{}, stores: map[string]content.Store{},
		shares: map[string]bool{}, names: map[string]sharedNames{}, ctx: ctx, by: map[Solver]*sharedSession{},
		defs: map[string]map[string]*pb.Definition{}, bases: sharedBaseList(r.bases)}
	for _, s := range r.steps {
		if len(sessionSecrets(r.closure[s.Label], r.perStep, r.global)) > 0 {
			continue
		}
		if err := sh.add(s, r.plan.Build().WorkDir); err != nil {
			return nil
		}
	}
	if len(sh.shares) == 0 {
		return nil
	}
	for id, st := range r.bases.stores {
		sh.stores["oci:"+id] = st
	}
	return sh
}

// add serves step s's context (less excludes) and Dockerfile folder.
func (sh *sharedSessions) add(s *dag.Step, workDir string) error {
	ctxFS, dfFS, err := openStepFS(s) // sessionopt.go
	if err != nil {
		return err
	}
	n := namesOf(s, workDir)
	sh.files[n.ctx] = ctxFS
	sh.files[n.df] = dfFS
	sh.names[s.Label] = n
	sh.shares[s.Label] = true
	return nil
}

// sharedNames are the names a sharing step's context and Dockerfile
// folder have in the shared session: a name per folder. Steps that send
// the same folder with the same excludes (the leaves of a fan-out, all in
// "."), or read the same Dockerfile, then have the same local source op,
// which the daemon loads once for all of them, not once per step (other
// excludes make another op of the same folder). A name holds no absolute
// path (it lands in the provenance): a hash of the folder relative to the
// work dir.
type sharedNames struct{ ctx, df string }

func namesOf(s *dag.Step, workDir string) sharedNames {
	return sharedNames{
		ctx: "ctx-" + folderKey(s.Context, workDir),
		df:  "df-" + folderKey(filepath.Dir(s.Dockerfile), workDir),
	}
}

func folderKey(dir, workDir string) string {
	if rel, err := filepath.Rel(workDir, dir); err == nil {
		dir = rel
	}
	h := sha256.Sum256([]byte(dir))
	return hex.EncodeToString(h[:8])
}

// localNames are the names of step label's context and Dockerfile
// folder in its session: the shared session's when it shares there (id
// is the shared session's ID on its daemon, "" for none), else its own.
func (sh *sharedSessions) localNames(id, label string) sharedNames {
	if sh.idFor(id, label) != "" {
		return sh.names[label]
	}
	return sharedNames{ctx: contextLocal(label), df: dockerfileLocal(label)}
}

// allLocalNames are the shared names of the given steps, for the source
// policy.
func (sh *sharedSessions) allLocalNames(labels []string) []string {
	if sh == nil {
		return nil
	}
	var out []string
	for _, l := range labels {
		if n, ok := sh.names[l]; ok {
			out = append(out, n.ctx, n.df)
		}
	}
	return out
}

// on returns the ID of the shared session on the daemon of solver,
// starting it the first time; "" when that solver cannot host one (a unit
// test's fake, a daemon that cannot be reached), and the step then reads
// everything from its own session, which reports what went wrong.
func (sh *sharedSessions) on(ctx context.Context, solver Solver) string {
	if sh == nil {
		return ""
	}
	d, ok := solver.(sessionDialer)
	if !ok {
		return ""
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if ss, ok := sh.by[solver]; ok {
		return ss.id()
	}
	ss := &sharedSession{}
	sh.by[solver] = ss
	dialer, err := d.sessionDialer(ctx)
	if err != nil {
		return ""
	}
	if ss.s, err = session.NewSession(sh.ctx, ""); err != nil {
		return ""
	}
	if sh.defs[ss.s.ID()], err = sharedBaseDefs(ctx, sh.bases, ss.s.ID()); err != nil {
		ss.s = nil
		return ""
	}
	ss.s.Allow(filesync.NewFSSyncProvider(sh.files))
	if len(sh.stores) > 0 {
		ss.s.Allow(sessioncontent.NewAttachable(sh.stores))
	}
	runCtx, stop := context.WithCancel(sh.ctx)
	ss.stop = stop
	sh.seen++
	sh.wg.Add(1)
	go func() {
		defer sh.wg.Done()
		_ = ss.s.Run(runCtx, dialer) // its users' solves report a session that went away
	}()
	return ss.s.ID()
}

func (ss *sharedSession) id() string {
	if ss.s == nil {
		return ""
	}
	return ss.s.ID()
}

// idFor is the shared session a step's locals come from in a session on
// the daemon whose shared session is id: id for a sharing step, else ""
// (the session's own).
func (sh *sharedSessions) idFor(id, label string) string {
	if sh == nil || !sh.shares[label] {
		return ""
	}
	return id
}

// useBases points the frontend of a sharing step, in a session on the
// daemon whose shared session is id, at the bases that session serves.
func (sh *sharedSessions) useBases(id, label string, attrs map[string]string, inputs map[string]*pb.Definition) error {
	if sh.idFor(id, label) == "" {
		return nil
	}
	sh.mu.Lock()
	defs := sh.defs[id]
	sh.mu.Unlock()
	return useSharedBases(sh.bases, defs, attrs, inputs)
}

// close ends every shared session and waits for them.
func (sh *sharedSessions) close() {
	if sh == nil {
		return
	}
	sh.mu.Lock()
	for _, ss := range sh.by {
		if ss.s != nil {
			_ = ss.s.Close()
			ss.stop()
		}
	}
	sh.mu.Unlock()
	sh.wg.Wait()
}

// started is how many shared sessions the run started.
func (sh *sharedSessions) started() int {
	if sh == nil {
		return 0
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.seen
}
