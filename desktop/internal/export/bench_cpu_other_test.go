//go:build !unix

package export_test

// cpuSeconds is 0 where getrusage is not: the benchmarks report no CPU
// time there.
func cpuSeconds() float64 { return 0 }
