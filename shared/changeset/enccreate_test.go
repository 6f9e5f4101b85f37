package changeset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/kenesh/kenesh/shared/hlc"
)

// checkCreated fails t unless a Created of create (encoded in enc) with
// later merged into it gives what a State does: the same header at each
// step, the same conflicts and errors, the same fields, and the same
// encoding, byte for byte. NewCreated must take every creation given with
// its own encoding; it reports whether it took this one.
func checkCreated(t testing.TB, create *Op, enc []byte, later []*Op) bool {
	t.Helper()
	orig := bytes.Clone(enc)
	c, err := NewCreated(create, enc)
	if err != nil {
		if own, _ := create.AppendBinary(nil); create.Action == ActionCreate && bytes.Equal(own, enc) {
			t.Fatalf("NewCreated refused a creation with its own encoding: %v", err)
		}
		return false
	}
	var s State
	if _, err := s.MergeConflicts(create); err != nil {
		t.Fatalf("NewCreated took a creation the merge refuses (%v)", err)
	}
	check := func(step string) {
		t.Helper()
		h := s
		h.Fields, h.order = nil, nil
		if got := *c.Header(); !reflect.DeepEqual(got, h) {
			t.Fatalf("%s: header %+v, want %+v", step, *c.Header(), h)
		}
		prefix := []byte("prefix")
		got, err := c.AppendBinary(bytes.Clone(prefix))
		if err != nil || !bytes.HasPrefix(got, prefix) {
			t.Fatalf("%s: AppendBinary: %v, %q", step, err, got)
		}
		want, _ := s.AppendBinary(nil)
		if !bytes.Equal(got[len(prefix):], want) {
			t.Fatalf("%s: AppendBinary\n got %q\nwant %q", step, got[len(prefix):], want)
		}
		for _, name := range append(slices.Collect(maps.Keys(s.Fields)), "absent", "zz") {
			if _, ok := s.Fields[name]; ok != c.HasField(name) {
				t.Fatalf("%s: HasField(%q) %v", step, name, !ok)
			}
		}
	}
	check("created")
	for i, op := range later {
		gotC, gerr := c.MergeConflicts(op)
		wantC, werr := s.MergeConflicts(op)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("op %d: error %v, want %v", i, gerr, werr)
		}
		key := func(cs []Conflict) []string {
			var out []string
			for _, c := range cs {
				out = append(out, fmt.Sprintf("%+v", c))
			}
			slices.Sort(out)
			return out
		}
		if g, w := key(gotC), key(wantC); !slices.Equal(g, w) {
			t.Fatalf("op %d: conflicts %v, want %v", i, g, w)
		}
		check(fmt.Sprintf("op %d", i))
	}
	if !bytes.Equal(enc, orig) {
		t.Fatal("Created changed the creation's encoding")
	}
	return true
}

// TestCreated: a demo appeal created and stepped, with values to compact,
// settled values, no field, a zero clock, writes that lose or conflict, a
// creation again, another record's operation; and the encodings
// NewCreated refuses (an update, another operation's, JSON, damaged,
// fields out of order).
func TestCreated(t *testing.T) {
	create, step := demoAppeal()
	enc := func(op *Op) []byte {
		b, err := op.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	raw := func(s string) Change { return Change{Value: json.RawMessage(s)} }
	next := func(dev string, seq uint64, clock hlc.Timestamp, action Action, fields map[string]Change) *Op {
		o := *step
		o.Device, o.Seq, o.HLC, o.Action, o.Fields = dev, seq, clock, action, fields
		return &o
	}
	at := create.HLC
	later := []*Op{
		step,
		next(create.Device, 3, at+2, ActionUpdate, map[string]Change{"status": {Value: json.RawMessage(`"answered"`), Base: at + 1}, "answered_on": raw(`"2026-05-02"`), "zz": raw(`[ 1, 2 ]`)}),
		next("01JDEVB0000000000000000000", 1, at+3, ActionUpdate, map[string]Change{"summary": raw(`"B's"`), "aa": raw(`{"x" : 1}`)}),    // not seen: a conflict
		next("01JDEV00000000000000000000", 1, at-5, ActionUpdate, map[string]Change{"summary": raw(`"old"`), "status_note": raw(`"n"`)}), // older: loses
		next(create.Device, 3, at+2, ActionUpdate, map[string]Change{"status": {Value: json.RawMessage(`"answered"`), Base: at + 1}}),    // the same write again
		next("01JDEV00000000000000000000", 2, at-1, ActionCreate, map[string]Change{"reg_no": raw(`"X"`)}),                               // a creation again, earlier
		next(create.Device, 4, at+9, ActionDelete, map[string]Change{DeletedField: raw(`true`)}),
	}
	other := next(create.Device, 5, at+10, ActionUpdate, map[string]Change{"a": raw(`1`)})
	other.Record = "01JREC0000000000000000000B"
	if !checkCreated(t, create, enc(create), append(later, other)) {
		t.Fatal("the demo creation: not taken")
	}
	spaced := *create
	spaced.Fields = map[string]Change{"items": raw(`[ 1, {"a" : "b c"} ]`), "name": {Value: json.RawMessage(`"Асель"`), Base: 5}}
	settles := *create
	settles.Fields = map[string]Change{"summary": {Value: json.RawMessage(`"x"`), Settles: []Version{{HLC: 3, Device: "B"}}}, "zz": raw(`null`)}
	empty := *create
	empty.Fields = map[string]Change{}
	zero := *create
	zero.HLC = 0
	noCouncil := *create
	noCouncil.Council = ""
	for name, op := range map[string]*Op{"spaced": &spaced, "settles": &settles, "empty": &empty, "zero clock": &zero, "no council": &noCouncil} {
		if !checkCreated(t, op, enc(op), later) {
			t.Errorf("%s: not taken", name)
		}
	}
	good := enc(create)
	unsorted := *create
	unsorted.Fields = map[string]Change{"a": raw(`1`), "b": raw(`2`)}
	swapped := enc(&unsorted)
	i, j := bytes.Index(swapped, []byte("\x01a")), bytes.Index(swapped, []byte("\x01b"))
	swapped = append(append(append([]byte{}, swapped[:i]...), swapped[j:]...), swapped[i:j]...) // b's field, then a's
	jsonOp, _ := json.Marshal(create)
	for name, c := range map[string]struct {
		op  *Op
		enc []byte
	}{"update": {step, enc(step)}, "another's": {create, enc(&spaced)}, "json": {create, jsonOp}, "cut": {create, good[:len(good)-2]},
		"left over": {create, append(bytes.Clone(good), 0)}, "empty": {create, nil}, "unsorted": {&unsorted, swapped}} {
		if checkCreated(t, c.op, c.enc, later) {
			t.Errorf("%s: taken", name)
		}
	}
}

// FuzzCreated: a random creation (mergeGen's) and random operations after
// it: a Created and a State agree at every step (checkCreated).
func FuzzCreated(f *testing.F) {
	f.Add([]byte{0x10, 1, 2, 3, 1, 0, 2, 3, 4, 1, 5, 6, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0x90, 1, 1, 2, 2, 1, 0, 3, 4, 5, 7, 9, 2, 0x10, 1, 1, 3, 1, 1, 0, 0})
	f.Add([]byte{0x30, 0, 0, 3, 0, 5, 1, 1, 6, 2, 2, 4, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &mergeGen{b: data}
		c := g.next()
		create := g.op()
		create.Action = ActionCreate
		if c&0x40 != 0 {
			create.HLC += hlc.Timestamp(1) << 40 // a clock of more than one byte
		}
		enc, _ := create.AppendBinary(nil)
		var later []*Op
		for range int(c % 8) {
			later = append(later, g.op())
		}
		if !checkCreated(t, create, enc, later) {
			t.Fatal("a creation with its own encoding not taken")
		}
	})
}

// BenchmarkCreated: the demo appeal created and stepped five times (two
// fields a step), then encoded, as a server judging an ordinary push
// keeps a new record: in a State (its map) and as a Created.
func BenchmarkCreated(b *testing.B) {
	create, step := demoAppeal()
	enc, _ := create.AppendBinary(nil)
	var steps []*Op
	for i := range 5 {
		o := *step
		o.Seq, o.HLC = uint64(2+i), create.HLC+hlc.Timestamp(1+i)
		o.Fields = map[string]Change{"status": {Value: json.RawMessage(fmt.Sprintf(`"s%d"`, i)), Base: o.HLC - 1}, fmt.Sprintf("step_%d_on", i): {Value: json.RawMessage(`"2026-05-02"`)}}
		steps = append(steps, &o)
	}
	buf := make([]byte, 0, 4096)
	b.Run("state", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			s := &State{}
			s.MergeConflicts(create)
			for _, o := range steps {
				s.MergeConflicts(o)
			}
			buf, _ = s.AppendBinary(buf[:0])
		}
	})
	b.Run("created", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			c, err := NewCreated(create, enc)
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range steps {
				c.MergeConflicts(o)
			}
			buf, _ = c.AppendBinary(buf[:0])
		}
	})
}
