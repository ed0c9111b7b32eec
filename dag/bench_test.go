package dag

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user plus system CPU time. Under load from other
// processes it is steadier than wall time; it counts the GC's other threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLoadAndPlan loads (parses, substitutes, validates against the
// disk, reads Dockerfiles) and plans generated build files.
func BenchmarkLoadAndPlan(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			path := genBuild(b, n)
			env := WithEnv(map[string]string{"VERSION": "1.0"})
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				build, err := Load(path, env)
				if err != nil {
					b.Fatal(err)
				}
				p, err := NewPlan(build)
				if err != nil {
					b.Fatal(err)
				}
				if got := len(p.Order()); got != n {
					b.Fatalf("Order() has %d steps, want %d", got, n)
				}
				_ = p.LongestPath(nil)
			}
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkGraph measures building the dominikbraun/graph graph, which
// Plan.Graph does on its first call (the plan's own queries do not need it).
func BenchmarkGraph(b *testing.B) {
	path := genBuild(b, 10000)
	build, err := Load(path, WithEnv(map[string]string{"VERSION": "1.0"}))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p, err := NewPlan(build)
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := p.Graph().Order(); n != 10000 {
			b.Fatalf("Graph().Order() = %d, want 10000", n)
		}
	}
}
