package main

import (
	"slices"
	"testing"
	"time"
)

func TestSlowestCountsTheFirstRoundsTail(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		slices.Sort(out)
		return out
	}
	// 100 syncs: the first round's 10 (900-990 ms and one fast), the rest
	// 1-90 ms; the p99 is the 99th, 980 ms: 980 and 990, both the first
	// round's.
	first := ms(5, 910, 920, 930, 940, 950, 960, 970, 980, 990)
	var all []int
	for i := 1; i <= 90; i++ {
		all = append(all, i)
	}
	lat := ms(append(all, 5, 910, 920, 930, 940, 950, 960, 970, 980, 990)...)
	if slow, in := slowest(lat, first, 0.99); slow != 2 || in != 2 {
		t.Errorf("slowest = %d, %d in the first round; want 2, 2", slow, in)
	}
	// Ties at the quantile all count.
	lat = ms(1, 2, 3, 7, 7, 7)
	if slow, in := slowest(lat, ms(7, 1), 0.6); slow != 3 || in != 1 {
		t.Errorf("slowest with ties = %d, %d; want 3, 1", slow, in)
	}
	if got := quantileMs(ms(1, 2, 3, 4), 0.5); got != 2 {
		t.Errorf("quantileMs = %v, want 2", got)
	}
	if slow, in := slowest(nil, nil, 0.99); slow != 0 || in != 0 || quantileMs(nil, 0.99) != 0 {
		t.Error("no syncs: not 0")
	}
}
