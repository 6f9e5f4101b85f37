package changeset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/kenesh/kenesh/shared/hlc"
)

// ValidateBound's bound is Bound's, from the validation's pass over the
// fields, and bounds the storage encoding; an invalid operation has none.
func TestValidateBound(t *testing.T) {
	for _, o := range sampleOps() {
		bound, err := o.ValidateBound()
		if err != nil {
			t.Fatalf("%s: %v", o.ID(), err)
		}
		if bound != o.Bound() {
			t.Errorf("%s: ValidateBound %d, Bound %d", o.ID(), bound, o.Bound())
		}
		enc, err := o.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(enc) > bound {
			t.Errorf("%s: encoded in %d bytes, over its bound %d", o.ID(), len(enc), bound)
		}
		// Bound counts the author, which a server replaces with the
		// device's enrolled name (ingest's prejudge adjusts it so).
		named := *o
		named.Author = "Секретарь кеңеши Ат-Башы"
		if got, want := bound+6*(len(named.Author)-len(o.Author)), named.Bound(); got != want {
			t.Errorf("%s: bound adjusted for the author %d, Bound %d", o.ID(), got, want)
		}
	}
	bad := *sampleOps()[0]
	bad.Fields = map[string]Change{"summary": {Value: json.RawMessage(`{"not json`)}}
	if bound, err := bad.ValidateBound(); !errors.Is(err, ErrInvalidOp) || bound != 0 {
		t.Fatalf("invalid operation: %d, %v", bound, err)
	}
	if err := bad.Validate(); !errors.Is(err, ErrInvalidOp) {
		t.Fatalf("Validate: %v", err)
	}
}

// SortedFields gives what Op.ValidateBound and Op.AppendBinary give, for
// the operation it checked and for a copy with another author, used again
// from one operation to the next; an operation of more fields than its
// arrays hold too.
func TestSortedFields(t *testing.T) {
	ops := sampleOps()
	many := *ops[0]
	many.Fields = map[string]Change{}
	for i := range 40 {
		many.Fields[fmt.Sprintf("field_%02d", 39-i)] = Change{Value: json.RawMessage(fmt.Sprintf(`"v%d"`, i)), Base: hlc.Timestamp(i)}
	}
	ops = append(ops, &many)
	var s SortedFields
	for _, o := range ops {
		want, err := o.ValidateBound()
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ValidateBound(o)
		if err != nil || got != want {
			t.Fatalf("%s: SortedFields.ValidateBound %d, %v; Op.ValidateBound %d", o.ID(), got, err, want)
		}
		named := *o
		named.Author = "Секретарь кеңеши Ат-Башы"
		for _, x := range []*Op{o, &named} {
			wantEnc, err := x.AppendBinary([]byte("prefix"))
			if err != nil {
				t.Fatal(err)
			}
			gotEnc, err := s.AppendBinary(x, []byte("prefix"))
			if err != nil || !bytes.Equal(gotEnc, wantEnc) {
				t.Fatalf("%s: SortedFields.AppendBinary %q, %v; Op.AppendBinary %q", x.ID(), gotEnc, err, wantEnc)
			}
		}
	}
	// Sort and Field: the names in Go's string order, each with its value,
	// names sharing their first eight bytes included.
	many.Fields["field_0"] = Change{Value: json.RawMessage(`"short"`)}
	many.Fields["field_00_"] = Change{Value: json.RawMessage(`"long"`)}
	many.Fields["Field_99"] = Change{Value: json.RawMessage(`"upper"`)}
	for _, o := range ops {
		s.Sort(o)
		names := slices.Sorted(maps.Keys(o.Fields))
		if s.Len() != len(names) {
			t.Fatalf("%s: %d fields gathered, %d in the map", o.ID(), s.Len(), len(names))
		}
		for i, want := range names {
			name, c := s.Field(i)
			if name != want || !bytes.Equal(c.Value, o.Fields[want].Value) || c.Base != o.Fields[want].Base {
				t.Fatalf("%s: field %d is %s %s, want %s %s", o.ID(), i, name, c.Value, want, o.Fields[want].Value)
			}
		}
	}
	bad := *ops[0]
	bad.Fields = map[string]Change{"summary": {Value: json.RawMessage(`{"not json`)}}
	_, want := bad.ValidateBound()
	if _, err := s.ValidateBound(&bad); err == nil || err.Error() != want.Error() {
		t.Fatalf("invalid operation: %v, want %v", err, want)
	}
	// Nothing gathered after a refusal: the encoding is the operation's own.
	enc, err := s.AppendBinary(ops[1], nil)
	if want, _ := ops[1].AppendBinary(nil); err != nil || !bytes.Equal(enc, want) {
		t.Fatalf("after a refusal: %q, %v; want %q", enc, err, want)
	}
}
