package badgerdb

import (
	"context"
	"fmt"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// BenchmarkScan: a scan of 100,000 small values under one prefix (a
// laptop's index rows or states, the public register's appeals).
func BenchmarkScan(b *testing.B) {
	db, err := badger.Open(badger.DefaultOptions(b.TempDir()).WithLogger(nil))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	wb := db.NewWriteBatch()
	for i := range 100_000 {
		if err := wb.Set(fmt.Appendf(nil, "s:appeal:%08d", i), make([]byte, 200)); err != nil {
			b.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := db.View(func(txn *badger.Txn) error {
			return Scan(ctx, txn, []byte("s:"), func(k, v []byte) error { n += len(v); return nil })
		})
		if err != nil || n != 200*100_000 {
			b.Fatal(err, n)
		}
	}
}
