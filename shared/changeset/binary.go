package changeset

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kenesh/kenesh/shared/hlc"
)

// The storage encoding of operations and states: what a store writes to
// disk, not what travels (the wire is JSON, see package syncproto). JSON
// with per-field metadata made a stored appeal state 2.7 KB, half of all
// the bytes a push wrote on the server, and encoding it was a seventh of
// the server's CPU. This encoding is about half the size and has no
// reflection.
//
// Layout (all integers unsigned varints, strings and values length-first):
//
//	op:    0x01 device seq hlc kind record council action author
//	       nfields { name value base }
//	   or  0x02 ... nfields { name value base nsettles { hlc device } }
//	       (0x02 only for an operation that settles conflicts, so that
//	       every other operation encodes as before)
//	state: 0x01 kind id council author device created updated
//	       ndevices { device } nfields { name value hlc device# seq base }
//
// Fields are written in name order, so one value always encodes to the same
// bytes. The leading byte is a version: JSON, which an older store holds,
// begins with '{' and is still read (DecodeOp, DecodeState).

const (
	binaryV1 = 0x01
	binaryV2 = 0x02 // operations with Change.Settles
)

// ErrDamaged marks stored bytes that do not decode.
var ErrDamaged = errors.New("damaged stored value")

// AppendBinary appends the storage encoding of o to b.
func (o *Op) AppendBinary(b []byte) ([]byte, error) {
	// The fields in name order, from one pass over the map (a large
	// push's server spent a tenth of its ingest on these encodings, most
	// of it iterating, sorting and looking up the fields' maps).
	var ents [32]nameKey // nearly every operation's, on the stack
	var vals [32]Change
	es, vs := sortedFields(ents[:0], vals[:0], o.Fields)
	return o.appendBinary(b, es, vs), nil
}

// appendBinary is AppendBinary with o's fields in name order (es, each
// naming its value in vs: sortedFields).
func (o *Op) appendBinary(b []byte, es []nameKey, vs []Change) []byte {
	v2 := false
	for i := range vs {
		v2 = v2 || len(vs[i].Settles) > 0
	}
	if v2 {
		b = append(b, binaryV2)
	} else {
		b = append(b, binaryV1)
	}
	b = appendStr(b, o.Device)
	b = binary.AppendUvarint(b, o.Seq)
	b = binary.AppendUvarint(b, uint64(o.HLC))
	b = appendStr(b, o.Kind)
	b = appendStr(b, o.Record)
	b = appendStr(b, o.Council)
	b = appendStr(b, string(o.Action))
	b = appendStr(b, o.Author)
	b = binary.AppendUvarint(b, uint64(len(es)))
	for _, e := range es {
		ch := &vs[e.i]
		b = appendStr(b, e.name)
		b = appendBytes(b, ch.Value)
		b = binary.AppendUvarint(b, uint64(ch.Base))
		if v2 {
			b = binary.AppendUvarint(b, uint64(len(ch.Settles)))
			for _, v := range ch.Settles {
				b = binary.AppendUvarint(b, uint64(v.HLC))
				b = appendStr(b, v.Device)
			}
		}
	}
	return b
}

// DecodeOp decodes an operation as a store wrote it: the storage encoding,
// or JSON. Field values alias data.
func DecodeOp(data []byte) (*Op, error) {
	var o Op
	if err := decodeOp(data, &o, nil); err != nil {
		return nil, err
	}
	return &o, nil
}

// OpDecoder decodes stored operations into Ops its user reuses: what
// DecodeOp gives, with the strings that recur from operation to operation
// (kinds, actions, devices, authors, councils, field names, the record of
// the one before) shared instead of allocated each time, and the fields'
// map cleared and refilled. A report as of a past day decodes hundreds of
// thousands of operations of a few dozen distinct names: the strings and
// maps were a fifth of the replay's allocations. The zero value is ready
// to use; it is not safe for concurrent use.
type OpDecoder struct {
	strs map[string]string
	last string // the record of the operation decoded before
}

// maxInterned bounds the strings an OpDecoder keeps: field names of
// collection items ("actions/ID") are many; past the bound a string is
// allocated as DecodeOp does.
const maxInterned = 4096

// DecodeInto decodes data into o (as DecodeOp does), reusing o's fields
// map. On an error o holds what was read before it.
func (d *OpDecoder) DecodeInto(data []byte, o *Op) error {
	return decodeOp(data, o, d)
}

func (d *OpDecoder) str(b []byte) string {
	if d == nil {
		return string(b)
	}
	if s, ok := d.strs[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	if d.strs == nil {
		d.strs = map[string]string{}
	}
	if len(d.strs) < maxInterned {
		d.strs[s] = s
	}
	return s
}

// record is str for a record's id: not kept past the next record.
func (d *OpDecoder) record(b []byte) string {
	if d == nil {
		return string(b)
	}
	if d.last != string(b) {
		d.last = string(b)
	}
	return d.last
}

// head reads an operation's header, the fields before its own fields, into
// o: what DecodeInto and DecodeHead both read the same way.
func (d *OpDecoder) head(r *reader, o *Op) {
	o.Device = d.str(r.bytes())
	o.Seq = r.uvarint()
	o.HLC = hlc.Timestamp(r.uvarint())
	o.Kind = d.str(r.bytes())
	o.Record = d.record(r.bytes())
	o.Council = d.str(r.bytes())
	o.Action = Action(d.str(r.bytes()))
	o.Author = d.str(r.bytes())
}

func decodeOp(data []byte, o *Op, d *OpDecoder) error {
	fields := o.Fields
	clear(fields)
	*o = Op{Fields: fields}
	if len(data) > 0 && data[0] != binaryV1 && data[0] != binaryV2 {
		var j Op
		if err := json.Unmarshal(data, &j); err != nil {
			return fmt.Errorf("%w: operation: %v", ErrDamaged, err)
		}
		*o = j
		return nil
	}
	r := reader{b: data}
	v2 := len(data) > 0 && data[0] == binaryV2
	if v2 {
		r.b = r.b[1:]
	} else {
		r.version()
	}
	d.head(&r, o)
	n := r.count(MaxFieldsPerOp)
	if o.Fields == nil {
		o.Fields = make(map[string]Change, n)
	}
	for i := 0; i < n && r.err == nil; i++ {
		name := d.str(r.bytes())
		ch := Change{Value: r.bytes(), Base: hlc.Timestamp(r.uvarint())}
		if v2 {
			if n := r.count(MaxSettles); n > 0 {
				ch.Settles = make([]Version, n)
				for j := range ch.Settles {
					ch.Settles[j] = Version{HLC: hlc.Timestamp(r.uvarint()), Device: r.str()}
				}
			}
		}
		o.Fields[name] = ch
	}
	if err := r.done(); err != nil {
		return fmt.Errorf("operation: %w", err)
	}
	return nil
}

// appendHeader appends the start of s's storage encoding: its version,
// strings and clocks (reader.header reads them back). State.AppendBinary
// and Created.AppendBinary write the same bytes.
func (s *State) appendHeader(b []byte) []byte {
	b = append(b, binaryV1)
	b = appendStr(b, s.Kind)
	b = appendStr(b, s.ID)
	b = appendStr(b, s.Council)
	b = appendStr(b, s.Author)
	b = appendStr(b, s.Device)
	b = binary.AppendUvarint(b, uint64(s.Created))
	return binary.AppendUvarint(b, uint64(s.Updated))
}

// AppendBinary appends the storage encoding of s to b.
func (s *State) AppendBinary(b []byte) ([]byte, error) {
	b = s.appendHeader(b)
	var ents [32]nameKey // nearly every record's, on the stack
	var vals [32]FieldValue
	es, vs, ok := orderedFields(ents[:0], vals[:0], s.order, s.Fields)
	if !ok {
		es, vs = sortedFields(ents[:0], vals[:0], s.Fields)
	}
	// A record is written by a few devices: name each once, then refer to
	// it by number (26 bytes per field saved).
	var devBuf [devScan]string
	devs := devBuf[:0]
	var index map[string]int
	for _, e := range es {
		devs, index, _ = devNumber(devs, index, vs[e.i].Device)
	}
	b = binary.AppendUvarint(b, uint64(len(devs)))
	for _, d := range devs {
		b = appendStr(b, d)
	}
	b = binary.AppendUvarint(b, uint64(len(es)))
	for _, e := range es {
		f := &vs[e.i]
		b = appendStr(b, e.name)
		b = appendBytes(b, f.Value)
		b = binary.AppendUvarint(b, uint64(f.HLC))
		_, _, d := devNumber(devs, index, f.Device)
		b = binary.AppendUvarint(b, uint64(d))
		b = binary.AppendUvarint(b, f.Seq)
		b = binary.AppendUvarint(b, uint64(f.Base))
	}
	return b, nil
}

// devNumber is dev's number among a state's devices (devs, in the order
// they are first met), adding it if it is not there: a look through the
// list while it is short (a record is written by one to three devices),
// a map (index) once it is longer than devScan.
func devNumber(devs []string, index map[string]int, dev string) ([]string, map[string]int, int) {
	if index != nil {
		if i, ok := index[dev]; ok {
			return devs, index, i
		}
	} else {
		for i, x := range devs {
			if x == dev {
				return devs, index, i
			}
		}
	}
	devs = append(devs, dev)
	if len(devs) > devScan {
		if index == nil {
			index = make(map[string]int, 2*len(devs))
			for i, x := range devs {
				index[x] = i
			}
		}
		index[dev] = len(devs) - 1
	}
	return devs, index, len(devs) - 1
}

const devScan = 8

// header reads a binary state's version and header (kind, id, council,
// author, device, created, updated) into s: DecodeState's start, and all
// StateHeader reads.
func (r *reader) header(s *State) {
	r.version()
	s.Kind = r.str()
	s.ID = r.str()
	s.Council = r.str()
	s.Author = r.str()
	s.Device = r.str()
	s.Created = hlc.Timestamp(r.uvarint())
	s.Updated = hlc.Timestamp(r.uvarint())
}

// DecodeState decodes a state as a store wrote it: the storage encoding,
// or JSON. Field values alias data.
func DecodeState(data []byte) (*State, error) {
	var s State
	if len(data) > 0 && data[0] != binaryV1 {
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, fmt.Errorf("%w: record state: %v", ErrDamaged, err)
		}
		return &s, nil
	}
	r := reader{b: data}
	r.header(&s)
	// Each entry takes at least one byte: the bytes left bound the counts.
	devs := make([]string, r.count(len(data)))
	for i := range devs {
		devs[i] = r.str()
	}
	n := r.count(len(data))
	// The fields are read first and their names copied into one string,
	// not one each: a state has a few dozen, and decoding the states of a
	// spread push, each once per operation, spent a third of its time
	// on them.
	type field struct {
		name []byte
		f    FieldValue
	}
	var buf [32]field // nearly every record's, on the stack
	fs := buf[:0]
	size := 0
	for i := 0; i < n && r.err == nil; i++ {
		// The numbers of one byte (the lengths of names and of most
		// values, the device's number, most seqs, a base of zero) are
		// read by short and shortBytes, which the compiler inlines here;
		// uvarint, a call, took a third of DecodeState's time.
		name, ok := r.shortBytes()
		if !ok {
			name = r.bytes()
		}
		var f FieldValue
		if f.Value, ok = r.shortBytes(); !ok {
			f.Value = r.bytes()
		}
		f.HLC = hlc.Timestamp(r.uvarint())
		d, ok := r.short()
		if !ok {
			d = r.uvarint()
		}
		if d < uint64(len(devs)) {
			f.Device = devs[d]
		} else {
			r.fail("field %q names device %d of %d", name, d, len(devs))
		}
		if f.Seq, ok = r.short(); !ok {
			f.Seq = r.uvarint()
		}
		base, ok := r.short()
		if !ok {
			base = r.uvarint()
		}
		f.Base = hlc.Timestamp(base)
		fs = append(fs, field{name, f})
		size += len(name)
	}
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("record state: %w", err)
	}
	var names strings.Builder
	names.Grow(size)
	for i := range fs {
		names.Write(fs[i].name)
	}
	all := names.String()
	s.Fields = make(map[string]FieldValue, len(fs))
	s.order = make([]string, 0, len(fs))
	for i := range fs {
		name := all[:len(fs[i].name)]
		all = all[len(name):]
		s.order = append(s.order, name)
		s.Fields[name] = fs[i].f
	}
	return &s, nil
}

func sortedKeys[V any](m map[string]V) []string {
	return sortedKeysInto(make([]string, 0, len(m)), m)
}

// sortedKeysInto is sortedKeys appending to keys (which a caller may
// have on its stack: encoding a large push allocated a slice of names for
// each operation and each record).
func sortedKeysInto[V any](keys []string, m map[string]V) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// nameKey is a field of a map being encoded: its name, the name's first
// eight bytes as a number (names sort by it, and by the whole name only
// when it is equal), and where its value is in the caller's slice.
type nameKey struct {
	key  uint64
	name string
	i    int
}

func (a *nameKey) less(b *nameKey) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.name < b.name
}

// prefixKey is s's first eight bytes, big-endian, zeros past its end: for
// two names it orders as the names do, or is equal.
func prefixKey(s string) uint64 {
	var k uint64
	for i := 0; i < 8; i++ {
		k <<= 8
		if i < len(s) {
			k |= uint64(s[i])
		}
	}
	return k
}

// sortedFields appends m's entries to ents and their values to vals (which
// a caller may have on its stack), ents in name order, each pointing to
// its value: one pass over the map, no lookups.
func sortedFields[V any](ents []nameKey, vals []V, m map[string]V) ([]nameKey, []V) {
	for name, v := range m {
		ents = append(ents, nameKey{key: prefixKey(name), name: name, i: len(vals)})
		vals = append(vals, v)
	}
	if len(ents) <= 48 {
		// Insertion sort: a record's few dozen names, mostly told apart
		// by their first eight bytes, compared as numbers.
		for i := 1; i < len(ents); i++ {
			for j := i; j > 0 && ents[j].less(&ents[j-1]); j-- {
				ents[j], ents[j-1] = ents[j-1], ents[j]
			}
		}
	} else {
		slices.SortFunc(ents, func(a, b nameKey) int {
			if a.less(&b) {
				return -1
			}
			if b.less(&a) {
				return 1
			}
			return 0
		})
	}
	return ents, vals
}

// orderedFields is sortedFields for a state whose names order lists
// (State.order): nearly in name order already, so the insertion sort
// that puts the few names a merge added in their places passes over the
// rest once. ok is false, and nothing appended, unless order names each
// of m's fields exactly once: as many names, each in m, none twice.
func orderedFields(ents []nameKey, vals []FieldValue, order []string, m map[string]FieldValue) (_ []nameKey, _ []FieldValue, ok bool) {
	if len(order) != len(m) || len(order) > maxOrdered {
		return ents, vals, false
	}
	ents0, vals0 := ents, vals
	for _, name := range order {
		v, ok := m[name]
		if !ok {
			return ents0, vals0, false
		}
		ents = append(ents, nameKey{key: prefixKey(name), name: name, i: len(vals)})
		vals = append(vals, v)
	}
	for i := 1; i < len(ents); i++ {
		for j := i; j > 0 && ents[j].less(&ents[j-1]); j-- {
			ents[j], ents[j-1] = ents[j-1], ents[j]
		}
	}
	for i := 1; i < len(ents); i++ {
		if ents[i].key == ents[i-1].key && ents[i].name == ents[i-1].name {
			return ents0, vals0, false // named twice: some field is not named
		}
	}
	return ents, vals, true
}

// maxOrdered bounds the names orderedFields sorts by insertion (a state
// with more goes to sortedFields, whose sort does not depend on how
// sorted they came).
const maxOrdered = 256

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// reader decodes the storage encoding; the first error sticks and every
// later read returns zero values, so decoders check once at the end.
type reader struct {
	b   []byte // what is left to read; nothing once err is set
	err error
}

func (r *reader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrDamaged, fmt.Sprintf(format, a...))
	}
	r.b = nil // short and shortBytes read nothing more
}

// short reads a number of one byte (below 0x80), reporting false, and
// reading nothing, if the next is not one (or there is none, or an error
// was met): the compiler inlines it where it does not inline uvarint,
// whose call a decoder makes only for the longer numbers.
func (r *reader) short() (uint64, bool) {
	if b := r.b; len(b) > 0 && b[0] < 0x80 {
		r.b = b[1:]
		return uint64(b[0]), true
	}
	return 0, false
}

// shortBytes is short for a length of one byte and the bytes it counts
// (bytes' result): false, and nothing read, for a longer length or one
// past the end.
func (r *reader) shortBytes() ([]byte, bool) {
	if b := r.b; len(b) > 0 && b[0] < 0x80 && int(b[0]) < len(b) {
		n := int(b[0]) + 1
		r.b = b[n:]
		return b[1:n:n], true
	}
	return nil, false
}

func (r *reader) version() {
	if len(r.b) == 0 || r.b[0] != binaryV1 {
		r.fail("unknown encoding")
		return
	}
	r.b = r.b[1:]
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a number of entries, at most limit and at most the bytes
// left, so a damaged count cannot make the decoder allocate much.
func (r *reader) count(limit int) int {
	n := r.uvarint()
	if n > uint64(limit) || n > uint64(len(r.b)) {
		r.fail("count %d out of range", n)
		return 0
	}
	return int(n)
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail("length %d past the end", n)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) str() string { return string(r.bytes()) }

func (r *reader) done() error {
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d bytes left over", len(r.b))
	}
	return r.err
}
