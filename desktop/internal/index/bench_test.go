package index

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// benchRows are 100,000 rows shaped like demo appeals: a few short fields
// and about 400 bytes of folded search text from a large vocabulary.
func benchRows(n int) []*Row {
	r := rand.New(rand.NewPCG(1, 1))
	vocab := make([]string, 20000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("сөз%dжер", i)
	}
	rows := make([]*Row, n)
	for i := range rows {
		var b strings.Builder
		for b.Len() < 400 {
			b.WriteString(vocab[int(r.ExpFloat64()*2000)%len(vocab)])
			b.WriteByte(' ')
		}
		rows[i] = &Row{Kind: "appeal", ID: fmt.Sprintf("01a2%08d-0000-7000-8000-000000000000", i), Council: fmt.Sprintf("C%02d", r.IntN(21)),
			Oblast: fmt.Sprintf("KG-%d", r.IntN(9)), Status: fmt.Sprintf("s%d", r.IntN(8)), Category: fmt.Sprintf("c%d", r.IntN(12)),
			Date: fmt.Sprintf("2026-%02d-%02d", 1+r.IntN(12), 1+r.IntN(28)), Title: "Жер үлүшү тартылып алынды", RegNo: "NRN-ATB-2026-K7QH-0042",
			Search: Fold(b.String())}
	}
	return rows
}

// BenchmarkLoad100k is the index's part of opening a store: putting
// 100,000 stored rows.
func BenchmarkLoad100k(b *testing.B) {
	src := benchRows(100_000)
	for b.Loop() {
		b.StopTimer()
		rows := make([]*Row, len(src))
		for i, r := range src {
			cp := *r
			rows[i] = &cp
		}
		ix := New()
		b.StartTimer()
		if err := ix.Put(rows...); err != nil {
			b.Fatal(err)
		}
	}
}
