package changeset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/kenesh/kenesh/shared/hlc"
)

// checkMergeEncoded runs op into enc both ways, MergeEncoded and
// DecodeState + MergeConflicts + AppendBinary, and fails t unless they
// agree: the same error or none, the same conflicts, an encoding that
// decodes to the same state, and the very same bytes when enc is
// canonical (AppendBinary's output for the state it decodes to). It
// returns how MergeEncoded merged.
func checkMergeEncoded(t testing.TB, enc []byte, op *Op) Fallback {
	t.Helper()
	orig := bytes.Clone(enc)
	prefix := []byte("prefix")
	got, gotC, why, err := MergeEncoded(bytes.Clone(prefix), enc, op)
	if !bytes.Equal(enc, orig) {
		t.Fatalf("MergeEncoded changed its input (%v)", why)
	}
	if !bytes.HasPrefix(got, prefix) {
		t.Fatalf("MergeEncoded did not append to dst (%v): %q", why, got)
	}
	got = got[len(prefix):]
	s, derr := DecodeState(orig)
	var wantC []Conflict
	if derr == nil {
		canonical := false
		if again, _ := s.AppendBinary(nil); bytes.Equal(again, orig) {
			canonical = true
		}
		if wantC, derr = s.MergeConflicts(op); derr == nil {
			want, _ := s.AppendBinary(nil)
			if err != nil {
				t.Fatalf("MergeEncoded (%v): %v; the merge: none", why, err)
			}
			if canonical && !bytes.Equal(got, want) {
				t.Fatalf("MergeEncoded (%v) of a canonical state:\n got %q\nwant %q", why, got, want)
			}
			gs, err := DecodeState(got)
			if err != nil {
				t.Fatalf("MergeEncoded (%v) wrote what does not decode: %v", why, err)
			}
			if again, _ := gs.AppendBinary(nil); !bytes.Equal(again, want) {
				t.Fatalf("MergeEncoded (%v) decodes to another state:\n got %q\nwant %q", why, again, want)
			}
		}
	}
	if (err == nil) != (derr == nil) {
		t.Fatalf("MergeEncoded (%v): error %v; decoded and merged: %v", why, err, derr)
	}
	if err != nil && why == Direct {
		t.Fatalf("MergeEncoded failed (%v) without falling back", err)
	}
	// MergeEncodedHas: the same merge, and whether it holds a field,
	// as HasField reads it in the result.
	for _, name := range append([]string{"", "published", "status", "zz", "a", "b", "council", "items/1", "village"}, slices.Collect(maps.Keys(op.Fields))...) {
		hgot, _, has, herr := MergeEncodedHas(bytes.Clone(prefix), orig, op, name)
		if (herr == nil) != (err == nil) || !bytes.Equal(hgot[len(prefix):], got) {
			t.Fatalf("MergeEncodedHas(%q) (%v) merged otherwise: %q, %v; MergeEncoded: %q, %v", name, why, hgot, herr, got, err)
		}
		if want := err == nil && name != "" && HasField(got, name); has != want {
			t.Fatalf("MergeEncodedHas(%q) (%v) = %v, HasField of the merged state: %v", name, why, has, want)
		}
	}
	key := func(c Conflict) string { return fmt.Sprintf("%+v", c) }
	gk, wk := make([]string, 0, len(gotC)), make([]string, 0, len(wantC))
	for _, c := range gotC {
		gk = append(gk, key(c))
	}
	for _, c := range wantC {
		wk = append(wk, key(c))
	}
	slices.Sort(gk)
	slices.Sort(wk)
	if !slices.Equal(gk, wk) {
		t.Fatalf("MergeEncoded (%v): conflicts %v, want %v", why, gk, wk)
	}
	return why
}

// demoState is the demo appeal created and stepped, encoded.
func demoState(t testing.TB) ([]byte, *Op) {
	create, step := demoAppeal()
	var st State
	if err := st.Merge(create); err != nil {
		t.Fatal(err)
	}
	if err := st.Merge(step); err != nil {
		t.Fatal(err)
	}
	enc, _ := st.AppendBinary(nil)
	return enc, step
}

// TestMergeEncoded: the common cases are merged on the encoding, each
// other case falls back for the reason it names, and both ways agree.
func TestMergeEncoded(t *testing.T) {
	enc, step := demoState(t)
	devB := "01JDEVB0000000000000000000"
	// twoDevs: the demo state with "village" (the last field but one) by
	// device B.
	var twoDevs []byte
	{
		s, _ := DecodeState(enc)
		op := *step
		op.Device, op.Seq, op.HLC = devB, 1, step.HLC+5
		op.Fields = map[string]Change{"village": {Value: json.RawMessage(`"Кара-Суу"`), Base: step.HLC}}
		if err := s.Merge(&op); err != nil {
			t.Fatal(err)
		}
		twoDevs, _ = s.AppendBinary(nil)
	}
	next := func(dev string, dt int64, fields map[string]Change) *Op {
		op := *step
		op.Device, op.Seq, op.HLC, op.Fields = dev, 9, hlc.Timestamp(int64(step.HLC)+dt), fields
		return &op
	}
	v := func(s string) Change { return Change{Value: json.RawMessage(strconv.Quote(s)), Base: step.HLC + 100} }
	create, _ := demoAppeal()
	other := next(step.Device, 3, map[string]Change{"status": v("x")})
	other.Record = "01JREC0000000000000000000B"
	jsonState, _ := json.Marshal(func() *State { s, _ := DecodeState(enc); return s }())
	many := map[string]Change{}
	for i := range 20 {
		many["f"+strconv.Itoa(i)] = v("v")
	}
	cases := []struct {
		name string
		enc  []byte
		op   *Op
		want Fallback
	}{
		{"a step: one field rewritten, one added", enc, next(step.Device, 3, map[string]Change{"status": v("answered"), "answered_on": v("2026-05-02")}), Direct},
		{"the step again", enc, step, Direct},
		{"added at the end", enc, next(step.Device, 3, map[string]Change{"zz": v("z")}), Direct},
		{"added first", enc, next(step.Device, 3, map[string]Change{"a": v("z")}), Direct},
		{"no fields", enc, next(step.Device, 3, nil), Direct},
		{"twenty fields", enc, next(step.Device, 3, many), Direct},
		{"an older write its winner saw", enc, next(step.Device, -1, map[string]Change{"status": {Value: json.RawMessage(`"old"`)}}), Direct},
		{"a new device after the first", enc, next(devB, 3, map[string]Change{"status": v("answered")}), Direct},
		{"a new device's lost write, not listed", enc, next(devB, -1, map[string]Change{"status": {Value: json.RawMessage(`"old"`)}}), Direct},
		{"a second device's field again", twoDevs, next(devB, 7, map[string]Change{"village": v("Ак-Суу")}), Direct},
		{"a second device's only field taken", twoDevs, next(step.Device, 7, map[string]Change{"village": v("Ак-Суу")}), FallbackDevices},
		{"a second device met earlier", twoDevs, next(devB, 7, map[string]Change{"age_group": v("18_35")}), FallbackDevices},
		{"a new device first", enc, next(devB, 3, map[string]Change{"age_group": v("18_35")}), FallbackDevices},
		{"a concurrent write that wins", enc, next(devB, 3, map[string]Change{"status": {Value: json.RawMessage(`"closed"`)}}), FallbackConflict},
		{"a concurrent write that loses", enc, next("00DEV", -1, map[string]Change{"village": {Value: json.RawMessage(`"Кара-Суу"`)}}), FallbackConflict},
		{"the creation again", enc, create, Direct},
		{"an earlier creation", enc, func() *Op { c := *create; c.HLC--; return &c }(), FallbackHeader},
		{"a value to compact", enc, next(step.Device, 3, map[string]Change{"vulnerable_groups": {Value: json.RawMessage(`[ "x" ]`), Base: step.HLC}}), FallbackValue},
		{"another record", enc, other, FallbackRecord},
		{"a JSON state", jsonState, next(step.Device, 3, map[string]Change{"status": v("x")}), FallbackJSON},
		{"damaged", enc[:len(enc)-3], next(step.Device, 3, map[string]Change{"status": v("x")}), FallbackDamaged},
		{"bytes left over", append(bytes.Clone(enc), 0), next(step.Device, 3, map[string]Change{"status": v("x")}), FallbackDamaged},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := checkMergeEncoded(t, c.enc, c.op); got != c.want {
				t.Fatalf("merged %v, want %v", got, c.want)
			}
		})
	}
}

// mergeGen makes states and operations of a few names, devices, clocks
// and values from a fuzzer's bytes, so that merges meet each other's
// fields, devices and clocks.
type mergeGen struct{ b []byte }

func (g *mergeGen) next() byte {
	if len(g.b) == 0 {
		return 0
	}
	c := g.b[0]
	g.b = g.b[1:]
	return c
}

var (
	genNames  = []string{"a", "b", "council", "items/1", "status", "zz"}
	genDevs   = []string{"A", "B", "C", "0"}
	genValues = []string{`"x"`, `"y"`, `1`, `null`, `true`, `"ң ө"`, `[1, 2]`, `""`}
)

func (g *mergeGen) op() *Op {
	c := g.next()
	op := &Op{Device: genDevs[int(c)%len(genDevs)], Seq: uint64(g.next() % 3), HLC: hlc.Timestamp(g.next() % 8),
		Kind: "appeal", Record: "r", Author: "au", Action: ActionUpdate}
	if c&0x10 != 0 {
		op.Action, op.Council = ActionCreate, "NRN"
	}
	if c&0x20 != 0 {
		op.Council = "TLS"
	}
	if c&0x40 != 0 {
		op.Record = "s"
	}
	n := int(g.next() % 4)
	op.Fields = make(map[string]Change, n)
	for range n {
		name := genNames[int(g.next())%len(genNames)]
		op.Fields[name] = Change{Value: json.RawMessage(genValues[int(g.next())%len(genValues)]), Base: hlc.Timestamp(g.next() % 8)}
	}
	return op
}

// FuzzMergeEncoded: on random states (the merges of random operations,
// encoded, and sometimes a byte of the encoding changed) and a random
// operation, MergeEncoded and decoding, merging and encoding agree
// (checkMergeEncoded).
func FuzzMergeEncoded(f *testing.F) {
	f.Add([]byte{3, 0, 1, 1, 2, 4, 0, 1, 1, 5, 2, 2, 4, 3, 3, 1, 2, 0, 0, 0, 0})
	f.Add([]byte{2, 0x10, 1, 2, 3, 0, 0, 1, 1, 1, 2, 2, 1, 4, 4, 2, 2, 6, 0})
	f.Add([]byte{5, 1, 1, 1, 1, 4, 4, 1, 2, 2, 2, 1, 4, 1, 2, 3, 3, 3, 3, 1, 3, 3, 0, 0, 5, 1, 1, 0, 0, 0, 7, 2, 2, 1, 3})
	f.Add([]byte{0x84, 1, 1, 1, 1, 4, 4, 1, 40, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &mergeGen{b: data}
		c := g.next()
		var s State
		for range int(c % 8) {
			_ = s.Merge(g.op()) // one of another record is refused
		}
		enc, _ := s.AppendBinary(nil)
		if c&0x80 != 0 && len(enc) > 0 {
			// A byte changed: damaged, or not as AppendBinary writes.
			enc[int(g.next())%len(enc)] = g.next()
		}
		checkMergeEncoded(t, enc, g.op())
	})
}

// BenchmarkMergeEncoded: a step of two fields (one rewritten, one added)
// merged into the demo appeal's encoded state, as a server judging a
// spread push merged it (decoded, merged, encoded) and on the encoding.
func BenchmarkMergeEncoded(b *testing.B) {
	enc, step := demoState(b)
	next := *step
	next.Seq, next.HLC = 3, step.HLC+1
	next.Fields = map[string]Change{"status": {Value: json.RawMessage(`"answered"`), Base: step.HLC}, "answered_on": {Value: json.RawMessage(`"2026-05-02"`)}}
	if why := checkMergeEncoded(b, enc, &next); why != Direct {
		b.Fatalf("merged %v", why)
	}
	buf := make([]byte, 0, 4096)
	b.Run("decode-merge-encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, _ := DecodeState(enc)
			_, _ = s.MergeConflicts(&next)
			buf, _ = s.AppendBinary(buf[:0])
		}
	})
	b.Run("encoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _, _, _ = MergeEncoded(buf[:0], enc, &next)
		}
	})
	// And whether the result holds "published", as the server asks:
	// read again (HasField), or from the merge's read (MergeEncodedHas).
	b.Run("encoded-then-hasfield", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _, _, _ = MergeEncoded(buf[:0], enc, &next)
			_ = HasField(buf, "published")
		}
	})
	b.Run("encoded-has", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _, _, _ = MergeEncodedHas(buf[:0], enc, &next, "published")
		}
	})
}
