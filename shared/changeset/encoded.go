package changeset

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/kenesh/kenesh/shared/hlc"
)

// EncodedOp is an operation as a store holds it: its storage encoding,
// with the header read (Head) and the fields left encoded, to be walked
// in name order (Fields) or decoded (Op). A laptop's long push read each
// of its operations into an Op, a map of its fields, only to write the
// fields out again in name order into the push's body: decoding them was
// a fifth of the laptop's CPU, and their maps most of its garbage.
type EncodedOp struct {
	// Head is the operation's header (device, seq, clock, record, action,
	// author); its Fields are nil: they are in the encoding.
	Head Op
	// NumFields is the number of fields the encoding holds.
	NumFields int
	enc       []byte // the whole encoding
	fields    []byte // the encoding's fields, NumFields of them
	v2        bool   // each field with its settled values (binaryV2)
}

// DecodeHead reads data, an operation's storage encoding, into e: its
// header, with the strings shared as DecodeInto shares them, and its
// fields checked whole (every length within the data, the counts in
// their bounds, the names in strictly increasing order) but not decoded,
// so that walking them (Fields) or decoding them (Op) cannot fail. An
// operation an older store wrote as JSON, or one whose fields are not in
// name order, is decoded and encoded again. e aliases data (or the new
// encoding).
func (d *OpDecoder) DecodeHead(data []byte, e *EncodedOp) error {
	return d.decodeHead(data, e, true)
}

func (d *OpDecoder) decodeHead(data []byte, e *EncodedOp, again bool) error {
	if again && (len(data) == 0 || (data[0] != binaryV1 && data[0] != binaryV2)) {
		return e.reencode(data)
	}
	if len(data) == 0 || (data[0] != binaryV1 && data[0] != binaryV2) {
		return fmt.Errorf("operation: %w: unknown encoding", ErrDamaged)
	}
	*e = EncodedOp{enc: data, v2: data[0] == binaryV2}
	r := reader{b: data[1:]}
	d.head(&r, &e.Head)
	e.NumFields = r.count(MaxFieldsPerOp)
	e.fields = r.b
	it := e.Fields()
	for _, ok := it.Next(); ok; _, ok = it.Next() {
	}
	if err := it.Err(); err != nil {
		if it.unsorted && again {
			return e.reencode(data)
		}
		return fmt.Errorf("operation: %w", err)
	}
	if err := r.err; err != nil {
		return fmt.Errorf("operation: %w", err)
	}
	if len(it.r.b) > 0 {
		return fmt.Errorf("operation: %w: %d bytes left over", ErrDamaged, len(it.r.b))
	}
	return nil
}

// reencode sets e to data decoded (DecodeOp) and encoded again.
func (e *EncodedOp) reencode(data []byte) error {
	o, err := DecodeOp(data)
	if err != nil {
		return err
	}
	enc, err := o.AppendBinary(nil)
	if err != nil {
		return err
	}
	var d OpDecoder
	return d.decodeHead(enc, e, false) // sorted now: not again
}

// Size is the length of the operation's storage encoding.
func (e *EncodedOp) Size() int { return len(e.enc) }

// Op decodes the whole operation (DecodeOp); its values alias the
// encoding, an empty one (which no valid operation holds) being nil, as
// in an Op made from the wire, so that both write the same JSON. DecodeHead
// checked the encoding, so this does not fail.
func (e *EncodedOp) Op() *Op {
	o, err := DecodeOp(e.enc)
	if err != nil {
		panic(fmt.Sprintf("changeset: an encoding DecodeHead checked does not decode: %v", err))
	}
	for name, c := range o.Fields {
		if len(c.Value) == 0 && c.Value != nil {
			c.Value = nil
			o.Fields[name] = c
		}
	}
	return o
}

// EncodedField is one field of an EncodedOp, aliasing its encoding.
type EncodedField struct {
	Name  []byte
	Value []byte
	Base  hlc.Timestamp
	// Settles are the values the field settles (Change.Settles), nil for
	// nearly every field; their devices are allocated.
	Settles []Version
}

// EncodedFields walks an EncodedOp's fields in name order.
type EncodedFields struct {
	r        reader
	n        int
	v2       bool
	prev     []byte
	unsorted bool
}

// Fields walks e's fields, in name order.
func (e *EncodedOp) Fields() EncodedFields {
	return EncodedFields{r: reader{b: e.fields}, n: e.NumFields, v2: e.v2}
}

// Next reads the next field, reporting whether there was one. It reads
// from a copy of the iterator's place and writes it back once (and
// returns the field rather than writing it through a pointer): every
// pointer written through a pointer takes a write barrier while the
// collector runs, and a long push's collector runs often; the reader's
// methods wrote its slice back after each number and length.
func (it *EncodedFields) Next() (f EncodedField, ok bool) {
	if it.n == 0 || it.r.err != nil {
		return f, false
	}
	it.n--
	b := it.r.b
	var base uint64
	f.Name, b, ok = cutBytes(b)
	if ok {
		f.Value, b, ok = cutBytes(b)
	}
	if ok {
		base, b, ok = cutUvarint(b)
		f.Base = hlc.Timestamp(base)
	}
	if ok && it.v2 {
		var n uint64
		if n, b, ok = cutUvarint(b); ok && (n > MaxSettles || n > uint64(len(b))) {
			it.r.fail("count %d out of range", n)
			return f, false
		}
		if ok && n > 0 {
			f.Settles = make([]Version, n)
			for j := range f.Settles {
				var t uint64
				var dev []byte
				if t, b, ok = cutUvarint(b); ok {
					dev, b, ok = cutBytes(b)
				}
				if !ok {
					break
				}
				f.Settles[j] = Version{HLC: hlc.Timestamp(t), Device: string(dev)}
			}
		}
	}
	if !ok {
		it.r.fail("field cut off")
		return f, false
	}
	it.r.b = b
	if it.prev != nil && bytes.Compare(f.Name, it.prev) <= 0 {
		it.unsorted = true
		it.r.fail("field %q after %q: not in name order", f.Name, it.prev)
		return f, false
	}
	it.prev = f.Name
	return f, true
}

// cutUvarint reads a number from b, returning what follows it.
func cutUvarint(b []byte) (uint64, []byte, bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, b, false
	}
	return v, b[n:], true
}

// cutBytes reads a length and that many bytes from b (their capacity cut
// to their length), returning what follows them.
func cutBytes(b []byte) ([]byte, []byte, bool) {
	n, rest, ok := cutUvarint(b)
	if !ok || n > uint64(len(rest)) {
		return nil, b, false
	}
	return rest[:n:n], rest[n:], true
}

// Err is the first error Next met.
func (it *EncodedFields) Err() error { return it.r.err }
