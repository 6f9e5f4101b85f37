package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// BenchmarkPushSpread pushes a spread backlog's later steps, as
// syncbench -spread does: 5,000 appeals created first (not timed), then
// change sets of 500 updates, each of a record far from the last one's
// (shuffled passes over them all): a status and its note, and every
// third a consultation (an item). Nearly every operation is judged on its
// state's encoding (mergeEncoded). b.N is the number of updates;
// cpu-µs/op is this process's CPU (Badger's goroutines too) during the
// pushes alone.
func BenchmarkPushSpread(b *testing.B) {
	ctx := context.Background()
	_, g := newIngester(b, badgerstore.Options{}, nil)
	if _, err := g.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
		b.Fatal(err)
	}
	dev := &store.Device{ID: domain.NewID(), Name: "secretary laptop", Role: domain.RoleSecretary, Council: "NRN-ATB"}
	clock := hlc.NewClock(0, time.Now)
	var seq uint64
	wop := func(id, action string, fields map[string]any) syncproto.WireOp {
		seq++
		// The laptop saw everything before (its own writes): no conflict.
		base := uint64(clock.Now())
		wf := make(map[string]syncproto.WireChange, len(fields))
		for k, v := range fields {
			raw, err := json.Marshal(v)
			if err != nil {
				b.Fatal(err)
			}
			wf[k] = syncproto.WireChange{V: raw, B: base}
		}
		return syncproto.WireOp{Device: dev.ID, Seq: seq, HLC: uint64(clock.Now()), Kind: domain.KindAppeal, Record: id,
			Council: "NRN-ATB", Action: action, Author: dev.Name, Fields: wf}
	}
	push := func(ops []syncproto.WireOp) {
		res, err := g.Push(ctx, dev, ops)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Refused) > 0 {
			b.Fatal(res.Refused[0].Message)
		}
	}
	ids := make([]string, 5000)
	var ops []syncproto.WireOp
	for i := range ids {
		ids[i] = domain.NewID()
		ops = append(ops, wop(ids[i], "create", appealFields(fmt.Sprintf("NRN-ATB-2026-K7QH-%04d", i+1))))
		if len(ops) == 500 {
			push(ops)
			ops = ops[:0]
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	order := rng.Perm(len(ids))
	next := 0
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i += 500 {
		b.StopTimer()
		ops = ops[:0]
		for range min(500, b.N-i) {
			if next == len(order) {
				order, next = rng.Perm(len(ids)), 0
			}
			id := ids[order[next]]
			fields := map[string]any{"status": "in_progress", "status_note": fmt.Sprintf("step %d", i+len(ops))}
			if (i+len(ops))%3 == 0 {
				item := domain.NewID()
				fields["consultations/"+item] = map[string]any{"id": item, "at_status": "received", "consultant": "Асанов Б.", "on": "2026-11-10",
					"summary": "Райондук ооруканага жолдомо берилди."}
			}
			ops = append(ops, wop(id, "update", fields))
			next++
		}
		b.StartTimer()
		cpu0 := cpuTime()
		push(ops)
		cpu += cpuTime() - cpu0
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}
