package placement

import "slices"

// Where a task may run by its platforms (issue 13: in a pool, a daemon
// that runs a platform natively is preferred for it). A task goes to a
// daemon native for its platform when the pool has one; else to any
// daemon that can run it (under emulation); else anywhere, and the
// daemon's own error says what it lacks. A task of several platforms runs
// on one daemon (its one session exports one index): the daemons native
// for the most of them, the others emulated there.

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
