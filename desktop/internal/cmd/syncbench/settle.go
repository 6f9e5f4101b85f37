package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Before each timed phase of the push part, the run waits until every
// process it started is idle: the Kenesh server (its Badger compacting
// what the last phase wrote), PostgreSQL (autovacuum after the push), the
// laptops' stores in this process, pouchdb-server and the PouchDB driver
// (V8 collecting what the last replication left). Otherwise a phase pays
// for the one before it on the same two cores: PouchDB's push ran while
// the server compacted Kenesh's push, and its figures moved by half
// between runs with no change of its own.
const (
	settleWindow  = 500 * time.Millisecond
	settleWindows = 3    // in a row: a compaction may be starting
	settleShare   = 0.05 // of one core, all the run's processes together
	settleTimeout = 2 * time.Minute
)

// runCPU is the CPU time every process of the run has used: this one
// (the laptops), the Kenesh server's, PostgreSQL's and PouchDB's.
func (e *env) runCPU() float64 {
	return cpuSeconds(os.Getpid()) + e.keneshCPU() + e.pouchCPU()
}

// keneshCPU is the CPU time of the Kenesh servers' processes (the push
// part's, and the load part's while it runs) and of PostgreSQL's (0 before
// a server starts).
func (e *env) keneshCPU() float64 {
	t := dbCPU()
	if e.srv != nil {
		t += e.srv.cpu()
	}
	if e.loadSrv != nil {
		t += e.loadSrv.cpu()
	}
	return t
}

// pouchCPU is the CPU time of pouchdb-server and the PouchDB driver (0
// when PouchDB is not run).
func (e *env) pouchCPU() float64 {
	var t float64
	if e.pouch != nil && e.pouch.cmd.Process != nil {
		t += cpuSeconds(e.pouch.cmd.Process.Pid)
	}
	if e.drv != nil && e.drv.cmd.Process != nil {
		t += cpuSeconds(e.drv.cmd.Process.Pid)
	}
	return t
}

// settle waits, before the phase named, until the laptops' stores have
// nothing left to compact and then until the run's processes are idle. A
// run whose processes stay busy goes on after settleTimeout, with a note
// in the results.
func (e *env) settle(ctx context.Context, phase string, laptops ...*laptop) error {
	t0, cpu0 := time.Now(), e.runCPU()
	runtime.GC() // what this process's last phase left, not counted in the next
	for _, l := range laptops {
		if err := l.st.Settle(ctx, 200*time.Millisecond); err != nil {
			return fmt.Errorf("%s: %w", l.name, err)
		}
	}
	idle, err := waitIdle(ctx, e.runCPU, settleWindow, settleWindows, settleShare, settleTimeout)
	if err != nil {
		return fmt.Errorf("settle before the %s: %w", phase, err)
	}
	slog.Info("settled", "before", phase, "seconds", time.Since(t0).Seconds(), "cpu_s", e.runCPU()-cpu0, "idle", idle)
	if !idle {
		e.res.note("before the %s, the run's processes still used more than %.0f%% of a core after %s of waiting", phase, settleShare*100, settleTimeout)
	}
	return nil
}

// waitIdle samples cpu (seconds used so far) every window until it grew
// by less than share x window in windows windows in a row (true), or
// until timeout passes (false).
func waitIdle(ctx context.Context, cpu func() float64, window time.Duration, windows int, share float64, timeout time.Duration) (bool, error) {
	deadline := time.Now().Add(timeout)
	limit := share * window.Seconds()
	quiet := 0
	last := cpu()
	for quiet < windows {
		if !time.Now().Before(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(window):
		}
		now := cpu()
		if now-last < limit {
			quiet++
		} else {
			quiet = 0
		}
		last = now
	}
	return true, nil
}

// machineCPU is what /proc/stat says of the whole machine: the CPU time
// its processes used (user, nice, system, interrupts) and the time the
// hypervisor gave its CPUs to another guest (steal), in seconds.
func machineCPU() (busy, steal float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	n := func(i int) float64 { v, _ := strconv.ParseFloat(f[i], 64); return v / 100 } // USER_HZ
	return n(1) + n(2) + n(3) + n(6) + n(7), n(8)
}

// around is what else the machine did during a timed phase: the CPU time
// of processes not the run's (other users of its cores) and the time its
// CPUs were stolen. A run's figures under load, or on a host that steals,
// are not an idle machine's; both sides of a ratio should say so.
type around struct{ busy, steal, run float64 }

func (e *env) around() around {
	busy, steal := machineCPU()
	return around{busy, steal, e.runCPU()}
}

// outside ends the timed phase named, begun at a and lasting wall
// seconds: its log attribute, and a note in the results when processes
// outside the run and the host's steal took more than settleShare of a
// core through it.
func (e *env) outside(phase string, a around, wall float64) slog.Attr {
	b := e.around()
	others, steal := max(0, (b.busy-a.busy)-(b.run-a.run)), max(0, b.steal-a.steal)
	if wall > 0 && others+steal > settleShare*wall {
		e.res.note("during the %s (%.1f s), processes outside the run used %.1f s of CPU and the host stole %.1f s: not an idle machine's figure", phase, wall, others, steal)
	}
	return slog.Group("outside", "cpu_s", round2(others), "steal_s", round2(steal))
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
