package changeset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/hlc"
)

func sampleOps() []*Op {
	return []*Op{
		{Device: "01JDEVA", Seq: 1, HLC: hlc.New(1764000000000, 0), Kind: "appeal", Record: "01JREC", Council: "NRN-ATB",
			Action: ActionCreate, Author: "Асанова Бүбүсара",
			Fields: map[string]Change{
				"summary":            {Value: json.RawMessage(`"ФАПта дары-дармек жок: ң ө ү"`)},
				"appellant":          {Value: json.RawMessage(`{"name":"Асанов","phone":"+996 555 000 111"}`)},
				"consultations/01JC": {Value: json.RawMessage(`{"id":"01JC","note":"x"}`), Base: 7},
			}},
		{Device: "d", Seq: 1 << 40, HLC: 1<<63 + 5, Kind: "council", Record: "NRN-ATB", Action: ActionUpdate,
			Fields: map[string]Change{"_deleted": {Value: json.RawMessage(`true`), Base: hlc.Timestamp(1<<64 - 1)}}},
		{Device: "d", Seq: 3, HLC: 9, Kind: "material", Record: "m", Action: ActionUpdate,
			Fields: map[string]Change{"items/1": {Value: json.RawMessage(`null`), Base: 8}}},
		// A conflict's resolution: it names the values it settles.
		{Device: "01JDEVA", Seq: 9, HLC: hlc.New(1764000000009, 1), Kind: "resolution", Record: "01JREC", Council: "NRN-ATB",
			Action: ActionUpdate, Author: "Асанова Бүбүсара",
			Fields: map[string]Change{
				"summary": {Value: json.RawMessage(`"биригди"`), Base: hlc.New(1764000000005, 0),
					Settles: []Version{{HLC: hlc.New(1764000000004, 2), Device: "01JDEVB"}, {HLC: hlc.New(1764000000003, 0), Device: "01JDEVC"}}},
				"village": {Value: json.RawMessage(`"Ак-Муз"`)},
			}},
	}
}

func TestOpBinaryRoundTrip(t *testing.T) {
	for _, o := range sampleOps() {
		t.Run(o.Kind, func(t *testing.T) {
			b, err := o.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeOp(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, o) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, o)
			}
			again, _ := got.AppendBinary(nil)
			if !bytes.Equal(again, b) {
				t.Fatal("the same operation encoded to other bytes")
			}
			js, _ := json.Marshal(o)
			if len(b) >= len(js) {
				t.Errorf("binary %d bytes, JSON %d: no smaller", len(b), len(js))
			}
		})
	}
}

func TestStateBinaryRoundTrip(t *testing.T) {
	var s State
	ops := sampleOps()[:1]
	ops = append(ops, &Op{Device: "01JDEVB", Seq: 4, HLC: hlc.New(1764000000001, 3), Kind: "appeal", Record: "01JREC",
		Action: ActionUpdate, Fields: map[string]Change{"status": {Value: json.RawMessage(`"verified"`)}}})
	for _, o := range ops {
		if _, _, err := s.Apply(o); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []*State{&s, {Kind: "appeal", ID: "empty", Fields: map[string]FieldValue{}}} {
		b, err := st.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeState(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normState(got), normState(st)) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, st)
		}
	}
	js, _ := json.Marshal(&s)
	b, _ := s.AppendBinary(nil)
	if len(b)*3 > len(js)*2 {
		t.Errorf("binary state %d bytes, JSON %d: want at most two thirds", len(b), len(js))
	}
}

// A store written before the binary encoding holds JSON: it still reads.
func TestDecodeReadsJSON(t *testing.T) {
	o := sampleOps()[0]
	js, _ := json.Marshal(o)
	got, err := DecodeOp(js)
	if err != nil || !reflect.DeepEqual(got, o) {
		t.Fatalf("JSON operation: %+v, %v", got, err)
	}
	var s State
	s.Apply(o)
	js, _ = json.Marshal(&s)
	st, err := DecodeState(js)
	if err != nil || !reflect.DeepEqual(st, &s) {
		t.Fatalf("JSON state: %+v, %v", st, err)
	}
}

func TestDecodeDamaged(t *testing.T) {
	var s State
	s.Apply(sampleOps()[0])
	op, _ := sampleOps()[0].AppendBinary(nil)
	st, _ := s.AppendBinary(nil)
	// Every cut-off prefix, and one byte too many, is refused.
	for name, b := range map[string][]byte{"op": op, "state": st} {
		for n := 0; n < len(b); n++ {
			if name == "op" {
				if _, err := DecodeOp(b[:n]); !errors.Is(err, ErrDamaged) {
					t.Fatalf("op cut at %d/%d: %v", n, len(b), err)
				}
			} else if _, err := DecodeState(b[:n]); !errors.Is(err, ErrDamaged) {
				t.Fatalf("state cut at %d/%d: %v", n, len(b), err)
			}
		}
		long := append(bytes.Clone(b), 0)
		if _, err := DecodeOp(long); name == "op" && !errors.Is(err, ErrDamaged) {
			t.Fatalf("op with a trailing byte: %v", err)
		}
		if _, err := DecodeState(long); name == "state" && !errors.Is(err, ErrDamaged) {
			t.Fatalf("state with a trailing byte: %v", err)
		}
	}
	for _, b := range [][]byte{{0x02}, []byte(`{"device":`), {binaryV1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}} {
		if _, err := DecodeOp(b); !errors.Is(err, ErrDamaged) {
			t.Errorf("DecodeOp(%q): %v", b, err)
		}
		if _, err := DecodeState(b); !errors.Is(err, ErrDamaged) {
			t.Errorf("DecodeState(%q): %v", b, err)
		}
	}
}

// TestStateNumbersAtBoundaries: DecodeState reads numbers and lengths of
// one byte on a path of their own (short, shortBytes); those around the
// one byte's end (0x7f, 0x80), and the largest, read back as written,
// and every cut-off prefix of their encoding is refused.
func TestStateNumbersAtBoundaries(t *testing.T) {
	nums := []uint64{0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 1<<63 - 1, 1<<64 - 1}
	st := &State{Kind: strings.Repeat("k", 0x7f), ID: strings.Repeat("i", 0x80), Council: "", Author: strings.Repeat("а", 0x80),
		Device: "d", Created: 0x7f, Updated: hlc.Timestamp(1<<64 - 1), Fields: map[string]FieldValue{}}
	for i, n := range nums {
		for j, size := range []int{0, 0x7e, 0x7f, 0x80, 0x81} {
			name := fmt.Sprintf("%d/%d/", i, j)
			name += strings.Repeat("n", max(0, size-len(name)))
			value := json.RawMessage(strconv.Quote(strings.Repeat("v", max(0, size-2))))
			st.Fields[name] = FieldValue{Value: value, HLC: hlc.Timestamp(n), Device: "d", Seq: n, Base: hlc.Timestamp(n)}
		}
	}
	// 0x81 devices: the last ones' numbers take two bytes.
	for i := range 0x81 {
		st.Fields[fmt.Sprintf("dev/%03d", i)] = FieldValue{Value: json.RawMessage(`1`), HLC: 1, Device: fmt.Sprintf("device %d", i), Seq: 0x80}
	}
	b, err := st.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normState(got), normState(st)) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, st)
	}
	for n := range len(b) {
		if _, err := DecodeState(b[:n]); !errors.Is(err, ErrDamaged) {
			t.Fatalf("cut at %d/%d: %v", n, len(b), err)
		}
	}
}

// FuzzDecodeStored: whatever is on disk, decoding never panics, and what
// decodes encodes back to something that decodes to the same value.
func FuzzDecodeStored(f *testing.F) {
	for _, o := range sampleOps() {
		b, _ := o.AppendBinary(nil)
		f.Add(b)
		var s State
		s.Apply(o)
		b, _ = s.AppendBinary(nil)
		f.Add(b)
	}
	f.Add([]byte(`{"kind":"appeal","id":"x","fields":{}}`))
	prev, _ := sampleOps()[0].AppendBinary(nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		// An OpDecoder's Op, used before for another operation, decodes
		// to what DecodeOp gives, or fails where it fails.
		var dec OpDecoder
		var into Op
		if err := dec.DecodeInto(prev, &into); err != nil {
			t.Fatal(err)
		}
		errInto := dec.DecodeInto(data, &into)
		o, err := DecodeOp(data)
		if (err == nil) != (errInto == nil) || err == nil && !reflect.DeepEqual(normOp(&into), normOp(o)) {
			t.Fatalf("DecodeInto gives %+v (%v), DecodeOp %+v (%v)", into, errInto, o, err)
		}
		// DecodeHead takes what DecodeOp takes, to the same operation.
		var e EncodedOp
		errHead := dec.DecodeHead(data, &e)
		if (err == nil) != (errHead == nil) || err == nil && !reflect.DeepEqual(normOp(e.Op()), normOp(o)) {
			t.Fatalf("DecodeHead gives %+v (%v), DecodeOp %+v (%v)", e, errHead, o, err)
		}
		// A creation's state kept with its encoding (Created) is the
		// one its merge into no state makes (checkCreated).
		if err == nil {
			checkCreated(t, o, data, nil)
		}
		if err == nil {
			b, _ := o.AppendBinary(nil)
			back, err := DecodeOp(b)
			if err != nil || !reflect.DeepEqual(normOp(back), normOp(o)) {
				t.Fatalf("operation does not survive re-encoding: %v\n%+v\n%+v", err, back, o)
			}
		}
		if s, err := DecodeState(data); err == nil {
			b, _ := s.AppendBinary(nil)
			back, err := DecodeState(b)
			if err != nil || !reflect.DeepEqual(normState(back), normState(s)) {
				t.Fatalf("state does not survive re-encoding: %v\n%+v\n%+v", err, back, s)
			}
			// StateHeader reads the header DecodeState reads, and
			// HasField finds the fields of a state as a store writes it
			// (AppendBinary's own output) as its map holds them.
			h, err := StateHeader(data)
			if err != nil {
				t.Fatalf("StateHeader: %v, DecodeState %+v", err, s)
			}
			if c, u, err := StateClocks(data); err != nil || c != h.Created || u != h.Updated {
				t.Fatalf("StateClocks gives %v, %v (%v), StateHeader %+v", c, u, err, h)
			}
			hs, hh := *s, *h
			hs.Fields, hs.order, hh.Fields, hh.order = nil, nil, nil, nil // (a JSON state's header is the state decoded whole)
			if !reflect.DeepEqual(hh, hs) {
				t.Fatalf("StateHeader gives %+v (%v), DecodeState %+v", h, err, hs)
			}
			if bytes.Equal(b, data) {
				for name := range s.Fields {
					if !HasField(data, name) {
						t.Fatalf("HasField(%q) false in %+v", name, s)
					}
				}
				for _, name := range []string{"", "published", "zzz"} {
					if _, ok := s.Fields[name]; ok != HasField(data, name) {
						t.Fatalf("HasField(%q) = %v in %+v", name, !ok, s)
					}
				}
			}
		}
	})
}

// norm* make nil and empty values alike: JSON null and an empty length
// decode differently, and neither is a valid stored value.
func normOp(o *Op) *Op {
	cp := *o
	cp.Fields = map[string]Change{}
	for k, c := range o.Fields {
		if len(c.Value) == 0 {
			c.Value = nil
		}
		if len(c.Settles) == 0 {
			c.Settles = nil
		}
		cp.Fields[k] = c
	}
	return &cp
}

func normState(s *State) *State {
	cp := *s
	cp.order = nil // AppendBinary's hint
	cp.Fields = map[string]FieldValue{}
	for k, f := range s.Fields {
		if len(f.Value) == 0 {
			f.Value = nil
		}
		cp.Fields[k] = f
	}
	return &cp
}

// BenchmarkStateEncoding compares the storage encoding of an appeal's
// state with the JSON stores wrote before it.
func BenchmarkStateEncoding(b *testing.B) {
	var s State
	for _, o := range sampleOps() {
		if o.Kind != "appeal" {
			continue
		}
		for j := range 8 { // an appeal's ~25 fields, from two devices
			cp := *o
			cp.HLC += hlc.Timestamp(j)
			cp.Fields = map[string]Change{}
			for name, ch := range o.Fields {
				cp.Fields[name+string(rune('a'+j))] = ch
			}
			if j%2 == 1 {
				cp.Device = "01JDEVB"
			}
			s.Apply(&cp)
		}
	}
	js, _ := json.Marshal(&s)
	bin, _ := s.AppendBinary(nil)
	b.Run("json/encode", func(b *testing.B) {
		b.SetBytes(int64(len(js)))
		for b.Loop() {
			json.Marshal(&s)
		}
	})
	b.Run("binary/encode", func(b *testing.B) {
		b.SetBytes(int64(len(bin)))
		buf := make([]byte, 0, len(bin))
		for b.Loop() {
			buf, _ = s.AppendBinary(buf[:0])
		}
	})
	b.Run("json/decode", func(b *testing.B) {
		b.SetBytes(int64(len(js)))
		for b.Loop() {
			if _, err := DecodeState(js); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("binary/decode", func(b *testing.B) {
		b.SetBytes(int64(len(bin)))
		for b.Loop() {
			if _, err := DecodeState(bin); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// demoAppeal is an appeal's creation as a laptop makes it (19 fields, as
// syncbench's demo data and storetest.DemoOps) and a later step (2).
func demoAppeal() (create, step *Op) {
	str := func(s string) Change { return Change{Value: json.RawMessage(strconv.Quote(s))} }
	create = &Op{Device: "01JDEVA0000000000000000000", Seq: 1, HLC: hlc.New(1764000000000, 0), Kind: "appeal",
		Record: "01JREC0000000000000000000A", Council: "NRN-ATB", Action: ActionCreate, Author: "Асанова Бүбүсара",
		Fields: map[string]Change{
			"age_group": str("60_plus"), "appellant": {Value: json.RawMessage(`{"name":"Асанова Бүбүсара","phone":"+996 768 000123","address":"Ак-Суу"}`)},
			"authority": str("health"), "authority_name": str("Аймактык ооруканасы"), "category": str("health"),
			"channel": str("social_network"), "council": str("NRN-ATB"),
			"description": str("Ак-Суу айылындагы фельдшердик-акушердик пунктта бир айдан бери зарыл дарылар жок."),
			"district":    str("KG-N-ATB"), "gender": str("female"), "language": str("ky"), "oblast": str("KG-N"),
			"received_on": str("2025-09-14"), "reg_no": str("NRN-ATB-2025-QK5X-0123"), "registered_on": str("2025-09-14"),
			"status": str("received"), "summary": str("ФАПта дары-дармек жок"), "village": str("Ак-Суу"),
			"vulnerable_groups": {Value: json.RawMessage(`["low_income"]`)},
		}}
	step = &Op{Device: create.Device, Seq: 2, HLC: create.HLC + 1, Kind: "appeal", Record: create.Record, Council: "NRN-ATB",
		Action: ActionUpdate, Author: create.Author,
		Fields: map[string]Change{"status": {Value: json.RawMessage(`"under_review"`), Base: create.HLC}, "verified_on": str("2026-04-14")}}
	return create, step
}

// BenchmarkAppendBinary encodes what a server writes for each operation
// of a push: the operation, and its record's state.
func BenchmarkAppendBinary(b *testing.B) {
	create, step := demoAppeal()
	var st State
	st.Apply(create)
	st.Apply(step)
	// As a server merges a state it read: decoded, then a step that
	// adds a field.
	enc, _ := st.AppendBinary(nil)
	decoded, err := DecodeState(enc)
	if err != nil {
		b.Fatal(err)
	}
	next := *step
	next.Seq, next.HLC = 3, step.HLC+1
	next.Fields = map[string]Change{"status": {Value: json.RawMessage(`"answered"`), Base: step.HLC}, "answered_on": {Value: json.RawMessage(`"2026-05-02"`)}}
	decoded.Merge(&next)
	buf := make([]byte, 0, 4096)
	for _, c := range []struct {
		name string
		enc  func([]byte) ([]byte, error)
	}{{"op/create", create.AppendBinary}, {"op/step", step.AppendBinary}, {"state/appeal", st.AppendBinary}, {"state/appeal-decoded", decoded.AppendBinary}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				buf, _ = c.enc(buf[:0])
			}
		})
	}
}

// TestEncodingAfterDecoding: a state decoded, then merged (fields added
// by Apply, Merge and MergeConflicts, of a clone too) or changed
// directly (fields deleted, added, replaced), encodes to the bytes the
// same state encodes to without DecodeState's order of names: the order
// is a hint, never what decides the encoding.
func TestEncodingAfterDecoding(t *testing.T) {
	// Names alike in their first eight bytes and not, in no order.
	names := []string{"status", "appellant", "appellant_name", "appellant_phone", "a", "zz", "consultations/01JC",
		"consultations/01JD", "summary", "ң", "received_on", "registered_on", "b/1", "b/10", "b/2"}
	op := func(seq uint64, fields ...string) *Op {
		o := &Op{Device: "01JDEVA", Seq: seq, HLC: hlc.New(1764000000000, uint16(seq)), Kind: "appeal", Record: "r",
			Action: ActionUpdate, Fields: map[string]Change{}}
		if seq == 1 {
			o.Action = ActionCreate
		}
		for _, f := range fields {
			o.Fields[f] = Change{Value: json.RawMessage(strconv.Quote(f + strconv.FormatUint(seq, 10)))}
		}
		return o
	}
	same := func(what string, s *State) {
		t.Helper()
		got, err := s.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		cp := *s
		cp.order = nil
		want, _ := cp.AppendBinary(nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: encodes to\n%x\nwithout the order of its names to\n%x", what, got, want)
		}
		back, err := DecodeState(got)
		if err != nil || !reflect.DeepEqual(normState(back), normState(s)) {
			t.Fatalf("%s: does not read back: %v", what, err)
		}
	}
	decoded := func(s *State) *State {
		t.Helper()
		b, _ := s.AppendBinary(nil)
		d, err := DecodeState(b)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	var s State
	s.Apply(op(1, names[0], names[4], names[8]))
	merges := map[string]func(*State, *Op){
		"Apply":          func(s *State, o *Op) { s.Apply(o) },
		"Merge":          func(s *State, o *Op) { s.Merge(o) },
		"MergeConflicts": func(s *State, o *Op) { s.MergeConflicts(o) },
	}
	for name, merge := range merges {
		d := decoded(&s)
		same(name+" nothing", d)
		for i := range names {
			// Each operation rewrites a field and adds one or two.
			merge(d, op(uint64(2+i), names[i], names[(i*7)%len(names)], names[len(names)-1-i]))
			same(name+" added", d)
			c := d.Clone()
			merge(c, op(uint64(100+i), names[(i+3)%len(names)], "new"+names[i]))
			same(name+" clone", c)
			same(name+" after the clone's merge", d)
			d = decoded(d)
			same(name+" decoded again", d)
		}
	}
	d := decoded(&s)
	delete(d.Fields, names[4])
	same("a field deleted", d)
	d.Fields["zzz"] = FieldValue{Value: json.RawMessage(`1`), Device: "x"}
	same("and another added directly", d)
	d = decoded(&s)
	d.Fields["zzz"] = FieldValue{Value: json.RawMessage(`1`), Device: "x"}
	same("a field added directly", d)
	d = decoded(&s)
	delete(d.Fields, names[4])
	d.Apply(op(50, "new"))
	same("a field deleted, another merged", d)
	d.Apply(op(51, names[4]))
	same("the deleted field merged again", d)
	d = decoded(&s)
	d.Fields = map[string]FieldValue{"x": {Value: json.RawMessage(`2`)}}
	same("fields replaced", d)
}

// BenchmarkDecodeState decodes what a server reads for each operation of
// a spread push: an appeal's state (the demo's, created and stepped).
func BenchmarkDecodeState(b *testing.B) {
	create, step := demoAppeal()
	var st State
	st.Apply(create)
	st.Apply(step)
	enc, _ := st.AppendBinary(nil)
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := DecodeState(enc); err != nil {
			b.Fatal(err)
		}
	}
}
