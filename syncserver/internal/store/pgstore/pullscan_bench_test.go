package pgstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/ingest"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/storetest"
)

// BenchmarkPullRows is the pull's query as a laptop of the 500 (syncbench
// -parts load) makes it: the rows of its council's last 24 change sets of
// 5 operations, each pushed by another laptop, read with their operations
// (the tail not asked). cpu-µs/op is this process's CPU a pull: the
// query's round trip and the rows' scanning, not PostgreSQL's side.
func BenchmarkPullRows(b *testing.B) {
	ctx := context.Background()
	st := open(b, pgtest.URL(b))
	g, err := ingest.Open(ctx, st, ingest.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	const council = "NRN-ATB"
	for i := range 24 {
		dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: council}
		body, err := syncproto.AppendSyncRequest(nil, &syncproto.SyncRequest{Proto: 2, Device: dev.ID, Ops: storetest.NewDemoOps(dev.ID).Next(5)})
		if err != nil {
			b.Fatal(err)
		}
		_, ops, err := syncproto.DecodeSyncRequestOps(body)
		if err != nil {
			b.Fatal(err)
		}
		if res, err := g.PushOps(ctx, dev, ops); err != nil || len(res.Refused) > 0 {
			b.Fatalf("change set %d: %v %+v", i, err, res)
		}
	}
	query := fmt.Sprintf(pullRows, pullOne)
	args := []any{int64(0), nil, "another laptop", int64(200), int64(200), int64(0), council}
	var rs []logRow
	cpu0 := cpuTime()
	for b.Loop() {
		if rs, err = st.pullRows(ctx, query, args, rs); err != nil {
			b.Fatal(err)
		}
		if len(rs) != 24 || len(rs[0].raw) != 5 {
			b.Fatalf("%d rows, the first of %d operations; want 24 of 5", len(rs), len(rs[0].raw))
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
