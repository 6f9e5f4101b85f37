package changeset

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// TestEncodedOp: an operation read by DecodeHead has the header DecodeOp
// gives, its fields walked in name order as the encoding holds them, and
// decodes whole to the operation; an operation stored as JSON, or with
// its fields out of name order, is encoded again.
func TestEncodedOp(t *testing.T) {
	var dec OpDecoder
	for _, o := range sampleOps() {
		b, _ := o.AppendBinary(nil)
		js, _ := json.Marshal(o)
		unsorted := unsortedEncoding(t, o)
		for name, data := range map[string][]byte{"binary": b, "JSON": js, "unsorted": unsorted} {
			var e EncodedOp
			if err := dec.DecodeHead(data, &e); err != nil {
				t.Fatalf("%s %s: %v", o.Kind, name, err)
			}
			head := *o
			head.Fields = nil
			if !reflect.DeepEqual(e.Head, head) {
				t.Fatalf("%s %s: head %+v, want %+v", o.Kind, name, e.Head, head)
			}
			if e.NumFields != len(o.Fields) || e.Size() != len(b) {
				t.Fatalf("%s %s: %d fields of %d bytes, want %d of %d", o.Kind, name, e.NumFields, e.Size(), len(o.Fields), len(b))
			}
			if got := e.Op(); !reflect.DeepEqual(normOp(got), normOp(o)) {
				t.Fatalf("%s %s: decodes to %+v, want %+v", o.Kind, name, got, o)
			}
			var names []string
			it := e.Fields()
			for f, ok := it.Next(); ok; f, ok = it.Next() {
				names = append(names, string(f.Name))
				want := o.Fields[string(f.Name)]
				if !bytes.Equal(f.Value, want.Value) || f.Base != want.Base || !reflect.DeepEqual(f.Settles, want.Settles) {
					t.Fatalf("%s %s: field %s %+v, want %+v", o.Kind, name, f.Name, f, want)
				}
			}
			if it.Err() != nil || !reflect.DeepEqual(names, sortedKeys(o.Fields)) {
				t.Fatalf("%s %s: fields %q (%v), want %q", o.Kind, name, names, it.Err(), sortedKeys(o.Fields))
			}
		}
	}
	// Damage is refused, as DecodeOp refuses it: every cut-off prefix,
	// and one byte too many.
	b, _ := sampleOps()[3].AppendBinary(nil)
	for n := 0; n < len(b); n++ {
		var e EncodedOp
		if err := dec.DecodeHead(b[:n], &e); !errors.Is(err, ErrDamaged) {
			t.Fatalf("cut at %d/%d: %v", n, len(b), err)
		}
	}
	var e EncodedOp
	if err := dec.DecodeHead(append(bytes.Clone(b), 0), &e); !errors.Is(err, ErrDamaged) {
		t.Fatalf("with a trailing byte: %v", err)
	}
}

// unsortedEncoding is o's storage encoding with its first two fields
// swapped (an encoding no store writes), or its encoding if it has one.
func unsortedEncoding(t *testing.T, o *Op) []byte {
	t.Helper()
	var s SortedFields
	s.Sort(o)
	if s.Len() < 2 {
		b, _ := o.AppendBinary(nil)
		return b
	}
	s.es[0], s.es[1] = s.es[1], s.es[0]
	return o.appendBinary(nil, s.es, s.vs)
}
