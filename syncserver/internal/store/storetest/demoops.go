package storetest

import (
	"encoding/json"
	"fmt"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// DemoOps makes a council laptop's operations as the demo data makes
// them: an appeal's creation with its ~20 fields, then five workflow
// steps, each a field of two that names the step before it. Benchmarks of
// the push (ingest's and each engine's) take their operations from it, so
// that their figures are of the same work.
type DemoOps struct {
	dev  string
	hlc  uint64
	seq  uint64
	i    int
	rec  string
	last uint64
}

// NewDemoOps starts device dev's operations at sequence 1.
func NewDemoOps(dev string) *DemoOps { return &DemoOps{dev: dev, hlc: 117677491360104448} }

// Next makes the next n operations.
func (g *DemoOps) Next(n int) []syncproto.WireOp {
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
