package syncer

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// benchLaptop is a laptop's store, records and syncer in b's temporary
// directory (made here, not with newLaptop, so that the benchmarks also
// run on older code, for before-and-after figures).
func benchLaptop(b *testing.B, name string) (*records.Service, *Syncer) {
	b.Helper()
	ctx := context.Background()
	key := make([]byte, 32)
	rand.Read(key)
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), name), key, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := records.Init(ctx, st, name); err != nil {
		b.Fatal(err)
	}
	svc, err := records.Open(ctx, st, records.Options{})
	if err != nil {
		b.Fatal(err)
	}
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		b.Fatal(err)
	}
	return svc, New(svc, codec)
}

// BenchmarkPushAndFirstPull: a laptop pushes 200 demo appeals with their
// workflow steps (about 1,000 operations) to the real server, and a new
// laptop of the council pulls them at its enrollment; per operation.
// Run with -benchtime Nx: each round makes its own laptops.
func BenchmarkPushAndFirstPull(b *testing.B) {
	ctx := context.Background()
	srv := startServer(b)
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	var push, pull float64
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		svc, sy := benchLaptop(b, fmt.Sprintf("push-%d", round))
		if _, _, err := sy.Enroll(ctx, srv.URL, srv.enrollCode("NRN-ATB", "secretary", "push")); err != nil {
			b.Fatal(err)
		}
		if _, err := demo.Generate(ctx, svc, demo.Options{Appeals: 200, Seed: uint64(round)}); err != nil {
			b.Fatal(err)
		}
		ops := svc.Seq()
		b.StartTimer()
		sum, err := sy.SyncOnce(ctx)
		if err != nil || sum.Acked != ops {
			b.Fatalf("push: %v %+v", err, sum)
		}
		push += sum.Seconds / float64(ops)
		_, reader := benchLaptop(b, fmt.Sprintf("pull-%d", round))
		_, first, err := reader.Enroll(ctx, srv.URL, srv.enrollCode("NRN-ATB", "secretary", "pull"))
		if err != nil || first.Received == 0 {
			b.Fatalf("first pull: %v %+v", err, first)
		}
		pull += first.Seconds / float64(first.Received)
	}
	b.ReportMetric(push/float64(round)*1e6, "µs-push/op")
	b.ReportMetric(pull/float64(round)*1e6, "µs-pull/op")
}
