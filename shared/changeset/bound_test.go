package changeset

import (
	"encoding/json"
	"errors"
	"testing"
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
