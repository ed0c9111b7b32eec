package builder

import (
	"slices"
	"testing"

	"github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/placement"
)

func plat(arch, variant string) ocispecs.Platform {
	return ocispecs.Platform{OS: "linux", Architecture: arch, Variant: variant}
}

// amd64Workers is what an amd64 buildkitd with arm64 and riscv64 binfmt
// handlers lists: its own platform first.
var amd64Workers = []*client.WorkerInfo{{Platforms: []ocispecs.Platform{
	plat("amd64", ""), plat("amd64", "v2"), plat("arm64", ""), plat("riscv64", ""), plat("386", ""),
}}}

func TestWorkerPlatforms(t *testing.T) {
	native, runs := workerPlatforms(amd64Workers)
	if want := []string{"linux/amd64", "linux/amd64/v2", "linux/386"}; !slices.Equal(native, want) {
		t.Errorf("native = %v, want %v (the first platform, and what that CPU runs too)", native, want)
	}
	if want := []string{"linux/arm64", "linux/riscv64"}; !slices.Equal(runs, want) {
		t.Errorf("emulated = %v, want %v", runs, want)
	}
	if n, r := workerPlatforms(nil); n != nil || r != nil {
		t.Errorf("no workers: %v, %v; want nothing", n, r)
	}
}

// TestMemberPlatformsFromTheFile: the builders file's platforms are the
// daemon's native ones; what its workers run natively otherwise still
// runs there, as emulated would.
func TestMemberPlatformsFromTheFile(t *testing.T) {
	native, runs := memberPlatforms(PoolMember{Platforms: []string{"linux/arm64/v8"}}, amd64Workers)
	if !slices.Equal(native, []string{"linux/arm64"}) {
		t.Errorf("native = %v, want [linux/arm64] (the file's, normalized)", native)
	}
	if want := []string{"linux/riscv64", "linux/amd64", "linux/amd64/v2", "linux/386"}; !slices.Equal(runs, want) {
		t.Errorf("runs = %v, want %v", runs, want)
	}
	native, _ = memberPlatforms(PoolMember{}, amd64Workers)
	if native[0] != "linux/amd64" {
		t.Errorf("without the file's platforms, native = %v, want the workers' (linux/amd64 first)", native)
	}
}

// TestPlacePlatforms: weld plan's placement with the builders file's
// platforms: the arm64 step on the daemon native for arm64, the amd64
// step and the step without platforms (the pool's default, the first
// daemon's platform) on the other, the two-platform step on the daemon
// native for both.
func TestPlacePlatforms(t *testing.T) {
	steps := []*dag.Step{
		{Label: "arm", Platforms: []string{"linux/arm64"}},
		{Label: "amd", Platforms: []string{"linux/amd64"}},
		{Label: "plain"},
		{Label: "both", Platforms: []string{"linux/amd64", "linux/arm64"}},
	}
	members := []PoolMember{
		{Connect: ConnectOptions{Addr: "tcp://amd:1234"}, Capacity: 4, Platforms: []string{"linux/amd64"}},
		{Connect: ConnectOptions{Addr: "tcp://arm:1234"}, Capacity: 4, Platforms: []string{"linux/arm64"}},
		{Connect: ConnectOptions{Addr: "tcp://multi:1234"}, Capacity: 4, Platforms: []string{"linux/arm64", "linux/amd64"}},
	}
	pl := Place(steps, t.TempDir(), members)
	for label, want := range map[string][]int{"arm": {1, 2}, "amd": {0, 2}, "plain": {0, 2}, "both": {2}} {
		if got := pl.Plan.Slots[label].Daemon; !slices.Contains(want, got) {
			t.Errorf("step %s on %s, want one of %v: %v", label, pl.Daemons[got], want, pl.Plan.Slots)
		}
	}
	members = members[:2]
	pl = Place(steps, t.TempDir(), members)
	for label, want := range map[string]int{"arm": 1, "amd": 0, "plain": 0} {
		if got := pl.Plan.Slots[label].Daemon; got != want {
			t.Errorf("on two daemons, step %s on %s, want %s", label, pl.Daemons[got], pl.Daemons[want])
		}
	}
}

// TestPickAfterALostDaemonKeepsToNativeDaemons: when a step's daemon is
// lost, it runs again on a live daemon native for its platform, before one
// its cache key prefers that would emulate it.
func TestPickAfterALostDaemonKeepsToNativeDaemons(t *testing.T) {
	arm := []string{"linux/arm64"}
	amd, amdRuns := []string{"linux/amd64"}, []string{"linux/arm64"}
	for _, key := range []string{"a", "b", "c", "d", "e", "f"} { // whatever the key prefers
		f := &fleet{pool: &Pool{}, daemons: []*poolDaemon{
			{name: "arm1", native: arm}, {name: "amd", native: amd, runs: amdRuns}, {name: "arm2", native: arm}}}
		f.daemons[0].Client, f.daemons[1].Client, f.daemons[2].Client = &Client{addr: "unix:///1"}, &Client{addr: "unix:///2"}, &Client{addr: "unix:///3"}
		s := &dag.Step{Label: key, Platforms: arm}
		ts := tasks([]*dag.Step{s}, nil, "linux/arm64")
		f.tasks = map[string]placement.Task{key: ts[0]}
		f.plan = placement.Place(ts, f.pooled(), handoverCost)
		first, _ := f.pick(s)
		if first == 1 {
			t.Fatalf("key %s: placed on the amd64 daemon, want an arm64 one", key)
		}
		f.daemons[first].lost = true
		next, ok := f.pick(s)
		if !ok || next == 1 || next == first {
			t.Errorf("key %s: after daemon %d was lost, pick = %d (%v); want the other arm64 daemon", key, first, next, ok)
		}
		f.daemons[next].lost = true
		if last, ok := f.pick(s); !ok || last != 1 {
			t.Errorf("key %s: with both arm64 daemons lost, pick = %d (%v); want the amd64 daemon that emulates it", key, last, ok)
		}
	}
}
