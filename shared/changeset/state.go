package changeset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/kenesh/kenesh/shared/hlc"
)

// FieldValue is a field's current value and the write that set it.
type FieldValue struct {
	Value  json.RawMessage `json:"v"`
	HLC    hlc.Timestamp   `json:"t"`
	Device string          `json:"d"`
	Seq    uint64          `json:"s,omitempty"`
	Base   hlc.Timestamp   `json:"b,omitempty"`
}

// olderThan reports whether a write (t, dev, seq) orders after f: hybrid
// clock first, then device id, then the device's sequence number, so every
// replica picks the same winner whatever the order of arrival, even
// between two writes of one device with the same clock (which an honest
// clock never issues, but a broken or forged one may).
func (f FieldValue) olderThan(t hlc.Timestamp, dev string, seq uint64) bool {
	if f.HLC != t {
		return f.HLC < t
	}
	if f.Device != dev {
		return f.Device < dev
	}
	return f.Seq < seq
}

// State is a record as the merge of every operation applied to it.
type State struct {
	Kind    string                `json:"kind"`
	ID      string                `json:"id"`
	Council string                `json:"council,omitempty"`
	Fields  map[string]FieldValue `json:"fields"`
	Created hlc.Timestamp         `json:"created"`
	Author  string                `json:"author,omitempty"` // who created it
	Device  string                `json:"device,omitempty"` // where it was created
	Updated hlc.Timestamp         `json:"updated"`

	// order is a hint for AppendBinary: Fields' names in the order
	// DecodeState read them (name order, as encoded) and then those a
	// merge added, so that a state read, merged and written back is not
	// sorted again (a server judging a spread push does that for every
	// operation, and the sort was a third of the encoding). Only a hint:
	// AppendBinary sorts Fields' names itself unless order names each
	// field exactly once, whatever changed Fields.
	order []string
}

// Conflict is a concurrent write to one field: both values are kept, the
// winner is in the state on every replica, the loser is here for a person to
// see and, if need be, restore.
type Conflict struct {
	Kind   string     `json:"kind"`
	Record string     `json:"record"`
	Field  string     `json:"field"`
	Winner FieldValue `json:"winner"`
	Loser  FieldValue `json:"loser"`
}

// Clone returns a copy that Apply can change without touching s.
func (s *State) Clone() *State {
	cp := *s
	cp.order = slices.Clip(s.order) // an append to either makes its own
	cp.Fields = make(map[string]FieldValue, len(s.Fields)+4)
	for k, v := range s.Fields {
		cp.Fields[k] = v
	}
	return &cp
}

// Deleted reports whether the record's tombstone is set.
func (s *State) Deleted() bool {
	f, ok := s.Fields[DeletedField]
	return ok && string(f.Value) == "true"
}

// Values returns the current field values, without write metadata.
func (s *State) Values() map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(s.Fields))
	for k, f := range s.Fields {
		out[k] = f.Value
	}
	return out
}

// Apply merges op into s field by field and reports the fields whose value
// changed and the concurrent writes it found. Applying the same operation
// twice changes nothing; applying a set of operations in any order yields the
// same values (last writer by hybrid clock, then device id, wins per field).
func (s *State) Apply(op *Op) (changed []string, conflicts []Conflict, err error) {
	return s.apply(op, applyReport)
}

// MergeConflicts is Apply for a caller that needs the state and the
// conflicts, not the report of what changed: the state and the conflicts
// are Apply's, the conflicts in no particular order. Like Merge, the
// state (and the conflicts) keep op's values themselves when they are
// compact: the caller leaves the bytes op was decoded from unchanged while
// it uses them. (A server judging a large push used Apply, whose sorting of
// each operation's names and copying of each value it did not need.)
func (s *State) MergeConflicts(op *Op) (conflicts []Conflict, err error) {
	_, conflicts, err = s.apply(op, applyConflicts)
	return conflicts, err
}

// applyMode is what apply reports.
type applyMode int

const (
	applyMerge     applyMode = iota // nothing
	applyConflicts                  // the conflicts
	applyReport                     // the conflicts and the changed fields, in name order, values copied
)

// Merge is Apply without the report of what changed: the state it leaves
// is the same (a field's winner does not depend on the order its
// operation's fields are looked at). Replaying a record's history again
// (a report as of a past day merges hundreds of thousands of operations)
// needs only the state: sorting each operation's names and listing the
// changes was a third of the merge's allocations.
//
// Unlike Apply, the state keeps op's values themselves when they are
// compact (nearly always; others are compacted into a copy): the caller
// leaves the bytes op was decoded from unchanged while it uses the state.
func (s *State) Merge(op *Op) error {
	_, _, err := s.apply(op, applyMerge)
	return err
}

func (s *State) apply(op *Op, mode applyMode) (changed []string, conflicts []Conflict, err error) {
	if s.ID == "" {
		s.Kind, s.ID = op.Kind, op.Record
	}
	if s.Kind != op.Kind || s.ID != op.Record {
		return nil, nil, fmt.Errorf("%w: operation %s is for %s/%s, not %s/%s", ErrInvalidOp, op.ID(), op.Kind, op.Record, s.Kind, s.ID)
	}
	if s.Fields == nil {
		s.Fields = make(map[string]FieldValue, len(op.Fields))
	}
	// Who created the record, when, and for which council come from its
	// create operation, never from the lowest clock seen: a back-dated
	// update (a wrong clock, or a lie) must not rewrite created_by and
	// created_at. Of two create operations (which no honest laptop
	// makes) the first by clock, then device id, wins on every replica.
	if op.Action == ActionCreate && (s.Created == 0 || op.HLC < s.Created || op.HLC == s.Created && op.Device < s.Device) {
		s.Created, s.Author, s.Device = op.HLC, op.Author, op.Device
		if op.Council != "" {
			s.Council = op.Council
		}
	}
	if s.Council == "" {
		s.Council = op.Council // until the create operation arrives
	}
	if op.HLC > s.Updated {
		s.Updated = op.HLC
	}
	if mode == applyMerge {
		for name, ch := range op.Fields {
			cur, exists := s.Fields[name]
			if exists && (cur.HLC == op.HLC && cur.Device == op.Device && cur.Seq == op.Seq || !cur.olderThan(op.HLC, op.Device, op.Seq)) {
				continue // this very write again, or an older one: it loses
			}
			if !exists && s.order != nil {
				s.order = append(s.order, name)
			}
			v := ch.Value
			if hasSpaceOutsideStrings(v) {
				v = compact(v)
			}
			s.Fields[name] = FieldValue{Value: v[:len(v):len(v)], HLC: op.HLC, Device: op.Device, Seq: op.Seq, Base: ch.Base}
		}
		return nil, nil, nil
	}
	field := func(name string, ch Change) {
		var v json.RawMessage
		switch {
		case mode == applyReport:
			v = compact(ch.Value)
		case hasSpaceOutsideStrings(ch.Value):
			v = compact(ch.Value)
		default:
			v = ch.Value[:len(ch.Value):len(ch.Value)]
		}
		in := FieldValue{Value: v, HLC: op.HLC, Device: op.Device, Seq: op.Seq, Base: ch.Base}
		cur, exists := s.Fields[name]
		if exists && cur.HLC == in.HLC && cur.Device == in.Device && cur.Seq == in.Seq {
			return // this very write again
		}
		if !exists || cur.olderThan(in.HLC, in.Device, in.Seq) {
			if exists && in.Base < cur.HLC && !bytes.Equal(cur.Value, in.Value) {
				conflicts = append(conflicts, Conflict{Kind: s.Kind, Record: s.ID, Field: name, Winner: in, Loser: cur})
			}
			if mode == applyReport && (!exists || !bytes.Equal(cur.Value, in.Value)) {
				changed = append(changed, name)
			}
			if !exists && s.order != nil {
				s.order = append(s.order, name)
			}
			s.Fields[name] = in
			return
		}
		// The incoming write is older: it loses, and is a conflict only if
		// the winner's author had not seen it.
		if cur.Base < in.HLC && !bytes.Equal(cur.Value, in.Value) {
			conflicts = append(conflicts, Conflict{Kind: s.Kind, Record: s.ID, Field: name, Winner: cur, Loser: in})
		}
	}
	if mode != applyReport {
		for name, ch := range op.Fields {
			field(name, ch)
		}
		return nil, conflicts, nil
	}
	names := make([]string, 0, len(op.Fields))
	for name := range op.Fields {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic order of reported changes and conflicts
	for _, name := range names {
		field(name, op.Fields[name])
	}
	return changed, conflicts, nil
}

// compact returns raw compacted, always in memory of its own: a state
// never holds the buffer an operation was decoded from (which its reader
// may reuse).
//
// A value with no space, tab or line end outside its strings (what
// encoding/json writes, and so nearly every value) is its own compact form:
// it is copied without json.Compact's scanner, which costs a few times the
// copy (merging a report's 463,209 operations again compacted every value).
// Invalid JSON comes back copied either way.
func compact(raw json.RawMessage) json.RawMessage {
	if !hasSpaceOutsideStrings(raw) {
		return bytes.Clone(raw)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return bytes.Clone(raw) // Validate has already refused invalid JSON
	}
	return b.Bytes()
}

// hasSpaceOutsideStrings reports whether raw holds a byte json.Compact
// removes: JSON's white space outside a string.
func hasSpaceOutsideStrings(raw []byte) bool {
	// A string with nothing escaped in it (most values: a name, a code, a
	// date, a description of kilobytes) has nothing outside it: shown
	// eight bytes at a time instead of one.
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && plainText(raw[1:n-1]) {
		return false
	}
	in := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case in && c == '\\':
			i++ // the escaped byte, whatever it is
		case c == '"':
			in = !in
		case !in && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return true
		}
	}
	return false
}
