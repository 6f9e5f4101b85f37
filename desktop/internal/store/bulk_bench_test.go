package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// BenchmarkKVListSorted sorts a window's keys as WriteBulk gets them: for
// each of 32,768 operations of 6,000 records, its operation and history
// keys (a record's operations together), then each record's state, index
// row and search text; the records in no order, or in the order of their
// ids (one laptop's records, whose ids are time-ordered, as a first pull
// of what one laptop pushed brings them).
func BenchmarkKVListSorted(b *testing.B) {
	b.Run("records in no order", func(b *testing.B) { benchmarkKVListSorted(b, false) })
	b.Run("records in order", func(b *testing.B) { benchmarkKVListSorted(b, true) })
}

func benchmarkKVListSorted(b *testing.B, ordered bool) {
	r := rand.New(rand.NewPCG(1, 2))
	var in kvList
	recs := make([]string, 6000)
	for i := range recs {
		recs[i] = fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64())
	}
	if ordered {
		slices.Sort(recs)
	}
	v := make([]byte, 300)
	for i := range 32768 {
		rec := recs[i*len(recs)/32768]
		at := r.Uint64()
		if ordered {
			at = uint64(1000 + i)
		}
		in = append(in, kvEntry{k: opKey("0b1c2d3e4f5a6b7c", uint64(i+1)), v: v})
		in = append(in, kvEntry{k: historyKey("appeal", rec, at, "0b1c2d3e4f5a6b7c", uint64(i+1)), v: v[:30]})
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

// BenchmarkWriteBulk writes a window as records' bulk load does, into a
// new encrypted store each time: 32,768 operations of 6,000 records (a
// record's operations together, about 300 bytes each), then each record's
// state, index row and search text, in two WriteBulks.
func BenchmarkWriteBulk(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var ops, states []Write
	recs := make([]changeset.State, 6000)
	text := strings.Repeat("Ат-Башы коомдук кеңеши ", 6)
	for i := range 32768 {
		st := &recs[i*len(recs)/32768]
		id := fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64())
		if st.ID != "" {
			id = st.ID
		}
		op := &changeset.Op{Device: "0b1c2d3e4f5a6b7c", Seq: uint64(i + 1), HLC: hlc.Timestamp(1000 + i), Kind: "appeal", Record: id,
			Action: changeset.ActionUpdate, Author: "staff", Council: "NRN-ATB", Fields: map[string]changeset.Change{
				"summary": {Value: json.RawMessage(`"` + text + `"`)}, "status": {Value: json.RawMessage(`"received"`)}}}
		if _, _, err := st.Apply(op); err != nil {
			b.Fatal(err)
		}
		ops = append(ops, Write{Op: op})
	}
	for i := range recs {
		states = append(states, Write{State: &recs[i], IndexRow: []byte(text), SearchText: []byte(text)})
	}
	ctx := context.Background()
	key := make([]byte, 32)
	for b.Loop() {
		b.StopTimer()
		s, err := Open(ctx, b.TempDir(), key, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := s.WriteBulk(ctx, ops); err != nil {
			b.Fatal(err)
		}
		if err := s.WriteBulk(ctx, states); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
