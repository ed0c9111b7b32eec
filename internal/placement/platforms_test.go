package placement

import (
	"fmt"
	"slices"
	"testing"
)

// mixed is a pool of an amd64 machine that emulates arm64 and riscv64 and
// an arm64 machine that emulates nothing.
func mixed() []Daemon {
	return []Daemon{
		{Name: "tcp://amd:1234", Capacity: 1, Native: []string{"linux/amd64", "linux/386"}, Runs: []string{"linux/arm64", "linux/riscv64"}},
		{Name: "tcp://arm:1234", Capacity: 1, Native: []string{"linux/arm64"}},
	}
}

func TestEligible(t *testing.T) {
	for _, tc := range []struct {
		name      string
		platforms []string
		daemons   []Daemon
		want      []int
	}{
		{"no platform: any daemon", nil, mixed(), []int{0, 1}},
		{"arm64: the native daemon, not the emulating one", []string{"linux/arm64"}, mixed(), []int{1}},
		{"amd64: the native daemon", []string{"linux/amd64"}, mixed(), []int{0}},
		{"both: the one native for most (amd64 and 386)", []string{"linux/amd64", "linux/386", "linux/arm64"}, mixed(), []int{0}},
		{"a tie of natives: both", []string{"linux/amd64", "linux/arm64"}, mixed(), []int{0, 1}},
		{"none native: the one that emulates it", []string{"linux/riscv64"}, mixed(), []int{0}},
		{"none runs it: any (the daemon says what it lacks)", []string{"linux/s390x"}, mixed(), []int{0, 1}},
		{"daemons that say nothing: any", []string{"linux/arm64"}, pool(2, 1), []int{0, 1}},
		{"one says nothing, the other is native", []string{"linux/arm64"}, append(pool(1, 1), mixed()[1]), []int{1}},
		{"one says nothing, the other lacks it: the silent one", []string{"linux/riscv64"}, append(pool(1, 1), mixed()[1]), []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Eligible(Task{ID: "x", Platforms: tc.platforms}, tc.daemons); !slices.Equal(got, tc.want) {
				t.Errorf("Eligible(%v) = %v, want %v", tc.platforms, got, tc.want)
			}
		})
	}
}

// TestPlacePrefersNativeDaemons: however idle the emulating daemon, every
// arm64 step goes to the arm64 one and every amd64 step to the amd64 one;
// a step without platforms goes wherever it finishes first.
func TestPlacePrefersNativeDaemons(t *testing.T) {
	var tasks []Task
	for i := range 4 {
		tasks = append(tasks, Task{ID: fmt.Sprintf("arm%d", i), Cost: 2, Key: fmt.Sprint(i), Platforms: []string{"linux/arm64"}})
		tasks = append(tasks, Task{ID: fmt.Sprintf("amd%d", i), Cost: 1, Key: fmt.Sprint(i), Platforms: []string{"linux/amd64"}})
	}
	tasks = append(tasks, Task{ID: "any", Cost: 1, Key: "any"})
	p := Place(tasks, mixed(), 0.5)
	for id, s := range p.Slots {
		want := -1
		switch id[:3] {
		case "arm":
			want = 1
		case "amd":
			want = 0
		}
		if want >= 0 && s.Daemon != want {
			t.Errorf("%s on daemon %d, want %d (its native one): %v", id, s.Daemon, want, p.Slots)
		}
	}
	// amd: 4 × 1 s on daemon 0; arm: 4 × 2 s on daemon 1; "any" fits
	// after the amd steps, at 4-5 s, before the arm daemon is free at 8 s.
	if s := p.Slots["any"]; s.Daemon != 0 || p.Makespan != 8 {
		t.Errorf("any on %d, makespan %v; want daemon 0 and 8 s: %v", s.Daemon, p.Makespan, p.Slots)
	}
}

// TestPlaceEmulatesWhenNoDaemonIsNative: with no native daemon, a step
// runs where it can be emulated, never where it cannot run.
func TestPlaceEmulatesWhenNoDaemonIsNative(t *testing.T) {
	tasks := []Task{{ID: "r1", Cost: 1, Platforms: []string{"linux/riscv64"}}, {ID: "r2", Cost: 1, Platforms: []string{"linux/riscv64"}}}
	p := Place(tasks, mixed(), 0.5)
	if p.Slots["r1"].Daemon != 0 || p.Slots["r2"].Daemon != 0 || p.Makespan != 2 {
		t.Errorf("riscv64 steps: %v (makespan %v), want both on the amd64 daemon that emulates it, 2 s", p.Slots, p.Makespan)
	}
	if got := Emulated(tasks[0], mixed()[0]); !slices.Equal(got, []string{"linux/riscv64"}) {
		t.Errorf("Emulated(riscv64 on amd64) = %v, want [linux/riscv64]", got)
	}
	if got := Emulated(Task{Platforms: []string{"linux/arm64"}}, pool(1, 1)[0]); got != nil {
		t.Errorf("Emulated on a daemon that says nothing = %v, want none", got)
	}
}

func TestSplit(t *testing.T) {
	ds := []Daemon{{Name: "a", Native: []string{"linux/amd64"}}, {Name: "b", Native: []string{"linux/arm64"}}, {Name: "c", Native: []string{"linux/arm64"}}}
	tk := Task{ID: "x", Key: "x\x00ctx", Platforms: []string{"linux/amd64", "linux/arm64", "linux/s390x"}}
	got := Split(tk, 0, ds, nil)
	if got[0] != 0 || (got[1] != 1 && got[1] != 2) || got[2] != 0 {
		t.Fatalf("Split on a = %v, want amd64 and s390x (native nowhere) on a, arm64 on b or c", got)
	}
	if again := Split(tk, 0, ds, nil); !slices.Equal(again, got) {
		t.Errorf("Split is not stable: %v then %v", got, again)
	}
	other := 3 - got[1]
	if sp := Split(tk, 0, ds, func(i int) bool { return i != got[1] }); sp[1] != other {
		t.Errorf("arm64's daemon unusable: Split = %v, want arm64 on %d", sp, other)
	}
	if sp := Split(tk, other, ds, nil); sp[1] != other || sp[0] != 0 || sp[2] != other {
		t.Errorf("placed on %d (native arm64): Split = %v, want arm64 and s390x there, amd64 on a", other, sp)
	}
}
