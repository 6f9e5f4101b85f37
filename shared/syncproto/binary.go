package syncproto

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// Protocol 2's sync request is binary (AppendSyncRequest,
// DecodeSyncRequest), inside the same frame as protocol 1's JSON; the
// answer is JSON as in protocol 1. What the binary body saves is the
// server's decoding: a change set of 500 operations of demo appeals took
// encoding/json about 8 µs an operation, and the names of a JSON body
// repeat on every operation.
//
// The payload (every integer an unsigned varint, "zig" a zigzag varint,
// "str" a varint length and the bytes, "ref" a string of the request's
// string table):
//
//	"KSR2"            binMagic (a JSON request starts with '{')
//	proto cap         as SyncRequest.Proto (2 or more) and .Cap
//	str device        SyncRequest.Device; every operation is this device's
//	cursor flags      flags bit 0: Pull
//	maxPull nops      nops at most MaxPushOps
//	first groups      (only when nops > 0) the first operation's seq; the
//	                  number of groups
//	groups            each: ref kind, ref record, ref council ("" none),
//	                  n (its operations), then each operation:
//	  seq             first of a group: seq - first; then seq - previous seq
//	                  of the group
//	  zig hlc         hlc - the previous operation's hlc, in wire order
//	  ref action, ref author, nfields
//	  fields          each: ref name, str value ("" is null), base (0 none, else
//	                  1 + zig(hlc - base)), nsettles, then each settled
//	                  value: zig(hlc - t), ref device
//
// A ref is 0 followed by a str (a new string, appended to the table) or
// i > 0, the table's string i. Operations of one record are adjacent (a
// group), so a record's id, kind and council are written once and its
// clocks and bases are small deltas; the decoder puts the operations back
// in sequence order, and refuses a body whose sequence numbers are not
// nops consecutive ones from first.
var binMagic = []byte("KSR2")

// MaxPushSettles bounds the values settled by all the fields of one push.
// A laptop's change set is at most 2 MiB of JSON (plus one operation) and
// a settled value takes at least 15 bytes of it, so no laptop sends more
// than about 140,000; a binary body writes one in two bytes, so without
// this bound a 16 MiB body could make the server hold 8 million.
const MaxPushSettles = 1 << 18

// smallChangeSet is the size up to which EncodeSyncRequest frames a
// request both ways and sends the smaller: dictionary 1 was trained on
// JSON bodies, so a few operations' JSON compress better with it than
// their binary body (5 demo appeals' operations: 312 B against 395 B),
// while from some tens of operations on the binary body is smaller
// (TestBinaryRequestBytes).
const smallChangeSet = 100

// tinyChangeSet is the size up to which EncodeSyncRequest, with a
// dictionary, frames only the JSON body: with dictionary 1 its frame was
// the smaller of the two in every change set measured (667 change sets of
// 5 demo operations from syncbench's 500 laptops: the binary frame 21 to
// 255 bytes larger; benchRequest's: 50 to 66 bytes larger at 8 and 10
// operations, smaller from 15), and framing both bodies was a third of
// what a laptop's sync spent encoding and compressing its request.
// Without a dictionary the binary frame is mostly the smaller one.
const tinyChangeSet = 8

// bodyBufs are buffers for binary bodies on their way to a frame: a long
// push writes hundreds of bodies of a few hundred KiB, and growing each
// from nothing made more garbage than the rest of the laptop's encoding.
var bodyBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody bounds the buffers kept in bodyBufs.
const maxPooledBody = 4 << 20

// EncodeSyncRequest frames req with dictionary dict as protocol 2 sends
// it: the binary body, or for a small change set the JSON body when that
// frame is smaller (a server of protocol 2 reads both), and for a tiny
// one with a dictionary the JSON body (tinyChangeSet). A request the
// binary body cannot carry (operations of another device, or not in
// sequence order: no honest laptop sends them) goes as JSON, and the
// server refuses it for what it is.
func (c *Codec) EncodeSyncRequest(req *SyncRequest, dict uint32) ([]byte, error) {
	if n := req.NumOps(); dict != 0 && n > 0 && n <= tinyChangeSet {
		return c.encodeRequestJSON(req, dict)
	}
	buf := bodyBufs.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooledBody {
			bodyBufs.Put(buf)
		}
	}()
	raw, err := AppendSyncRequest((*buf)[:0], req)
	if err != nil {
		return c.EncodeJSON(req.WithWire(), dict)
	}
	*buf = raw
	bin, err := c.Encode(raw, dict) // copies raw, compressed, into a frame of its own
	if err != nil || req.NumOps() > smallChangeSet {
		return bin, err
	}
	js, err := c.encodeRequestJSON(req, dict)
	if err != nil || len(js) >= len(bin) {
		return bin, nil
	}
	return js, nil
}

// IsBinaryRequest reports whether raw (a decoded frame's payload) is a
// binary sync request rather than JSON.
func IsBinaryRequest(raw []byte) bool { return bytes.HasPrefix(raw, binMagic) }

// AppendSyncRequest appends req encoded as protocol 2's binary body. Its
// operations (req.Ops, req.Push or req.PushEncoded) must be req.Device's,
// in sequence order without gaps (as every laptop sends them); Proto is
// written as given (2 if less).
func AppendSyncRequest(dst []byte, req *SyncRequest) ([]byte, error) {
	if (len(req.Ops) > 0 && len(req.Push) > 0) || (len(req.PushEncoded) > 0 && len(req.Ops)+len(req.Push) > 0) {
		return nil, errors.New("a request with more than one of Ops, Push and PushEncoded")
	}
	ops := req.Push
	encs := req.PushEncoded
	if len(encs) > 0 {
		// The headers are grouped as Push's are; the fields are written
		// from the encodings (appendEncodedFields).
		ops = make([]*changeset.Op, len(encs))
		for i := range encs {
			ops[i] = &encs[i].Head
		}
	}
	if len(req.Ops) > 0 {
		ops = make([]*changeset.Op, len(req.Ops))
		conv := make([]changeset.Op, len(req.Ops))
		for i := range req.Ops {
			conv[i] = OpFromWire(&req.Ops[i])
			ops[i] = &conv[i]
		}
	}
	proto := max(req.Proto, 2)
	dst = append(dst, binMagic...)
	dst = binary.AppendUvarint(dst, uint64(proto))
	dst = binary.AppendUvarint(dst, uint64(max(req.Cap, 0)))
	dst = appendStr(dst, req.Device)
	dst = binary.AppendUvarint(dst, req.Cursor)
	var flags uint64
	if req.Pull {
		flags |= 1
	}
	dst = binary.AppendUvarint(dst, flags)
	dst = binary.AppendUvarint(dst, uint64(max(req.MaxPull, 0)))
	dst = binary.AppendUvarint(dst, uint64(len(ops)))
	if len(ops) == 0 {
		return dst, nil
	}
	first := ops[0].Seq
	for i, w := range ops {
		if w.Device != req.Device {
			return nil, fmt.Errorf("operation %s/%d is not device %s's: a request carries its own device's operations", w.Device, w.Seq, req.Device)
		}
		if w.Seq != first+uint64(i) {
			return nil, fmt.Errorf("operation %s/%d: operations must be in sequence order without gaps", w.Device, w.Seq)
		}
	}
	// Group the operations by record, in the order records first appear:
	// each operation's group, then the operations of each group in one
	// slice (groupSlices; a group struct and slice for each record were
	// most of a long push's garbage here).
	gid := make([]int32, len(ops))
	ids := make(map[[2]string]int32, len(ops)/2)
	var sizes []int32
	for i, w := range ops {
		k := [2]string{w.Kind, w.Record}
		g, ok := ids[k]
		if !ok {
			g = int32(len(sizes))
			ids[k] = g
			sizes = append(sizes, 0)
		}
		gid[i] = g
		sizes[g]++
	}
	// A group is one record's operations; a council differing between them
	// (a record moved) starts a group of its own, so that each group has
	// one council.
	split := make([][]int, 0, len(sizes))
	for _, g := range groupSlices(gid, sizes) {
		start := 0
		for j := 1; j <= len(g); j++ {
			if j == len(g) || ops[g[j]].Council != ops[g[start]].Council {
				split = append(split, g[start:j])
				start = j
			}
		}
	}
	dst = binary.AppendUvarint(dst, first)
	dst = binary.AppendUvarint(dst, uint64(len(split)))
	st := strTable{}
	var prevHLC uint64
	var fields changeset.SortedFields // each operation's, in name order: the same body for the same request
	for _, g := range split {
		w0 := ops[g[0]]
		dst = st.append(dst, w0.Kind)
		dst = st.append(dst, w0.Record)
		dst = st.append(dst, w0.Council)
		dst = binary.AppendUvarint(dst, uint64(len(g)))
		prevSeq := first
		for _, i := range g {
			w := ops[i]
			t := uint64(w.HLC)
			dst = binary.AppendUvarint(dst, w.Seq-prevSeq)
			prevSeq = w.Seq
			dst = binary.AppendVarint(dst, int64(t-prevHLC))
			prevHLC = t
			dst = st.append(dst, string(w.Action))
			dst = st.append(dst, w.Author)
			if encs != nil {
				dst = appendEncodedFields(dst, &encs[i], t, st)
				continue
			}
			fields.Sort(w)
			dst = binary.AppendUvarint(dst, uint64(fields.Len()))
			for j := range fields.Len() {
				name, c := fields.Field(j)
				dst = st.append(dst, name)
				dst = appendChange(dst, c.Value, c.Base, c.Settles, t, st)
			}
		}
	}
	return dst, nil
}

// appendEncodedFields writes e's fields as AppendSyncRequest writes an
// Op's, t being its clock: from the storage encoding, which holds them in
// name order too (DecodeHead checked it), so the body is the same.
func appendEncodedFields(dst []byte, e *changeset.EncodedOp, t uint64, st strTable) []byte {
	dst = binary.AppendUvarint(dst, uint64(e.NumFields))
	it := e.Fields()
	for f, ok := it.Next(); ok; f, ok = it.Next() {
		dst = st.appendBytes(dst, f.Name)
		dst = appendChange(dst, f.Value, f.Base, f.Settles, t, st)
	}
	return dst
}

// appendChange writes what follows a field's name in a request's
// operation, t being the operation's clock: its value, its base and the
// values it settles, each clock as its distance from t. Both ways of
// writing an operation (from its Fields, from its storage encoding) use
// it, so their bodies stay byte for byte the same.
func appendChange(dst, value []byte, base hlc.Timestamp, settles []changeset.Version, t uint64, st strTable) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(value)))
	dst = append(dst, value...)
	if base == 0 {
		dst = append(dst, 0)
	} else {
		dst = binary.AppendUvarint(dst, 1+zig(int64(t-uint64(base))))
	}
	dst = binary.AppendUvarint(dst, uint64(len(settles)))
	for _, v := range settles {
		dst = binary.AppendVarint(dst, int64(t-uint64(v.HLC)))
		dst = st.append(dst, v.Device)
	}
	return dst
}

func zig(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// strTable is the string table of a body being written.
type strTable map[string]uint64

func (t strTable) append(dst []byte, s string) []byte {
	if i, ok := t[s]; ok {
		return binary.AppendUvarint(dst, i)
	}
	t[s] = uint64(len(t) + 1)
	dst = append(dst, 0)
	return appendStr(dst, s)
}

// appendBytes is append for a string held as bytes: no string is made
// for one the table holds.
func (t strTable) appendBytes(dst []byte, b []byte) []byte {
	if i, ok := t[string(b)]; ok {
		return binary.AppendUvarint(dst, i)
	}
	return t.append(dst, string(b))
}

// binReader reads a binary body; its first error sticks and every read
// after it returns zero values.
type binReader struct {
	b   []byte
	err error
	tab []string
}

var errShort = errors.New("cut off")

func (r *binReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *binReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *binReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes returns the next str, not copied (its capacity cut to its length).
func (r *binReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail(errShort)
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *binReader) ref() string {
	i := r.uvarint()
	switch {
	case r.err != nil:
		return ""
	case i == 0:
		s := string(r.bytes())
		if r.err == nil {
			r.tab = append(r.tab, s)
		}
		return s
	case i > uint64(len(r.tab)):
		r.fail(fmt.Errorf("string %d of a table of %d", i, len(r.tab)))
		return ""
	}
	return r.tab[i-1]
}

// DecodeSyncRequestOps is DecodeSyncRequest for the server: a binary body's
// operations come back as changeset.Op, decoded straight from the body (one
// map per operation, kind, record, council, action, author and devices
// shared from the body's string table, values slices of raw), not in
// req.Ops; so do a JSON body's as a laptop writes it (decodeJSONOps, once
// counted within the limits as DecodeSyncRequest counts them), while any
// other JSON body's come back in req.Ops as DecodeSyncRequest decodes
// them, and ops is nil. Going through WireOp and FromWire made two
// maps of every operation and copied each twice: a tenth of the server's
// CPU of a large push. Like FromWire's, the operations are not yet judged
// valid (CheckOp): the server refuses an invalid one alone, not the
// request.
func DecodeSyncRequestOps(raw []byte) (req *SyncRequest, ops []changeset.Op, err error) {
	if IsBinaryRequest(raw) {
		return decodeBinary(raw)
	}
	return DecodeCountedSyncRequestOps(raw, requestCounts(raw))
}

// DecodeCountedSyncRequestOps is DecodeSyncRequestOps for a payload that
// CountRequest has counted already, countErr its error: a JSON body is not
// walked a second time (the server counts each request for its decode
// budget, then decodes it). A binary body is decoded under its own limits
// whatever countErr says, as DecodeSyncRequestOps decodes it.
func DecodeCountedSyncRequestOps(raw []byte, countErr error) (req *SyncRequest, ops []changeset.Op, err error) {
	if IsBinaryRequest(raw) {
		return decodeBinary(raw)
	}
	if countErr != nil {
		return nil, nil, countErr
	}
	if req, ops, ok := decodeJSONOps(raw); ok {
		return req, ops, nil
	}
	req = &SyncRequest{}
	if err := json.Unmarshal(raw, req); err != nil {
		return nil, nil, fmt.Errorf("%w: not a valid sync request: %v", ErrFrame, err)
	}
	return req, nil, nil
}

// OpFromWire converts w without judging it: FromWire is OpFromWire and
// CheckOp.
func OpFromWire(w *WireOp) changeset.Op {
	o := changeset.Op{Device: w.Device, Seq: w.Seq, HLC: hlc.Timestamp(w.HLC), Kind: w.Kind, Record: w.Record, Council: w.Council,
		Action: changeset.Action(w.Action), Author: w.Author, Fields: make(map[string]changeset.Change, len(w.Fields))}
	for k, c := range w.Fields {
		ch := changeset.Change{Value: c.V, Base: hlc.Timestamp(c.B)}
		if len(c.S) > 0 {
			ch.Settles = make([]changeset.Version, len(c.S))
			for i, v := range c.S {
				ch.Settles[i] = changeset.Version{HLC: hlc.Timestamp(v.T), Device: v.D}
			}
		}
		o.Fields[k] = ch
	}
	return o
}

// CheckOp judges the shape of an operation a laptop sent (changeset's
// Validate, with the operation's identity in the error). Validate refuses
// a field settling more than changeset.MaxSettles values too: a pass of
// CheckOp's own over the fields for it was 0.26 s of a 100,000-record
// push's server CPU (3%), for an answer the decoders' limits (ErrLimit)
// and Validate give already.
func CheckOp(o *changeset.Op) error {
	if err := o.Validate(); err != nil {
		return fmt.Errorf("operation %s/%d: %w", o.Device, o.Seq, err)
	}
	return nil
}

// CheckOpSorted is CheckOp, also returning o's changeset.Op.Bound when o is
// valid, from the same pass over its fields, and keeping them in name order
// in s for its storage encoding (changeset.SortedFields).
func CheckOpSorted(s *changeset.SortedFields, o *changeset.Op) (int, error) {
	bound, err := s.ValidateBound(o)
	if err != nil {
		return 0, fmt.Errorf("operation %s/%d: %w", o.Device, o.Seq, err)
	}
	return bound, nil
}

// decodeBinaryRequest decodes protocol 2's binary body into a request
// with WireOps (decodeBinary, then ToWire).
func decodeBinaryRequest(raw []byte) (*SyncRequest, error) {
	req, ops, err := decodeBinary(raw)
	if err != nil {
		return nil, err
	}
	if len(ops) > 0 {
		req.Ops = make([]WireOp, len(ops))
		for i := range ops {
			req.Ops[i] = ToWire(&ops[i])
		}
	}
	return req, nil
}

// decodeBinary decodes protocol 2's binary body (raw starts with
// binMagic). Counts are checked before what they make is allocated, as
// DecodeSyncRequest does for JSON; errors wrap ErrLimit or ErrFrame.
// Values are not copied: they are slices of raw, which must not change
// while the operations are in use.
func decodeBinary(raw []byte) (*SyncRequest, []changeset.Op, error) {
	r := &binReader{b: raw[len(binMagic):]}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: not a valid binary sync request: %s", ErrFrame, fmt.Sprintf(format, a...))
	}
	req := &SyncRequest{}
	proto, cp := r.uvarint(), r.uvarint()
	req.Device = string(r.bytes())
	req.Cursor = r.uvarint()
	flags := r.uvarint()
	maxPull, nops := r.uvarint(), r.uvarint()
	switch {
	case r.err != nil:
		return nil, nil, bad("%v", r.err)
	case proto < 2 || proto > 1<<20:
		// A binary body is protocol 2 or newer; CheckProto judges the rest.
		return nil, nil, bad("a binary body of protocol %d", proto)
	case cp > 1<<20 || maxPull > 1<<40:
		return nil, nil, bad("capability %d, pull size %d", cp, maxPull)
	case flags > 1:
		return nil, nil, bad("unknown flags %#x", flags)
	case nops > MaxPushOps:
		return nil, nil, fmt.Errorf("%w: more than %d operations in one sync: send fewer at a time", ErrLimit, MaxPushOps)
	}
	req.Proto, req.Cap, req.Pull, req.MaxPull = int(proto), CapabilityVersion(cp), flags&1 != 0, int(maxPull)
	if nops == 0 {
		if len(r.b) > 0 {
			return nil, nil, bad("%d bytes after the end", len(r.b))
		}
		return req, nil, nil
	}
	first, ngroups := r.uvarint(), r.uvarint()
	switch {
	case r.err != nil:
		return nil, nil, bad("%v", r.err)
	case first == 0 || first > 1<<62:
		return nil, nil, bad("first sequence number %d", first)
	case ngroups == 0 || ngroups > nops:
		return nil, nil, bad("%d groups of %d operations", ngroups, nops)
	}
	ops := make([]changeset.Op, nops)
	filled := make([]bool, nops)
	left, fields, settles := nops, 0, 0
	var prevHLC uint64
	for range ngroups {
		kind, record, council := r.ref(), r.ref(), r.ref()
		n := r.uvarint()
		if r.err == nil && (n == 0 || n > left) {
			return nil, nil, bad("a group of %d operations with %d left", n, left)
		}
		left -= n
		seq := first
		for j := range n {
			d := r.uvarint()
			if r.err == nil && j > 0 && d == 0 {
				return nil, nil, bad("operations of a record out of order")
			}
			seq += d
			if r.err != nil {
				return nil, nil, bad("%v", r.err)
			}
			if seq-first >= nops || seq < first || filled[seq-first] {
				return nil, nil, bad("sequence number %d is not one of %d from %d, or comes twice", seq, nops, first)
			}
			prevHLC += uint64(r.varint())
			o := &ops[seq-first]
			filled[seq-first] = true
			*o = changeset.Op{Device: req.Device, Seq: seq, HLC: hlc.Timestamp(prevHLC), Kind: kind, Record: record, Council: council}
			o.Action, o.Author = changeset.Action(r.ref()), r.ref()
			nf := r.uvarint()
			if r.err != nil {
				return nil, nil, bad("%v", r.err)
			}
			fields += int(min(nf, MaxPushFields+1))
			switch {
			case nf > changeset.MaxFieldsPerOp:
				return nil, nil, fmt.Errorf("operation %d: %w: more than %d fields in one operation", seq, ErrLimit, changeset.MaxFieldsPerOp)
			case fields > MaxPushFields:
				return nil, nil, fmt.Errorf("%w: more than %d fields in one sync: send fewer operations at a time", ErrLimit, MaxPushFields)
			}
			o.Fields = make(map[string]changeset.Change, nf)
			for range nf {
				name := r.ref()
				c := changeset.Change{Value: json.RawMessage(r.bytes())}
				if len(c.Value) == 0 {
					c.Value = null // as JSON writes a nil value
				}
				if b := r.uvarint(); b > 0 {
					c.Base = o.HLC - hlc.Timestamp(unzig(b-1))
				}
				ns := r.uvarint()
				if r.err != nil {
					return nil, nil, bad("%v", r.err)
				}
				settles += int(min(ns, MaxPushSettles+1))
				switch {
				case ns > changeset.MaxSettles:
					return nil, nil, fmt.Errorf("operation %d: %w: a field settles more than %d values", seq, ErrLimit, changeset.MaxSettles)
				case settles > MaxPushSettles:
					return nil, nil, fmt.Errorf("%w: more than %d settled values in one sync: send fewer operations at a time", ErrLimit, MaxPushSettles)
				}
				if ns > 0 {
					c.Settles = make([]changeset.Version, ns)
					for k := range c.Settles {
						c.Settles[k].HLC = o.HLC - hlc.Timestamp(r.varint())
						c.Settles[k].Device = r.ref()
					}
				}
				if _, twice := o.Fields[name]; twice && r.err == nil {
					return nil, nil, bad("operation %d names field %q twice", seq, name)
				}
				o.Fields[name] = c
			}
		}
	}
	switch {
	case r.err != nil:
		return nil, nil, bad("%v", r.err)
	case left != 0:
		return nil, nil, bad("%d operations declared, %d in groups", nops, nops-left)
	case len(r.b) > 0:
		return nil, nil, bad("%d bytes after the end", len(r.b))
	}
	return req, ops, nil
}

var null = json.RawMessage("null")

func unzig(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// groupSlices returns the indexes of each group's items in their order,
// each group a slice of one array (a counting sort): gid[i] is item i's
// group and sizes[g] the number of items of group g. The binary request
// and page write their operations grouped by record with it.
func groupSlices(gid, sizes []int32) [][]int {
	pos := make([]int32, len(sizes)) // where the next of each group goes
	var at int32
	for g, n := range sizes {
		pos[g] = at
		at += n
	}
	byGroup := make([]int, len(gid))
	for i, g := range gid {
		byGroup[pos[g]] = i
		pos[g]++
	}
	groups := make([][]int, len(sizes))
	from := 0
	for g, n := range sizes {
		groups[g] = byGroup[from : from+int(n)]
		from += int(n)
	}
	return groups
}
