package records

import (
	"encoding/json"
	"fmt"

	"github.com/kenesh/kenesh/shared/changeset"
)

// OpFormat is the sync protocol's form of an operation, which records needs
// without speaking the protocol itself: a pulled operation held back is
// kept as the server would send it (Marshal), merged later from that form
// (Unmarshal), and pulled pages and pushes are sized by what an operation
// takes on the wire (Size). The app's composition root gives the
// protocol's (app.wireFormat); records never imports it.
type OpFormat interface {
	// Marshal is op as the server sends it.
	Marshal(op *changeset.Op) ([]byte, error)
	// Unmarshal reads what Marshal wrote (also what an older version of
	// the laptop wrote); an operation that is not valid is an error.
	Unmarshal(b []byte) (*changeset.Op, error)
	// Size is about what op takes on the wire, never less; it is called
	// for every operation pushed or pulled, so it should not allocate.
	Size(op *changeset.Op) int
}

// ownFormat keeps operations in changeset's own JSON: what a Service opened
// without Options.Format uses (tools and tests that sync nothing).
type ownFormat struct{}

func (ownFormat) Marshal(op *changeset.Op) ([]byte, error) { return json.Marshal(op) }

func (ownFormat) Unmarshal(b []byte) (*changeset.Op, error) {
	var op changeset.Op
	if err := json.Unmarshal(b, &op); err != nil {
		return nil, err
	}
	if err := op.Validate(); err != nil {
		return nil, fmt.Errorf("operation %s/%d: %w", op.Device, op.Seq, err)
	}
	return &op, nil
}

// Size counts the names and values and a generous allowance for the rest.
func (ownFormat) Size(op *changeset.Op) int {
	n := 160 + len(op.Device) + len(op.Kind) + len(op.Record) + len(op.Council) + len(op.Author)
	for name, c := range op.Fields {
		n += 48 + 2*len(name) + 2*len(c.Value) + 48*len(c.Settles)
	}
	return n
}
