package placement

import "slices"

// Where a task may run by its platforms (issue 13: in a pool, a daemon
// that runs a platform natively is preferred for it). A task goes to a
// daemon native for its platform when the pool has one; else to any
// daemon that can run it (under emulation); else anywhere, and the
// daemon's own error says what it lacks. A task of several platforms is
// placed on the daemons native for the most of them; Split then says
// which daemon builds each when the caller splits it by platform.

// Eligible returns the indexes of the daemons t may run on, ascending.
// Platforms compare as written: the caller normalizes them (os/arch[/variant]).
func Eligible(t Task, daemons []Daemon) []int {
	all := make([]int, len(daemons))
	for i := range daemons {
		all[i] = i
	}
	if len(t.Platforms) == 0 {
		return all
	}
	most, native := 0, []int(nil)
	for i, d := range daemons {
		n := 0
		for _, p := range t.Platforms {
			if slices.Contains(d.Native, p) {
				n++
			}
		}
		switch {
		case n > most:
			most, native = n, []int{i}
		case n == most && n > 0:
			native = append(native, i)
		}
	}
	if most > 0 {
		return native
	}
	var runs []int
	for i, d := range daemons {
		if d.runsAll(t.Platforms) {
			runs = append(runs, i)
		}
	}
	if len(runs) > 0 {
		return runs
	}
	return all
}

// runsAll reports whether d can run every one of ps, natively or under
// emulation; a daemon that says nothing of its platforms may run any.
func (d Daemon) runsAll(ps []string) bool {
	if len(d.Native) == 0 && len(d.Runs) == 0 {
		return true
	}
	for _, p := range ps {
		if !slices.Contains(d.Native, p) && !slices.Contains(d.Runs, p) {
			return false
		}
	}
	return true
}

// Emulated are the platforms of t that daemon d does not run natively
// (none when d says nothing of its platforms).
func Emulated(t Task, d Daemon) []string {
	if len(d.Native) == 0 {
		return nil
	}
	var out []string
	for _, p := range t.Platforms {
		if !slices.Contains(d.Native, p) {
			out = append(out, p)
		}
	}
	return out
}

// Split assigns each platform of t, placed on daemon home, to the daemon
// that builds it when a pool splits a step by platform: home when it runs
// that platform natively, else the daemon native for it that t's Key
// prefers (Rendezvous), else home, under emulation there. usable says
// which daemons may be chosen (nil: every one). The result is a daemon
// index per platform of t, in t's order.
func Split(t Task, home int, daemons []Daemon, usable func(int) bool) []int {
	out := make([]int, len(t.Platforms))
	for i, p := range t.Platforms {
		out[i] = home
		if slices.Contains(daemons[home].Native, p) {
			continue
		}
		var idx []int
		var native []Daemon
		for j, d := range daemons {
			if slices.Contains(d.Native, p) && (usable == nil || usable(j)) {
				idx, native = append(idx, j), append(native, d)
			}
		}
		if len(idx) > 0 {
			out[i] = idx[Rendezvous(t.Key, native)[0]]
		}
	}
	return out
}
