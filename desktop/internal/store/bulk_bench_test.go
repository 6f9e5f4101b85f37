package store

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkKVListSorted sorts a window's keys as WriteBulk gets them: for
// each of 32,768 operations of 6,000 records, its operation and history
// keys (a record's operations together, the records in no order), then
// each record's state, index row and search text.
func BenchmarkKVListSorted(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var in kvList
	recs := make([]string, 6000)
	for i := range recs {
		recs[i] = fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64())
	}
	v := make([]byte, 300)
	for i := range 32768 {
		rec := recs[i*len(recs)/32768]
		in = append(in, kvEntry{k: opKey("0b1c2d3e4f5a6b7c", uint64(i+1)), v: v})
		in = append(in, kvEntry{k: historyKey("appeal", rec, r.Uint64(), "0b1c2d3e4f5a6b7c", uint64(i+1)), v: v[:30]})
	}
	for _, rec := range recs {
		in = append(in, kvEntry{k: stateKey("appeal", rec), v: v}, kvEntry{k: indexKey("appeal", rec), v: v}, kvEntry{k: textKey("appeal", rec), v: v})
	}
	l := make(kvList, len(in))
	b.ResetTimer()
	for range b.N {
		copy(l, in)
		l.sorted()
	}
}
