package main

import (
	"context"
	"testing"
	"time"
)

// busyFor is a CPU counter that grows by step per call for its first n
// calls (a process compacting), then stays still.
func busyFor(n int, step float64) func() float64 {
	calls, t := 0, 0.0
	return func() float64 {
		calls++
		if calls <= n {
			t += step
		}
		return t
	}
}

func TestWaitIdleWaitsForQuietWindowsInARow(t *testing.T) {
	const window = 5 * time.Millisecond
	// Busy in the first 4 samples (the first is the baseline): 3 busy
	// windows, then 3 quiet ones; at least 6 windows in all.
	t0 := time.Now()
	idle, err := waitIdle(context.Background(), busyFor(4, 1), window, 3, 0.05, time.Minute)
	if err != nil || !idle {
		t.Fatalf("waitIdle = %v, %v; want idle", idle, err)
	}
	if d := time.Since(t0); d < 6*window {
		t.Errorf("waitIdle returned after %s, before 3 busy and 3 quiet windows (%s)", d, 6*window)
	}
}

func TestWaitIdleGivesUpOnABusyProcess(t *testing.T) {
	idle, err := waitIdle(context.Background(), busyFor(1<<30, 1), time.Millisecond, 3, 0.05, 30*time.Millisecond)
	if err != nil || idle {
		t.Fatalf("waitIdle = %v, %v on a process always busy; want not idle, no error", idle, err)
	}
}

func TestWaitIdleBelowTheShare(t *testing.T) {
	// 1% of a core in 100 ms windows is 1 ms a window: under 5%, idle.
	const window = 100 * time.Millisecond
	idle, err := waitIdle(context.Background(), busyFor(1<<30, 0.001), window, 2, 0.05, time.Minute)
	if err != nil || !idle {
		t.Fatalf("waitIdle = %v, %v at 1%% of a core; want idle", idle, err)
	}
}

func TestWaitIdleEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := waitIdle(ctx, busyFor(1<<30, 1), time.Millisecond, 3, 0.05, time.Minute); err == nil {
		t.Fatal("waitIdle with a cancelled context: no error")
	}
}

func TestMachineCPUReadsProcStat(t *testing.T) {
	busy0, steal0 := machineCPU()
	if busy0 <= 0 || steal0 < 0 {
		t.Fatalf("machineCPU = %v, %v: /proc/stat not read", busy0, steal0)
	}
	for t0 := time.Now(); time.Since(t0) < 100*time.Millisecond; {
	}
	busy1, steal1 := machineCPU()
	if busy1 < busy0+0.05 || steal1 < steal0 {
		t.Fatalf("machineCPU after 100 ms of this test's CPU: busy %v -> %v, steal %v -> %v", busy0, busy1, steal0, steal1)
	}
}
