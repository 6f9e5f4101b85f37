package badgerstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// BenchmarkPullTail is syncbench's 500 laptops' pull, many at once: 21
// councils' laptops append change sets of 5 operations in groups of 24,
// and each pull reads its council's operations of the log's last 2,500
// (about 120; the Tail holds them) with the global index, as a council
// laptop's does, from many goroutines at once.
func BenchmarkPullTail(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, b.TempDir(), Options{Small: true, MinFree: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const councils, groups, perGroup, perSet = 21, 120, 24, 5
	seqs := map[string]uint64{}
	for g := range groups {
		err := st.Append(ctx, func(w store.LogTx) error {
			for i := range perGroup {
				c := (g*perGroup + i) % councils
				dev := fmt.Sprintf("dev-%02d-%d", c, i%24)
				council := fmt.Sprintf("C%02d", c)
				for range perSet {
					seqs[dev]++
					op := v1TestOp(dev, seqs[dev], "appeal", council)
					if _, err := w.Accept(op, store.Index{Council: council}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	head, err := st.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	after := head - 2500
	lim := store.PullLimits{MaxBytes: 1 << 20, MaxOps: 1000, Size: func(op *changeset.Op) int { return 200 }, SizeName: "bench", Names: true}
	pull := func(c int) {
		scope := store.Scope{Council: fmt.Sprintf("C%02d", c), Global: true}
		p, err := st.Pull(ctx, scope, fmt.Sprintf("dev-%02d-0", c), after, lim)
		if err != nil || len(p.Ops) < 50 {
			b.Fatalf("pull: %v, %d operations", err, len(p.Ops))
		}
	}
	for c := range councils {
		pull(c) // the Tail holds them
	}
	b.SetParallelism(50)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := 0
		for pb.Next() {
			pull(c % councils)
			c++
		}
	})
}
