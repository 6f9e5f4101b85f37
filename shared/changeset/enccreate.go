package changeset

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/kenesh/kenesh/shared/hlc"
)

// Created is the state of a record created by an operation and changed
// by the operations judged after it in one batch, kept without a map of
// all its fields: the creation's fields are read from its storage
// encoding, already in name order, and only the fields written since
// that win over them are held (a few names a step). It merges
// (MergeConflicts) and encodes (AppendBinary) as the State the same
// operations make does, byte for byte. A server judging an ordinary push
// (each record created with its later steps in one change set) made each
// new record's map of some twenty fields, merged the steps into it, then
// walked it and sorted its names to encode it (BENCHMARKS.md, issue 15,
// push11 and push12).
type Created struct {
	hdr    State                 // the header as the merges left it; Fields nil
	create *Op                   // the creation, whose fields are the state's but where over says otherwise
	enc    []byte                // create's storage encoding (Op.AppendBinary)
	over   map[string]FieldValue // the fields written since that won; nil until one did
}

// NewCreated is the state create, a creation, makes of a record that had
// none; enc is create's storage encoding (Op.AppendBinary), which the
// Created reads and create's map must not change while it is used. An
// error is an operation that is not a creation, or an encoding that is
// not create's as AppendBinary writes it: the caller merges into a State
// instead.
func NewCreated(create *Op, enc []byte) (*Created, error) {
	if create.Action != ActionCreate {
		return nil, fmt.Errorf("%w %s/%d: a %q, not a creation", ErrInvalidOp, create.Device, create.Seq, create.Action)
	}
	if err := createdFields(enc, create); err != nil {
		return nil, err
	}
	c := &Created{create: create, enc: enc}
	// What MergeConflicts of a creation into an empty State sets.
	c.hdr = State{Kind: create.Kind, ID: create.Record, Council: create.Council, Author: create.Author, Device: create.Device, Created: create.HLC, Updated: create.HLC}
	return c, nil
}

// createdFields checks that enc is the storage encoding of op's header
// with as many fields as op has, in strictly increasing name order.
func createdFields(enc []byte, op *Op) error {
	if len(enc) == 0 || (enc[0] != binaryV1 && enc[0] != binaryV2) {
		return fmt.Errorf("operation: %w: not in the storage encoding", ErrDamaged)
	}
	e := EncodedOp{enc: enc, v2: enc[0] == binaryV2}
	r := reader{b: enc[1:]}
	// The header read as op's, with no string made.
	same := string(r.bytes()) == op.Device
	same = r.uvarint() == op.Seq && same
	same = hlcOf(r.uvarint()) == op.HLC && same
	same = string(r.bytes()) == op.Kind && same
	same = string(r.bytes()) == op.Record && same
	same = string(r.bytes()) == op.Council && same
	same = string(r.bytes()) == string(op.Action) && same
	same = string(r.bytes()) == op.Author && same
	e.NumFields = r.count(MaxFieldsPerOp)
	if r.err != nil {
		return fmt.Errorf("operation: %w", r.err)
	}
	if !same || e.NumFields != len(op.Fields) {
		return fmt.Errorf("operation %s/%d: the encoding given is another's", op.Device, op.Seq)
	}
	e.fields = r.b
	it := e.Fields()
	for _, ok := it.Next(); ok; _, ok = it.Next() {
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("operation: %w", err)
	}
	if len(it.r.b) > 0 {
		return fmt.Errorf("operation: %w: %d bytes left over", ErrDamaged, len(it.r.b))
	}
	return nil
}

// Header is the state's header (its Fields nil), as the merges left it:
// what the rules read of a state whose writes read nothing else
// (policy.HeaderOnly). The caller does not change it.
func (c *Created) Header() *State { return &c.hdr }

// field is the state's field name: its winner since the creation, or
// the creation's.
func (c *Created) field(name string) (FieldValue, bool) {
	if f, ok := c.over[name]; ok {
		return f, true
	}
	ch, ok := c.create.Fields[name]
	if !ok {
		return FieldValue{}, false
	}
	return FieldValue{Value: stateValue(ch.Value), HLC: c.create.HLC, Device: c.create.Device, Seq: c.create.Seq, Base: ch.Base}, true
}

// HasField reports whether the state holds a field name.
func (c *Created) HasField(name string) bool {
	_, ok := c.field(name)
	return ok
}

// stateValue is the value a state keeps of an operation's (apply, in
// MergeConflicts' mode).
func stateValue(v []byte) []byte {
	if hasSpaceOutsideStrings(v) {
		return compact(v)
	}
	return v[:len(v):len(v)]
}

// MergeConflicts merges op into the state as State.MergeConflicts does
// (the same state, the same conflicts, the same error), keeping op's
// values as it does.
func (c *Created) MergeConflicts(op *Op) ([]Conflict, error) {
	s := &c.hdr
	if s.Kind != op.Kind || s.ID != op.Record {
		return nil, fmt.Errorf("%w: operation %s is for %s/%s, not %s/%s", ErrInvalidOp, op.ID(), op.Kind, op.Record, s.Kind, s.ID)
	}
	if op.Action == ActionCreate && (s.Created == 0 || op.HLC < s.Created || op.HLC == s.Created && op.Device < s.Device) {
		s.Created, s.Author, s.Device = op.HLC, op.Author, op.Device
		if op.Council != "" {
			s.Council = op.Council
		}
	}
	if s.Council == "" {
		s.Council = op.Council
	}
	if op.HLC > s.Updated {
		s.Updated = op.HLC
	}
	var conflicts []Conflict
	for name, ch := range op.Fields {
		in := FieldValue{Value: stateValue(ch.Value), HLC: op.HLC, Device: op.Device, Seq: op.Seq, Base: ch.Base}
		cur, exists := c.field(name)
		if exists && cur.HLC == in.HLC && cur.Device == in.Device && cur.Seq == in.Seq {
			continue // this very write again
		}
		if !exists || cur.olderThan(in.HLC, in.Device, in.Seq) {
			if exists && in.Base < cur.HLC && !bytes.Equal(cur.Value, in.Value) {
				conflicts = append(conflicts, Conflict{Kind: s.Kind, Record: s.ID, Field: name, Winner: in, Loser: cur})
			}
			if c.over == nil {
				c.over = make(map[string]FieldValue, 8)
			}
			c.over[name] = in
			continue
		}
		// The incoming write is older: it loses, and is a conflict only
		// if the winner's author had not seen it.
		if cur.Base < in.HLC && !bytes.Equal(cur.Value, in.Value) {
			conflicts = append(conflicts, Conflict{Kind: s.Kind, Record: s.ID, Field: name, Winner: cur, Loser: in})
		}
	}
	return conflicts, nil
}

// createdField is one field of a Created in name order: the creation's
// (name in nb, from its encoding) or one written since (ns).
type createdField struct {
	nb    []byte
	ns    string
	f     FieldValue
	ofEnc bool // named by nb
}

// AppendBinary appends the state's storage encoding to b: State's
// AppendBinary of the state the same operations make.
func (c *Created) AppendBinary(b []byte) ([]byte, error) {
	var nameBuf [16]string
	names := nameBuf[:0]
	for name := range c.over {
		names = append(names, name)
	}
	slices.Sort(names)
	// The fields in name order: the creation's (from its encoding, in
	// name order, but those written since) merged with those written
	// since.
	var fieldBuf [40]createdField
	fields := fieldBuf[:0]
	e := EncodedOp{enc: c.enc, v2: c.enc[0] == binaryV2}
	r := reader{b: c.enc[1:]}
	// The header, which NewCreated read: device, seq, clock, kind,
	// record, council, action, author.
	r.bytes()
	r.uvarint()
	r.uvarint()
	for range 5 {
		r.bytes()
	}
	e.NumFields = r.count(MaxFieldsPerOp)
	e.fields = r.b
	it := e.Fields()
	cr := c.create
	for ef, ok := it.Next(); ok; ef, ok = it.Next() {
		for len(names) > 0 && names[0] < string(ef.Name) {
			fields = append(fields, createdField{ns: names[0], f: c.over[names[0]]})
			names = names[1:]
		}
		if len(names) > 0 && names[0] == string(ef.Name) {
			fields = append(fields, createdField{ns: names[0], f: c.over[names[0]]})
			names = names[1:]
			continue
		}
		fields = append(fields, createdField{nb: ef.Name, ofEnc: true, f: FieldValue{Value: stateValue(ef.Value), HLC: cr.HLC, Device: cr.Device, Seq: cr.Seq, Base: ef.Base}})
	}
	if err := it.Err(); err != nil {
		return b, fmt.Errorf("state of %s %s: %w", c.hdr.Kind, c.hdr.ID, err)
	}
	for _, name := range names {
		fields = append(fields, createdField{ns: name, f: c.over[name]})
	}
	b = c.hdr.appendHeader(b)
	// The devices in the order their fields come (State.AppendBinary).
	var devBuf [devScan]string
	devs := devBuf[:0]
	var index map[string]int
	for i := range fields {
		devs, index, _ = devNumber(devs, index, fields[i].f.Device)
	}
	b = binary.AppendUvarint(b, uint64(len(devs)))
	for _, d := range devs {
		b = appendStr(b, d)
	}
	b = binary.AppendUvarint(b, uint64(len(fields)))
	for i := range fields {
		cf := &fields[i]
		if cf.ofEnc {
			b = appendBytes(b, cf.nb)
		} else {
			b = appendStr(b, cf.ns)
		}
		f := &cf.f
		b = appendBytes(b, f.Value)
		b = binary.AppendUvarint(b, uint64(f.HLC))
		_, _, d := devNumber(devs, index, f.Device)
		b = binary.AppendUvarint(b, uint64(d))
		b = binary.AppendUvarint(b, f.Seq)
		b = binary.AppendUvarint(b, uint64(f.Base))
	}
	return b, nil
}

func hlcOf(n uint64) hlc.Timestamp { return hlc.Timestamp(n) }
