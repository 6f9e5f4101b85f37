package syncproto

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
)

// CheckOp refuses a field that settles more values than
// changeset.MaxSettles (through Validate) and takes one at the limit.
func TestCheckOpSettles(t *testing.T) {
	op := func(n int) *changeset.Op {
		s := make([]changeset.Version, n)
		for i := range s {
			s[i] = changeset.Version{HLC: 1, Device: "dev-b"}
		}
		return &changeset.Op{Device: "dev-a", Seq: 1, HLC: 5, Kind: "appeal", Record: "r1", Council: "NRN-ATB", Action: changeset.ActionUpdate,
			Fields: map[string]changeset.Change{"summary": {Value: json.RawMessage(`"x"`), Settles: s}}}
	}
	if err := CheckOp(op(changeset.MaxSettles)); err != nil {
		t.Fatalf("a field settling %d values: %v", changeset.MaxSettles, err)
	}
	err := CheckOp(op(changeset.MaxSettles + 1))
	if !errors.Is(err, changeset.ErrInvalidOp) || !strings.Contains(err.Error(), "settles") || !strings.Contains(err.Error(), "dev-a/1") {
		t.Fatalf("a field settling %d values: %v, want ErrInvalidOp naming the operation", changeset.MaxSettles+1, err)
	}
}
