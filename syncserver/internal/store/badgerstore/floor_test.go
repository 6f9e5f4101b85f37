package badgerstore

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
//   - kenesh: what the server wrote (format 1, before the batched log of
//     format 2, which is close to "batched") for a demo appeal pushed as five
//     operations: five log entries (the creation, 900 bytes, then four
//     workflow steps of 170), five judgements (50), five pull index entries
//     (the author, 26) and the record's merged state (1.2 KB). Sizes are
//     those of the storage encoding of syncserver/internal/ingest's
//     benchmark operations.
//   - log+state: the same without the per-operation judgements and pull
//     index entries.
//   - coalesced: the five operations as one (1.1 KB), with one judgement,
//     one index entry and the state.
//   - batched: the state of each record, and for each transaction of 400
//     records one log entry holding all their operations (in Badger's value
//     log: values from 64 KiB on go there, written once, not compacted), one
//     judgement entry and one index entry.
//
// The push benchmark of BENCHMARKS.md compares its records/s with these:
// the number of entries weighs more than their bytes.
func BenchmarkFloor(b *testing.B) {
	for _, tc := range []struct {
		name  string
		sizes []int // of the log entries of one record ("doc": the document)
		// judged: a judgement and a pull index entry per log entry
		judged bool
		// batched: the log entries of a transaction's records as one
		// entry, with one judgement and one index entry for them all
		batched bool
	}{
		{"doc", []int{1100}, false, false},
		{"kenesh", []int{900, 170, 170, 170, 170}, true, false},
		{"log+state", []int{900, 170, 170, 170, 170}, false, false},
		{"coalesced", []int{1100}, true, false},
		{"batched", []int{900, 170, 170, 170, 170}, true, true},
	} {
		put := func(x *txn, rec int, v []byte) error {
			const dev = "01KB3Z8YJ4Q2W7N5X0T6R9V1MD"
			for i, size := range tc.sizes {
				if tc.batched {
					break
				}
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
			var o Options
			if tc.batched {
				o.valueThreshold = 64 << 10 // the batches go to the value log, written once
			}
			s, err := Open(ctx, b.TempDir(), o)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			raw := make([]byte, 900)
			rand.Read(raw)
			v := []byte(base64.StdEncoding.EncodeToString(raw)) // 1,200 bytes
			perRecord := 0
			for _, n := range tc.sizes {
				perRecord += n
			}
			raw = make([]byte, 400*perRecord*3/4)
			rand.Read(raw)
			batch := []byte(base64.StdEncoding.EncodeToString(raw))
			b.ResetTimer()
			for i := 0; i < b.N; i += 400 {
				err := s.update(ctx, func(x *txn) error {
					n := min(i+400, b.N) - i
					for rec := i; rec < i+n; rec++ {
						if err := put(x, rec, v); err != nil {
							return err
						}
					}
					if !tc.batched {
						return nil
					}
					seq := uint64(i + 1)
					if err := x.set(logKey(seq), batch[:n*perRecord]); err != nil {
						return err
					}
					if err := x.set(devOpKey("01KB3Z8YJ4Q2W7N5X0T6R9V1MD", seq), batch[:n*len(tc.sizes)*10]); err != nil {
						return err
					}
					return x.set(pullKey("NRN-ATB", seq), batch[:40])
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
