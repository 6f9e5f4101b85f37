package changeset

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/kenesh/kenesh/shared/hlc"
)

// Merging an operation into a state's storage encoding without decoding
// it (issue 15, the spread backlog): a server judging a push of updates to
// many records read, for each operation, the record's ~1.1 KB encoded
// state, decoded it into a map (~2.6 KB of memory written), merged the
// operation's few fields and encoded the whole state again; decoding,
// merging and encoding were a third of the push's server CPU
// (BENCHMARKS.md, spread9). MergeEncoded writes the merged state's
// encoding by copying the runs of fields the operation does not touch.
//
// The result is exactly what DecodeState, MergeConflicts and AppendBinary
// give: byte for byte when enc is AppendBinary's own output (what every
// store writes), and otherwise a state that decodes to the same State.
// The encoding stays canonical (one State, one sequence of bytes,
// TestEncodingAfterDecoding): the merge falls back to decoding whenever
// the canonical encoding is not the old one with runs replaced, rather
// than writing another order of the device list that DecodeState would
// read but that would make two encodings of one state.

// Fallback says why MergeEncoded decoded, merged and encoded the state
// instead of writing its encoding directly (Direct: it did not).
type Fallback uint8

const (
	Direct           Fallback = iota // merged on the encoding
	FallbackJSON                     // enc is a JSON state (an old store's), or empty
	FallbackDamaged                  // enc does not read as AppendBinary writes (the decoder reports it)
	FallbackRecord                   // another record, or a state with no ID (the merge decides)
	FallbackHeader                   // a creation or a first council rewrites the header
	FallbackConflict                 // a concurrent write: the merge reports the conflict
	FallbackValue                    // a value with white space to compact
	FallbackDevices                  // the device list changes order (a device gone or met earlier), or is long
	FallbackOrder                    // enc's fields are not in name order (not AppendBinary's output)
)

var fallbackNames = [...]string{"direct", "json", "damaged", "record", "header", "conflict", "value", "devices", "order"}

func (f Fallback) String() string {
	if int(f) < len(fallbackNames) {
		return fallbackNames[f]
	}
	return "unknown"
}

// MergeEncoded appends to dst the storage encoding of the state encoded in
// enc with op merged into it (State.MergeConflicts), and returns it with
// the conflicts found and how it was done. The common case (an update of a
// few fields, each newer than the state's, by a device already among the
// state's writers or added after them) is written directly; every other
// falls back to DecodeState, MergeConflicts and AppendBinary, and the
// Fallback says why. An error is DecodeState's (enc damaged) or the
// merge's (op for another record); dst is then returned unchanged.
//
// As with MergeConflicts, op's values are not copied by the direct path
// either: they are written into dst.
func MergeEncoded(dst, enc []byte, op *Op) ([]byte, []Conflict, Fallback, error) {
	out, conflicts, why, _, err := mergeEncoded(dst, enc, op, "")
	return out, conflicts, why, err
}

// MergeEncodedHas is MergeEncoded, also saying whether the merged state
// holds a field named name (HasField of what it appends), from the same
// read of enc: a server that asks it of every appeal it merges (was it
// ever published?) read each merged state's fields again for it, a walk
// of all of them (BENCHMARKS.md, issue 15, push4).
func MergeEncodedHas(dst, enc []byte, op *Op, name string) ([]byte, []Conflict, bool, error) {
	out, conflicts, _, has, err := mergeEncoded(dst, enc, op, name)
	return out, conflicts, has, err
}

// mergeEncoded is MergeEncoded, and whether the result holds a field
// named has (false for has "").
func mergeEncoded(dst, enc []byte, op *Op, has string) ([]byte, []Conflict, Fallback, bool, error) {
	if len(enc) == 0 || enc[0] != binaryV1 {
		return mergeDecoded(dst, enc, op, FallbackJSON, has)
	}
	// The slices of op's fields on the stack, for nearly every operation
	// (set in m from here: an encMerge pointing into itself would escape).
	// They are filled by index: an append through m would move them to
	// the heap too.
	var names [16]string
	var acts [16]fieldAct
	var at, end [16]int
	var m encMerge
	if k := len(op.Fields); k <= len(names) {
		m.names, m.acts, m.at, m.end = names[:k], acts[:k], at[:k], end[:k]
	} else {
		m.names, m.acts, m.at, m.end = make([]string, k), make([]fieldAct, k), make([]int, k), make([]int, k)
	}
	m.want = has
	if why := m.plan(enc, op); why != Direct {
		return mergeDecoded(dst, enc, op, why, has)
	}
	// The merged state's fields are enc's and op's (a field op writes is
	// added, or is enc's already).
	found := m.found
	if _, ok := op.Fields[has]; ok && has != "" {
		found = true
	}
	return m.write(dst, enc, op), nil, Direct, found, nil
}

// mergeDecoded is MergeEncoded's fallback: what a server did before.
func mergeDecoded(dst, enc []byte, op *Op, why Fallback, has string) ([]byte, []Conflict, Fallback, bool, error) {
	s, err := DecodeState(enc)
	if err != nil {
		return dst, nil, why, false, err
	}
	conflicts, err := s.MergeConflicts(op)
	if err != nil {
		return dst, nil, why, false, err
	}
	_, found := s.Fields[has]
	out, err := s.AppendBinary(dst)
	return out, conflicts, why, found && has != "", err
}

// fieldAct is what the merge does with one of op's fields.
type fieldAct uint8

const (
	actKeep fieldAct = iota // op's write loses, or is the state's already
	actAdd                  // a field the state lacks: inserted
	actWin                  // op's write replaces the state's
)

// encMerge is one MergeEncoded: plan reads enc and decides each of op's
// fields, write copies and writes. (enc and op are not in it: the
// compiler's escape analysis does not tell an encMerge's fields apart, and
// enc's bytes kept in plan would move the slices on MergeEncoded's stack
// to the heap.)
type encMerge struct {
	updatedAt, devsAt, devsEnd int // offsets in enc: the header's Updated, the devices (after their count), their end
	fieldsAt, fieldsEnd        int // the fields' first byte (after their count), their end
	updated                    uint64
	ndev                       int    // enc's devices
	opDev                      int    // op's device's number in the result
	newDev                     bool   // op's device is not among enc's: appended to the list
	count                      int    // the result's fields
	want                       string // a field name plan looks for among enc's ("": none)
	found                      bool   // enc holds want

	names []string   // op's field names, in name order
	acts  []fieldAct // for each of names
	at    []int      // for each of names: where in enc its field is (actWin) or goes (actAdd)
	end   []int      // for each of names: its field's end in enc (actWin)
}

// plan reads enc (checking it as DecodeState would) and decides op's
// fields; anything but Direct says why the direct path does not apply.
func (m *encMerge) plan(enc []byte, op *Op) Fallback {
	r := reader{b: enc}
	pos := func() int { return len(enc) - len(r.b) }
	r.version()
	kind, id := r.bytes(), r.bytes()
	council := r.bytes()
	r.bytes() // author
	device := r.bytes()
	created := r.uvarint()
	m.updatedAt = pos()
	m.updated = r.uvarint()
	if r.err != nil {
		return FallbackDamaged
	}
	if len(id) == 0 || string(kind) != op.Kind || string(id) != op.Record {
		return FallbackRecord
	}
	if op.Action == ActionCreate && (created == 0 || uint64(op.HLC) < created || uint64(op.HLC) == created && op.Device < string(device)) {
		return FallbackHeader
	}
	if len(council) == 0 && op.Council != "" {
		return FallbackHeader
	}
	m.ndev = r.count(len(enc))
	m.devsAt = pos()
	if m.ndev > devScan {
		return FallbackDevices
	}
	var devSt [devScan][]byte
	devs := devSt[:0]
	m.opDev = -1
	for i := 0; i < m.ndev && r.err == nil; i++ {
		d := r.bytes()
		for _, x := range devs {
			if bytes.Equal(x, d) {
				return FallbackDevices // named twice: not AppendBinary's
			}
		}
		if string(d) == op.Device {
			m.opDev = i
		}
		devs = append(devs, d)
	}
	if m.opDev < 0 {
		m.opDev, m.newDev = m.ndev, true
	}
	m.devsEnd = pos()
	n := r.count(len(enc))
	m.fieldsAt = pos()
	if r.err != nil {
		return FallbackDamaged
	}

	k := 0
	for name, ch := range op.Fields {
		if hasSpaceOutsideStrings(ch.Value) {
			return FallbackValue
		}
		m.names[k] = name
		k++
	}
	slices.Sort(m.names)

	// The canonical device list numbers the devices in the order the
	// fields (in name order) first name them: the result's is enc's, with
	// op's device appended if it is new, only if its fields, in order,
	// first name device 0, then 1, and so on. seen counts those named.
	seen, bad := 0, false
	uses := func(d int) {
		if d == seen {
			seen++
		} else if d > seen {
			bad = true
		}
	}
	won := false
	// decide records what is done with m.names[j] (its field at
	// [at, end) in enc, or to be inserted at at).
	decide := func(j int, act fieldAct, at, end int) {
		m.acts[j], m.at[j], m.end[j] = act, at, end
	}
	add := func(j, at int) {
		decide(j, actAdd, at, at)
		uses(m.opDev)
		won = true
	}
	j := 0 // the next of m.names
	var prev []byte
	for i := 0; i < n && r.err == nil; i++ {
		at := pos()
		name, ok := r.shortBytes()
		if !ok {
			name = r.bytes()
		}
		if i > 0 && bytes.Compare(prev, name) >= 0 {
			return FallbackOrder
		}
		prev = name
		if len(name) == len(m.want) && string(name) == m.want && m.want != "" {
			m.found = true
		}
		value, ok := r.shortBytes()
		if !ok {
			value = r.bytes()
		}
		t := hlc.Timestamp(r.uvarint())
		d, ok := r.short()
		if !ok {
			d = r.uvarint()
		}
		if d >= uint64(m.ndev) {
			return FallbackDamaged
		}
		seq, ok := r.short()
		if !ok {
			seq = r.uvarint()
		}
		base, ok := r.short()
		if !ok {
			base = r.uvarint()
		}
		for j < k && m.names[j] < string(name) {
			add(j, at)
			j++
		}
		if j < k && m.names[j] == string(name) {
			ch := op.Fields[m.names[j]]
			cur := FieldValue{Value: value, HLC: t, Device: string(devs[d]), Seq: seq, Base: hlc.Timestamp(base)}
			switch {
			case cur.HLC == op.HLC && cur.Device == op.Device && cur.Seq == op.Seq:
				decide(j, actKeep, at, pos())
				uses(int(d))
			case cur.olderThan(op.HLC, op.Device, op.Seq):
				if ch.Base < cur.HLC && !bytes.Equal(cur.Value, ch.Value) {
					return FallbackConflict
				}
				decide(j, actWin, at, pos())
				uses(m.opDev)
				won = true
			default:
				if cur.Base < op.HLC && !bytes.Equal(cur.Value, ch.Value) {
					return FallbackConflict
				}
				decide(j, actKeep, at, pos())
				uses(int(d))
			}
			j++
			continue
		}
		uses(int(d))
	}
	m.fieldsEnd = pos()
	if err := r.done(); err != nil {
		return FallbackDamaged
	}
	for ; j < k; j++ {
		add(j, m.fieldsEnd)
	}
	if !won {
		m.newDev = false // op changes no field: its device is not listed
	}
	ndev := m.ndev
	if m.newDev {
		ndev++
	}
	if bad || seen != ndev {
		return FallbackDevices
	}
	m.count = n
	for _, a := range m.acts {
		if a == actAdd {
			m.count++
		}
	}
	return Direct
}

// write appends the merged encoding to dst: enc's header with Updated
// anew, its device list (and op's device), its fields with op's winning
// ones put in their places.
func (m *encMerge) write(dst, enc []byte, op *Op) []byte {
	dst = slices.Grow(dst, len(enc)+len(op.Device)+16*len(m.names)+m.opBytes(op))
	dst = append(dst, enc[:m.updatedAt]...)
	dst = binary.AppendUvarint(dst, max(m.updated, uint64(op.HLC)))
	ndev := m.ndev
	if m.newDev {
		ndev++
	}
	dst = binary.AppendUvarint(dst, uint64(ndev))
	dst = append(dst, enc[m.devsAt:m.devsEnd]...)
	if m.newDev {
		dst = appendStr(dst, op.Device)
	}
	dst = binary.AppendUvarint(dst, uint64(m.count))
	run := m.fieldsAt
	for i, name := range m.names {
		if m.acts[i] == actKeep {
			continue
		}
		ch := op.Fields[name]
		dst = append(dst, enc[run:m.at[i]]...)
		dst = appendStr(dst, name)
		dst = appendBytes(dst, ch.Value)
		dst = binary.AppendUvarint(dst, uint64(op.HLC))
		dst = binary.AppendUvarint(dst, uint64(m.opDev))
		dst = binary.AppendUvarint(dst, op.Seq)
		dst = binary.AppendUvarint(dst, uint64(ch.Base))
		run = m.end[i]
	}
	return append(dst, enc[run:m.fieldsEnd]...)
}

// opBytes is a bound of op's names' and values' bytes (dst's growth).
func (m *encMerge) opBytes(op *Op) int {
	n := 0
	for _, name := range m.names {
		n += len(name) + len(op.Fields[name].Value)
	}
	return n
}
