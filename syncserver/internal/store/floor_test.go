package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"testing"
)

// BenchmarkFloor is the least a durable push of one record can cost in this
// store, with nothing decoded, judged or merged: only Badger writing bytes
// in fsynced transactions of 400 records, as a push of 2,000 operations
// does. b.N is records; the values do not compress.
//
//   - doc: each record once, as one 1.1 KB value, the size of a demo appeal
//     as a JSON document: what a document store that keeps only the last
//     version of a record writes.
//   - kenesh: what the server writes for a demo appeal pushed as five
//     operations: five log entries (the creation, 900 bytes, then four
//     workflow steps of 170), five judgements (50), five pull index entries
//     (the author, 26) and the record's merged state (1.2 KB). Sizes are
//     those of the storage encoding of syncserver/internal/ingest's
//     benchmark operations.
//   - log+state: the same without the per-operation judgements and pull
//     index entries.
//   - coalesced: the five operations as one (1.1 KB), with one judgement,
//     one index entry and the state.
//
// The push benchmark of BENCHMARKS.md compares its records/s with these:
// the number of entries weighs more than their bytes.
func BenchmarkFloor(b *testing.B) {
	for _, tc := range []struct {
		name  string
		sizes []int // of the log entries of one record ("doc": the document)
		// judged: a judgement and a pull index entry per log entry
		judged bool
	}{
		{"doc", []int{1100}, false},
		{"kenesh", []int{900, 170, 170, 170, 170}, true},
		{"log+state", []int{900, 170, 170, 170, 170}, false},
		{"coalesced", []int{1100}, true},
	} {
		put := func(x *Txn, rec int, v []byte) error {
			const dev = "01KB3Z8YJ4Q2W7N5X0T6R9V1MD"
			for i, size := range tc.sizes {
				seq := uint64(rec*len(tc.sizes) + i + 1)
				if err := x.set(logKey(seq), v[:size]); err != nil {
					return err
				}
				if !tc.judged {
					continue
				}
				if err := x.set(devOpKey(dev, seq), v[:50]); err != nil {
					return err
				}
				if err := x.set(pullKey("NRN-ATB", seq), []byte(dev)); err != nil {
					return err
				}
			}
			if tc.name == "doc" {
				return nil
			}
			return x.set(stateKey("appeal", fmt.Sprintf("01KB3Z8YJ4Q2W7N5X%09d", rec)), v[:1200])
		}
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			raw := make([]byte, 900)
			rand.Read(raw)
			v := []byte(base64.StdEncoding.EncodeToString(raw)) // 1,200 bytes
			b.ResetTimer()
			for i := 0; i < b.N; i += 400 {
				err := s.Update(ctx, func(x *Txn) error {
					for rec := i; rec < min(i+400, b.N); rec++ {
						if err := put(x, rec, v); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
