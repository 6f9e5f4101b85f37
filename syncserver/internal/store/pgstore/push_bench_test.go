package pgstore

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/ingest"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/storetest"
)

// BenchmarkPush is a laptop's push as the server takes it on PostgreSQL:
// change sets of 1,500 operations (an appeal's creation with its ~20
// fields, then five workflow steps, as the demo data), each a binary body
// decoded, judged and written through ingest, one after another. b.N is
// the number of operations. It reports this process's CPU (cpu-µs/op)
// and PostgreSQL's (pg-cpu-µs/op, the cluster's processes), which a
// shared machine measures more steadily than wall time.
func BenchmarkPush(b *testing.B) {
	ctx := context.Background()
	// A durable cluster of its own, as a deployment's (and syncbench's):
	// the test binary's shared one runs without fsync.
	pgtest.Shared(b) // skips b where PostgreSQL is not installed
	c, err := pgtest.Start(pgtest.Options{Durable: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Stop() })
	url, err := c.NewDatabase(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	st := open(b, url)
	b.Cleanup(func() { st.Close() })
	g, err := ingest.Open(ctx, st, ingest.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	pm, err := c.PID()
	if err != nil {
		b.Fatal(err)
	}
	dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
	gen := storetest.NewDemoOps(dev.ID)
	var cpu, pgCPU time.Duration
	var wal0 int64
	if err := st.pool.QueryRow(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint`).Scan(&wal0); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += 1500 {
		b.StopTimer()
		body, err := syncproto.AppendSyncRequest(nil, &syncproto.SyncRequest{Proto: 2, Device: dev.ID, Ops: gen.Next(min(1500, b.N-i))})
		if err != nil {
			b.Fatal(err)
		}
		pg0 := clusterCPU(pm) // (before this process's CPU: reading /proc costs some)
		cpu0 := cpuTime()
		b.StartTimer()
		_, ops, err := syncproto.DecodeSyncRequestOps(body)
		if err != nil {
			b.Fatal(err)
		}
		res, err := g.PushOps(ctx, dev, ops)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Refused) > 0 {
			b.Fatal(res.Refused[0].Message)
		}
		b.StopTimer()
		cpu += cpuTime() - cpu0
		pgCPU += clusterCPU(pm) - pg0
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(pgCPU.Microseconds())/float64(b.N), "pg-cpu-µs/op")
	// What the push wrote to the WAL, and a state's size as stored (after
	// PostgreSQL's compression, if any): the states were most of the WAL.
	var wal int64
	var stateBytes float64
	if err := st.pool.QueryRow(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,
		(SELECT coalesce(avg(pg_column_size(state)), 0) FROM states)`).Scan(&wal, &stateBytes); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(wal-wal0)/float64(b.N), "wal-B/op")
	b.ReportMetric(stateBytes, "state-B")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clusterCPU is the CPU time of the postmaster pm and its children (the
// backends, the WAL writer, the checkpointer) still running.
func clusterCPU(pm int) time.Duration {
	t := procCPU(pm)
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(d))
		if f := procStat(pid); len(f) > 1 && f[1] == strconv.Itoa(pm) {
			t += procCPU(pid)
		}
	}
	return t
}

// procStat is the fields of /proc/pid/stat after the command's name
// (state, ppid, ...), or nil.
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// procCPU is a process's user and system time (clock ticks of 10 ms).
func procCPU(pid int) time.Duration {
	f := procStat(pid)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}
