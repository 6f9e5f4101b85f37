package syncproto

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// WireSize sizes change sets and pull pages without encoding: for plain
// text it is the JSON size exactly.
func TestWireSize(t *testing.T) {
	create := sampleRequest().Ops[0]
	create.Fields = map[string]WireChange{}
	for _, f := range []string{"summary", "description", "appellant", "status", "reg_no", "district", "village"} {
		create.Fields[f] = WireChange{V: json.RawMessage(`"Ак-Суу айылындагы фельдшердик-акушердик пункт: ң ө ү"`)}
	}
	resolution := sampleRequest().Ops[0]
	resolution.Fields = map[string]WireChange{"summary": {V: json.RawMessage(`"биригди"`), B: 117675588638146560,
		S: []WireVersion{{T: 117675588638146001, D: "01a21153-0b49-7f01-9325-83417e1d6f9d"}, {T: 9, D: "b"}}}}
	for name, w := range map[string]WireOp{"update": sampleRequest().Ops[0], "create": create, "resolution": resolution} {
		op, err := FromWire(w)
		if err != nil {
			t.Fatal(err)
		}
		real, _ := json.Marshal(ToWire(op))
		est := WireSize(op)
		if est != len(real) {
			t.Errorf("%s: WireSize %d, JSON %d bytes", name, est, len(real))
		}
		if back, err := FromWire(ToWire(op)); err != nil || !reflect.DeepEqual(back, op) {
			t.Errorf("%s: does not survive the wire: %v\n%+v\n%+v", name, err, back, op)
		}
	}
}

// FuzzWireSize: WireSize is never below what Marshal writes, and equal to
// it for compact values, whatever the strings hold (quotes, control
// characters, invalid UTF-8, U+2028, <, > and &).
func FuzzWireSize(f *testing.F) {
	f.Add("01a21153-0b49-7f01-9325-83417e1d6f9d", "Нарын \"ноутбугу\"\n", "summary", []byte(`"<a>&amp;</a> ң ө ү"`))
	f.Add("\xff\x01", "\u2028\u2029\t\b\f\\", "x\x00y", []byte(` { "a" : [1, 2] } `))
	f.Add("", "", "", []byte(`null`))
	f.Fuzz(func(t *testing.T, device, author, name string, value []byte) {
		if !json.Valid(value) {
			return
		}
		op := &changeset.Op{Device: device, Seq: 7, HLC: 117675588638146560, Kind: "appeal", Record: device + name, Council: author,
			Action: changeset.ActionUpdate, Author: author, Fields: map[string]changeset.Change{name: {Value: value, Base: 3},
				"status": {Value: json.RawMessage(`"x"`), Settles: []changeset.Version{{HLC: 5, Device: device}, {HLC: 1 << 60, Device: author}}}}}
		b, err := MarshalOp(op)
		if err != nil {
			t.Fatal(err)
		}
		est := WireSize(op)
		var compact bytes.Buffer
		json.Compact(&compact, value)
		switch {
		case est < len(b):
			t.Fatalf("WireSize %d below the %d bytes encoded: %s", est, len(b), b)
		case bytes.Equal(compact.Bytes(), value) && est != len(b):
			t.Fatalf("WireSize %d, %d bytes encoded for a compact value: %s", est, len(b), b)
		}
	})
}

// Marshal leaves <, > and & alone: six bytes each would not fit the page
// they were sized for.
func TestMarshalDoesNotEscapeHTML(t *testing.T) {
	b, err := Marshal(WireOp{Author: "<&>", Fields: map[string]WireChange{"x": {V: json.RawMessage(`"<&>"`)}}})
	if err != nil || bytes.Contains(b, []byte(`\u003c`)) || bytes.Count(b, []byte("<&>")) != 2 {
		t.Fatalf("%s %v", b, err)
	}
}

// FuzzAppendOp: AppendOp writes what encoding/json writes for the WireOp
// (for compact values), and what it writes decodes back to the operation.
func FuzzAppendOp(f *testing.F) {
	f.Add("01a21153-0b49-7f01-9325-83417e1d6f9d", "Нарын \"ноутбугу\"\n", "summary", []byte(`"<a>&amp;</a> ң ө ү"`), uint64(3), "dev")
	f.Add("\xff\x01", "\u2028\u2029\t\b\f\\", "x\x00y", []byte(`{"a":[1,2]}`), uint64(0), "")
	f.Fuzz(func(t *testing.T, device, author, name string, value []byte, base uint64, settler string) {
		var compact bytes.Buffer
		if json.Compact(&compact, value) != nil {
			return
		}
		op := &changeset.Op{Device: device, Seq: 7, HLC: 117675588638146560, Kind: "appeal", Record: device + name, Council: author,
			Action: changeset.ActionUpdate, Author: author, Fields: map[string]changeset.Change{name: {Value: compact.Bytes(), Base: hlc.Timestamp(base)}, "status": {Value: json.RawMessage(`"x"`)}}}
		if settler != "" {
			c := op.Fields[name]
			c.Settles = []changeset.Version{{HLC: 5, Device: settler}, {HLC: 6, Device: author}}
			op.Fields[name] = c
		}
		got, err := MarshalOp(op)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Marshal(ToWire(op))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("AppendOp:\n%s\nencoding/json:\n%s", got, want)
		}
		if len(got) != WireSize(op) {
			t.Fatalf("WireSize %d, %d written", WireSize(op), len(got))
		}
	})
}
