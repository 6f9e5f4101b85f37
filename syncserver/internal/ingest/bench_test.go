package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// benchOps makes n operations of a council's laptop as the demo data makes
// them: an appeal's creation with its ~20 fields, then workflow steps.
func benchOps(dev string, n int) []syncproto.WireOp {
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	ops := make([]syncproto.WireOp, 0, n)
	hlc := uint64(117677491360104448)
	var rec string
	var last uint64
	steps := []string{"under_review", "fact_checking", "verified", "referred", "answered", "closed"}
	for i := 0; len(ops) < n; i++ {
		hlc++
		seq := uint64(len(ops) + 1)
		k := i % 6
		if k == 0 {
			rec = domain.NewID()
			ops = append(ops, syncproto.WireOp{Device: dev, Seq: seq, HLC: hlc, Kind: "appeal", Record: rec, Council: "NRN-ATB", Action: "create", Author: "bench",
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
			ops = append(ops, syncproto.WireOp{Device: dev, Seq: seq, HLC: hlc, Kind: "appeal", Record: rec, Council: "NRN-ATB", Action: "update", Author: "bench",
				Fields: map[string]syncproto.WireChange{"status": {V: raw(steps[k-1]), B: last}, "verified_on": {V: raw("2026-04-14")}}})
		}
		last = hlc
	}
	return ops
}

// BenchmarkPush pushes change sets of 500 operations, as a laptop far
// behind does, into a store on disk. b.N is the number of operations.
func BenchmarkPush(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	g, err := Open(ctx, st, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	dev := &store.Device{ID: domain.NewID(), Role: syncproto.RoleSecretary, Council: "NRN-ATB"}
	ops := benchOps(dev.ID, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < len(ops); i += 500 {
		res, err := g.Push(ctx, dev, ops[i:min(i+500, len(ops))])
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Refused) > 0 {
			b.Fatal(res.Refused[0].Message)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	// CPU per operation (this process, Badger's goroutines included): what
	// a shared machine measures more steadily than wall time.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
