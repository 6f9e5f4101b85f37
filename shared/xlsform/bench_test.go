package xlsform

import (
	"encoding/json"
	"os"
	"testing"
)

// BenchmarkRead reads the council needs assessment's workbook (15
// questions in 3 groups, 23 choices, three languages): a laptop publishing
// it, or keneshctl form publish.
func BenchmarkRead(b *testing.B) {
	data, err := os.ReadFile("testdata/council_needs.xlsx")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode reads the same form from its JSON, as every laptop and
// the server do for each response they check.
func BenchmarkDecode(b *testing.B) {
	data, _ := os.ReadFile("testdata/council_needs.xlsx")
	f, err := Read(data)
	if err != nil {
		b.Fatal(err)
	}
	js, _ := json.Marshal(f)
	b.SetBytes(int64(len(js)))
	for b.Loop() {
		if _, err := Decode(js); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck checks a whole valid response: what a save, and the
// server for each operation of a response, cost beyond decoding.
func BenchmarkCheck(b *testing.B) {
	data, _ := os.ReadFile("testdata/council_needs.xlsx")
	f, err := Read(data)
	if err != nil {
		b.Fatal(err)
	}
	var a Answers
	if err := json.Unmarshal([]byte(validNeeds), &a); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := f.Check(a, checkDay); err != nil {
			b.Fatal(err)
		}
	}
}
