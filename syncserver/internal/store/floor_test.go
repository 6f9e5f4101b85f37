package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"testing"
)

// BenchmarkFloor is the least a durable push can cost in this store: each
// record written once, as one 1.1 KB value (the size of a demo appeal as a
// JSON document), 400 records per fsynced transaction, nothing decoded,
// judged, merged or indexed. b.N is records. The push benchmark of
// BENCHMARKS.md compares its records/s against this.
func BenchmarkFloor(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	raw := make([]byte, 825)
	rand.Read(raw)
	doc := []byte(base64.StdEncoding.EncodeToString(raw)) // 1,100 bytes that do not compress
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	for i := 0; i < b.N; i += 400 {
		err := s.Update(ctx, func(x *Txn) error {
			for j := i; j < min(i+400, b.N); j++ {
				if err := x.set(logKey(uint64(j+1)), doc); err != nil {
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
}
