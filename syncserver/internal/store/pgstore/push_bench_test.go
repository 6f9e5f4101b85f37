package pgstore

import (
	"bytes"
	"context"
	"encoding/json"
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
	gen := &benchGen{dev: dev.ID, hlc: 117677491360104448}
	var cpu, pgCPU time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i += 1500 {
		b.StopTimer()
		body, err := syncproto.AppendSyncRequest(nil, &syncproto.SyncRequest{Proto: 2, Device: dev.ID, Ops: gen.next(min(1500, b.N-i))})
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
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(pgCPU.Microseconds())/float64(b.N), "pg-cpu-µs/op")
}

// benchGen makes a council laptop's operations as the demo data makes
// them: an appeal's creation with its ~20 fields, then workflow steps.
type benchGen struct {
	dev  string
	hlc  uint64
	seq  uint64
	i    int
	rec  string
	last uint64
}

// next makes the next n operations.
func (g *benchGen) next(n int) []syncproto.WireOp {
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	steps := []string{"under_review", "fact_checking", "verified", "referred", "answered", "closed"}
	ops := make([]syncproto.WireOp, 0, n)
	for ; len(ops) < n; g.i++ {
		g.hlc++
		g.seq++
		i, k := g.i, g.i%6
		if k == 0 {
			g.rec = domain.NewID()
			ops = append(ops, syncproto.WireOp{Device: g.dev, Seq: g.seq, HLC: g.hlc, Kind: "appeal", Record: g.rec, Council: "NRN-ATB", Action: "create", Author: "bench",
				Fields: map[string]syncproto.WireChange{
					"age_group": {V: raw("60_plus")}, "appellant": {V: raw(map[string]string{"name": "Асанова Бүбүсара", "phone": fmt.Sprintf("+996 768 %06d", i), "address": "Ак-Суу"})},
					"authority": {V: raw("health")}, "authority_name": {V: raw("Аймактык ооруканасы")}, "category": {V: raw("health")},
					"channel": {V: raw("social_network")}, "council": {V: raw("NRN-ATB")},
					"description": {V: raw("Ак-Суу айылындагы фельдшердик-акушердик пунктта бир айдан бери зарыл дарылар жок, бейтаптар райборборго барууга аргасыз.")},
					"district":    {V: raw("KG-N-ATB")}, "gender": {V: raw("female")}, "language": {V: raw("ky")}, "oblast": {V: raw("KG-N")},
					"received_on": {V: raw("2025-09-14")}, "reg_no": {V: raw(fmt.Sprintf("NRN-ATB-2025-QK5X-%04d", i))}, "registered_on": {V: raw("2025-09-14")},
					"status": {V: raw("received")}, "summary": {V: raw("ФАПта дары-дармек жок")}, "village": {V: raw("Ак-Суу")}, "vulnerable_groups": {V: raw([]string{"low_income"})},
				}})
		} else {
			ops = append(ops, syncproto.WireOp{Device: g.dev, Seq: g.seq, HLC: g.hlc, Kind: "appeal", Record: g.rec, Council: "NRN-ATB", Action: "update", Author: "bench",
				Fields: map[string]syncproto.WireChange{"status": {V: raw(steps[k-1]), B: g.last}, "verified_on": {V: raw("2026-04-14")}}})
		}
		g.last = g.hlc
	}
	return ops
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
