package changeset

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kenesh/kenesh/shared/hlc"
)

// Action says what a person did; the merge looks only at fields, the history
// view shows the action.
type Action string

const (
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
)

// DeletedField is the tombstone. Deletion is a field like any other, so a
// deletion and a concurrent edit merge like two edits.
const DeletedField = "_deleted"

// Change is the new value of one field, and the version of that field the
// author saw when editing (Base), which tells a sequential overwrite from a
// concurrent one. Value JSON null removes the field (or collection item).
type Change struct {
	Value json.RawMessage `json:"v"`
	Base  hlc.Timestamp   `json:"b,omitempty"`
	// Settles names the competing values of this field that a person
	// looked at and settled: a conflict's resolution. Every replica that
	// holds an open conflict whose losing value is one of them closes it
	// when this write arrives (Op.Settled), so a conflict resolved on one
	// laptop disappears from every other that held it. Nil for every
	// other write.
	Settles []Version `json:"s,omitempty"`
}

// Version names one write of a field: its clock and its device, as a
// conflict's winner and loser are named (FieldValue.HLC, FieldValue.Device).
type Version struct {
	HLC    hlc.Timestamp `json:"t"`
	Device string        `json:"d"`
}

// Settled returns the conflicts op settles, by the key a replica keeps
// them under (kind, record, field, and the losing value's clock and
// device); only those fields of each are set.
func (o *Op) Settled() []Conflict {
	n := 0
	for _, ch := range o.Fields {
		n += len(ch.Settles)
	}
	if n == 0 {
		return nil // every write but a resolution: nothing to sort
	}
	out := make([]Conflict, 0, n)
	for _, name := range sortedKeys(o.Fields) {
		for _, v := range o.Fields[name].Settles {
			out = append(out, Conflict{Kind: o.Kind, Record: o.Record, Field: name, Loser: FieldValue{HLC: v.HLC, Device: v.Device}})
		}
	}
	return out
}

// Op is one save on one device. (Device, Seq) identifies it everywhere; Seq
// counts a device's operations from 1 without gaps, which is what lets a
// receiver acknowledge "everything up to N" and detect a missing one.
//
// The JSON tags are the wire and storage format: never rename them.
type Op struct {
	Device  string            `json:"device"`
	Seq     uint64            `json:"seq"`
	HLC     hlc.Timestamp     `json:"hlc"`
	Kind    string            `json:"kind"`
	Record  string            `json:"record"`
	Council string            `json:"council,omitempty"`
	Action  Action            `json:"action"`
	Author  string            `json:"author,omitempty"`
	Fields  map[string]Change `json:"fields"`
}

// Limits on one operation; they bound what a bad peer can make a replica store.
const (
	MaxFieldsPerOp  = 1024
	MaxFieldNameLen = 128
	MaxValueBytes   = 256 << 10
	// MaxSettles bounds the values one resolution settles (the open
	// conflicts of one field a person saw at once).
	MaxSettles = 64
	// MaxDeviceLen bounds a device id (a UUID is 36 bytes).
	MaxDeviceLen = 128
)

// ErrInvalidOp marks an operation that is malformed, whoever sent it.
var ErrInvalidOp = errors.New("invalid operation")

// Validate checks the shape of an operation (not its meaning, which is the
// domain's job): ids present, known action, bounded fields, valid JSON.
func (o *Op) Validate() error {
	_, err := o.ValidateBound()
	return err
}

// Bound is a bound on o's size as JSON (syncproto's WireOp) and in its
// storage encoding (AppendBinary): a byte of a string takes at most six as
// JSON and one stored, and the rest of an operation, a field and a settled
// value at most 256, 64 and 64 bytes either way.
func (o *Op) Bound() int {
	n := o.headBound()
	for name, c := range o.Fields {
		n += fieldBound(name, &c)
	}
	return n
}

func (o *Op) headBound() int {
	return 256 + 6*(len(o.Device)+len(o.Kind)+len(o.Record)+len(o.Council)+len(o.Action)+len(o.Author))
}

func fieldBound(name string, c *Change) int {
	n := 64 + 6*len(name) + len(c.Value) + len(c.Settles)*64
	for _, v := range c.Settles {
		n += 6 * len(v.Device)
	}
	return n
}

// ValidateBound is Validate and, when o is valid, Bound, in one pass over
// o's fields (a server checking a push of 500,000 operations walked each
// one's field map once for each).
func (o *Op) ValidateBound() (bound int, err error) {
	if err := o.checkHead(); err != nil {
		return 0, err
	}
	bound = o.headBound()
	for name, ch := range o.Fields {
		if err := o.checkField(name, &ch); err != nil {
			return 0, err
		}
		bound += fieldBound(name, &ch)
	}
	return bound, nil
}

func (o *Op) bad(format string, a ...any) error {
	return fmt.Errorf("%w %s/%d: %s", ErrInvalidOp, o.Device, o.Seq, fmt.Sprintf(format, a...))
}

// checkHead is Validate's checks of all but the fields themselves (their
// count is checked here, before anything walks them).
func (o *Op) checkHead() error {
	switch {
	case o.Device == "":
		return o.bad("no device")
	case o.Seq == 0:
		return o.bad("sequence numbers start at 1")
	case o.HLC == 0:
		return o.bad("no timestamp")
	case o.Kind == "" || o.Record == "":
		return o.bad("no record kind or id")
	case len(o.Fields) == 0:
		return o.bad("no fields")
	case len(o.Fields) > MaxFieldsPerOp:
		return o.bad("%d fields, at most %d", len(o.Fields), MaxFieldsPerOp)
	}
	switch o.Action {
	case ActionCreate, ActionUpdate, ActionDelete:
	default:
		return o.bad("unknown action %q", o.Action)
	}
	return nil
}

// checkField is Validate's check of one field.
func (o *Op) checkField(name string, ch *Change) error {
	if name == "" || len(name) > MaxFieldNameLen || !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 {
		return o.bad("bad field name %q", name)
	}
	if len(ch.Value) > MaxValueBytes {
		return o.bad("field %q is %d bytes, at most %d", name, len(ch.Value), MaxValueBytes)
	}
	if !ValidJSON(ch.Value) {
		return o.bad("field %q is not valid JSON", name)
	}
	if len(ch.Settles) > MaxSettles {
		return o.bad("field %q settles %d values, at most %d", name, len(ch.Settles), MaxSettles)
	}
	for _, v := range ch.Settles {
		if v.HLC == 0 || v.Device == "" || len(v.Device) > MaxDeviceLen || !utf8.ValidString(v.Device) || strings.ContainsAny(v.Device, ":\x00") {
			return o.bad("field %q settles a value that names no write (%s of %q)", name, v.HLC, v.Device)
		}
	}
	return nil
}

// SortedFields is an operation's fields gathered once, in name order, for
// its checks, its bound and its storage encoding: ValidateBound, then
// AppendBinary. A server checking a push walked each operation's field map
// once for the checks and again for the encoding's order. The zero value
// is ready to use, and may be used again for another operation; it is not
// safe for concurrent use.
type SortedFields struct {
	ents [32]nameKey // nearly every operation's, without an allocation
	vals [32]Change
	es   []nameKey
	vs   []Change
	n    int // len(Fields) of the operation gathered
}

// ValidateBound is o.ValidateBound, keeping o's fields in name order for
// AppendBinary.
func (s *SortedFields) ValidateBound(o *Op) (bound int, err error) {
	s.es, s.vs, s.n = nil, nil, 0
	if err := o.checkHead(); err != nil {
		return 0, err
	}
	es, vs := sortedFields(s.ents[:0], s.vals[:0], o.Fields)
	bound = o.headBound()
	for _, e := range es {
		ch := &vs[e.i]
		if err := o.checkField(e.name, ch); err != nil {
			return 0, err
		}
		bound += fieldBound(e.name, ch)
	}
	s.es, s.vs, s.n = es, vs, len(o.Fields)
	return bound, nil
}

// Sort gathers o's fields in name order (as ValidateBound does, without
// the checks), for Len and Field, and AppendBinary: one pass over the map,
// the names ordered by their first eight bytes as numbers, each with its
// value (a laptop encoding a push sorted each operation's names, then
// looked each one up in the map again).
func (s *SortedFields) Sort(o *Op) {
	s.es, s.vs = sortedFields(s.ents[:0], s.vals[:0], o.Fields)
	s.n = len(o.Fields)
}

// Len is the number of fields gathered.
func (s *SortedFields) Len() int { return len(s.es) }

// Field is the i-th field gathered, in name order (the order of Go's
// string comparison, as sort.Strings gives).
func (s *SortedFields) Field(i int) (name string, c *Change) {
	e := &s.es[i]
	return e.name, &s.vs[e.i]
}

// AppendBinary is o.AppendBinary(b), with the fields ValidateBound
// gathered: o holds the very fields of the operation ValidateBound
// checked (that operation, or a copy of it with other header values, such
// as the author a server sets).
func (s *SortedFields) AppendBinary(o *Op, b []byte) ([]byte, error) {
	if s.es == nil || s.n != len(o.Fields) {
		return o.AppendBinary(b) // not gathered (or not from these fields)
	}
	return o.appendBinary(b, s.es, s.vs), nil
}

// ValidJSON is json.Valid, quicker for the values most fields hold: a
// string with nothing escaped (a name, a date, a code, a sentence) is
// valid when no byte of it is a quote, a backslash or a control
// character, which one pass over it shows (json.Valid's scanner steps
// through a state machine for each byte: 14% of the server's judging of a
// large push). Everything else goes to json.Valid, and the answer is the
// same for every input (TestValidJSON, FuzzValidJSON): json.Valid, too,
// takes any other byte inside a string, invalid UTF-8 included.
func ValidJSON(b []byte) bool {
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && plainText(b[1:n-1]) {
		return true
	}
	return json.Valid(b)
}

// plainText reports whether b holds no '"', '\\' or control character
// (below 0x20): inside quotes, a JSON string as it is. Eight bytes at a
// time (a description is kilobytes): a byte below 0x20, or equal to '"' or
// '\\' (0 once XORed with it), sets its top bit in the word's test, which
// is exact for whether there is one (TestPlainText).
func plainText(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		q, e := x^('"'*ones), x^('\\'*ones)
		if (x-0x20*ones)&^x&highs|(q-ones)&^q&highs|(e-ones)&^e&highs != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// ID is the operation's identity, "device/seq".
func (o *Op) ID() string { return fmt.Sprintf("%s/%d", o.Device, o.Seq) }
