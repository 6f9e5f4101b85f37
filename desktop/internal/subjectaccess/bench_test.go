package subjectaccess

import (
	"io"
	"testing"
)

// BenchmarkWritePDF prints the sample (three appeals, an event, five
// pages) in Kyrgyz.
func BenchmarkWritePDF(b *testing.B) {
	d, err := Build(sample(), Options{Language: "ky"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WritePDF(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}
