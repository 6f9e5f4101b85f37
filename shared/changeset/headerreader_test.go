package changeset

import (
	"reflect"
	"testing"
)

// headerStates are encoded states one after another as a server reads
// their headers: the same council's and device's, another's, a JSON one,
// damaged ones.
func headerStates(t testing.TB) [][]byte {
	enc, _ := demoState(t)
	s, err := DecodeState(enc)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	add := func(change func(*State)) {
		c := *s
		change(&c)
		b, err := c.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	add(func(*State) {})
	add(func(c *State) { c.ID = "01JREC0000000000000000000B" })
	add(func(c *State) { c.Council, c.Updated = "OSH-ARA", c.Updated+5 })
	add(func(c *State) { c.Author, c.Device = "другой", "01JDEVB0000000000000000000" })
	add(func(c *State) { c.Kind, c.Council, c.Author = "event", "", "" })
	add(func(*State) {})
	out = append(out, []byte(`{"kind":"appeal","id":"x","fields":{}}`), enc[:5], nil, []byte{binaryV1})
	add(func(*State) {})
	return out
}

// A HeaderReader reads each state's header as StateHeader does, whatever
// it read before, and a change made to what it gave does not last.
func TestHeaderReader(t *testing.T) {
	var h HeaderReader
	for round := range 2 {
		for i, b := range headerStates(t) {
			want, werr := StateHeader(b)
			got, gerr := h.Read(b)
			if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, state %d: Read = %+v, %v; StateHeader = %+v, %v", round, i, got, gerr, want, werr)
			}
			if got != nil {
				got.Council, got.Updated = "changed", 1 // the caller's to change, until the next Read
			}
		}
	}
}

// FuzzHeaderReader: two states read one after the other, each as
// StateHeader reads it.
func FuzzHeaderReader(f *testing.F) {
	states := headerStates(f)
	for i := range states {
		f.Add(states[i], states[(i+1)%len(states)])
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var h HeaderReader
		for _, data := range [][]byte{a, b, a} {
			want, werr := StateHeader(data)
			got, gerr := h.Read(data)
			if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("Read(%q) = %+v, %v; StateHeader = %+v, %v", data, got, gerr, want, werr)
			}
		}
	})
}

// BenchmarkStateHeader reads the headers of a council's states, as a
// server judging a spread backlog does: StateHeader, or a HeaderReader.
func BenchmarkStateHeader(b *testing.B) {
	states := headerStates(b)[:4]
	b.Run("StateHeader", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range states {
				if _, err := StateHeader(s); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("HeaderReader", func(b *testing.B) {
		b.ReportAllocs()
		var h HeaderReader
		for b.Loop() {
			for _, s := range states {
				if _, err := h.Read(s); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
