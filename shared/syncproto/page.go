package syncproto

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// A sync's answer in a binary body (capability 8, CapBinaryPage): what a
// server sends a laptop that said it reads one (SyncRequest.Cap), in the
// same frame as the JSON answer; other laptops get JSON. It saves both
// ends their JSON: the server wrote every pulled operation as JSON for
// every laptop that pulled it (a seventh of its CPU with 500 laptops), and
// a new laptop's first pull spent a large share of its CPU decoding it.
//
// The payload (as binary.go's request: integers unsigned varints, "zig"
// a zigzag varint, "str" a varint length and the bytes, "ref" a string of
// the answer's string table):
//
//	"KSA2"            binPageMagic (a JSON answer starts with '{')
//	proto acked       SyncResponse.Proto, .Acked
//	cursor head       SyncResponse.Cursor, .Head
//	zig time flags    SyncResponse.Time; flags bit 0: More
//	str refused       SyncResponse.Refused as JSON ("" none): rare, and
//	                  read as the JSON answer's are
//	nops              at most MaxPullOps
//	groups            (only when nops > 0) the number of groups, then
//	                  each: ref kind, ref record, ref council ("" none),
//	                  n (its operations), then each operation:
//	  pos             its place in the page: first of a group the index,
//	                  then the index - the previous index of the group
//	  ref device      the operation's device
//	  zig seq, zig hlc seq - the previous operation's seq, hlc - the
//	                  previous operation's hlc, in wire order
//	  ref action, ref author, nfields
//	  fields          as in the request: each ref name, str value ("" is
//	                  null), base (0 none, else 1 + zig(hlc - base)),
//	                  nsettles, each settled value: zig(hlc - t), ref device
//
// Operations of one record are adjacent (a group), so its id, kind and
// council are written once and its clocks are small deltas; the decoder
// puts them back in the page's (server) order. The decoder makes
// changeset.Ops, the form the laptop applies, without a WireOp between:
// each string of the table is made once for the page, values are slices
// of the payload.
var binPageMagic = []byte("KSA2")

// MaxPullFields and MaxPullSettles bound the fields, and the values they
// settle, of one binary page. A server sizes a page by its JSON (at most
// MaxPullBytes, and a field takes at least 11 bytes of JSON, a settled
// value 14), so none sends more than about 380,000 and 300,000; decoded,
// a field costs about 100 bytes, so these bound what a damaged or hostile
// page makes a laptop allocate.
const (
	MaxPullFields  = 1 << 19
	MaxPullSettles = 1 << 19
)

// IsBinaryResponse reports whether raw (a decoded frame's payload) is a
// binary sync answer rather than JSON.
func IsBinaryResponse(raw []byte) bool { return bytes.HasPrefix(raw, binPageMagic) }

// AppendSyncResponse appends resp as a binary answer (resp.Ops and
// resp.Page are not written) with ops as its page, in their order.
func AppendSyncResponse(dst []byte, resp *SyncResponse, ops []*changeset.Op) ([]byte, error) {
	return AppendSyncResponseNames(dst, resp, ops, nil, nil)
}

// AppendSyncResponseNames is AppendSyncResponse with names[i], when names
// is not nil, ops[i]'s field names sorted (as slices.Sort sorts them),
// which a server keeps with the operations of its log's tail: every laptop
// of a council pulls those, and going over each one's field map and
// sorting its names for every page was half of writing the pages of 500
// laptops syncing at once. Names that are not ops[i]'s are an error.
// changes[i], when changes and it are not nil, is ops[i]'s changes in the
// order of names[i], which the server keeps with them too, so that each
// field is not looked up in the operation's map (a third of the rest).
func AppendSyncResponseNames(dst []byte, resp *SyncResponse, ops []*changeset.Op, names [][]string, changes [][]changeset.Change) ([]byte, error) {
	if names != nil && len(names) != len(ops) || changes != nil && (names == nil || len(changes) != len(ops)) {
		return nil, fmt.Errorf("field names of %d operations and changes of %d for a page of %d", len(names), len(changes), len(ops))
	}
	dst = append(dst, binPageMagic...)
	dst = binary.AppendUvarint(dst, uint64(max(resp.Proto, 0)))
	dst = binary.AppendUvarint(dst, resp.Acked)
	dst = binary.AppendUvarint(dst, resp.Cursor)
	dst = binary.AppendUvarint(dst, resp.Head)
	dst = binary.AppendVarint(dst, resp.Time)
	var flags uint64
	if resp.More {
		flags |= 1
	}
	dst = binary.AppendUvarint(dst, flags)
	if len(resp.Refused) == 0 {
		dst = append(dst, 0)
	} else {
		js, err := Marshal(resp.Refused)
		if err != nil {
			return nil, err
		}
		dst = appendStr(dst, string(js))
	}
	dst = binary.AppendUvarint(dst, uint64(len(ops)))
	if len(ops) == 0 {
		return dst, nil
	}
	// Group the operations by record (and kind and council: a record
	// moved starts a group of its own), in the order records first
	// appear: each operation's group, found by its record's id alone (the
	// groups of one id chained: hashing the three strings of each
	// operation was a fifth of writing a page), then the operations of
	// each group in one slice (groupSlices, as AppendSyncRequest's).
	gid := make([]int32, len(ops))
	byID := make(map[string]int32, len(ops))
	var heads, chain, sizes []int32 // a group's first operation, the next group of its id (-1 none), its size
	newGroup := func(i int) int32 {
		heads, chain, sizes = append(heads, int32(i)), append(chain, -1), append(sizes, 0)
		return int32(len(sizes) - 1)
	}
	for i, o := range ops {
		g, ok := byID[o.Record]
		if !ok {
			g = newGroup(i)
			byID[o.Record] = g
		}
		for h := ops[heads[g]]; h.Kind != o.Kind || h.Council != o.Council; h = ops[heads[g]] {
			if chain[g] < 0 {
				chain[g] = newGroup(i)
			}
			g = chain[g]
		}
		gid[i] = g
		sizes[g]++
	}
	groups := groupSlices(gid, sizes)
	dst = binary.AppendUvarint(dst, uint64(len(groups)))
	st := &recentStrs{st: make(strTable, 64+len(groups))}
	var prevSeq, prevHLC uint64
	sorted := make([]string, 0, 16)
	for _, g := range groups {
		o0 := ops[g[0]]
		dst = st.append(dst, o0.Kind)
		dst = st.append(dst, o0.Record)
		dst = st.append(dst, o0.Council)
		dst = binary.AppendUvarint(dst, uint64(len(g)))
		prevPos := 0
		for _, i := range g {
			o := ops[i]
			dst = binary.AppendUvarint(dst, uint64(i-prevPos))
			prevPos = i
			dst = st.append(dst, o.Device)
			dst = binary.AppendUvarint(dst, zig(int64(o.Seq-prevSeq)))
			dst = binary.AppendUvarint(dst, zig(int64(uint64(o.HLC)-prevHLC)))
			prevSeq, prevHLC = o.Seq, uint64(o.HLC)
			dst = st.append(dst, string(o.Action))
			dst = st.append(dst, o.Author)
			dst = binary.AppendUvarint(dst, uint64(len(o.Fields)))
			// By name: the same body for the same page.
			var order []string
			var kept []changeset.Change
			if names != nil {
				if order = names[i]; len(order) != len(o.Fields) {
					return nil, fmt.Errorf("operation %s: %d field names for %d fields", o.ID(), len(order), len(o.Fields))
				}
				if changes != nil {
					if kept = changes[i]; kept != nil && len(kept) != len(order) {
						return nil, fmt.Errorf("operation %s: %d changes for %d fields", o.ID(), len(kept), len(order))
					}
				}
			} else {
				sorted = sorted[:0]
				for name := range o.Fields {
					sorted = append(sorted, name)
				}
				slices.Sort(sorted)
				order = sorted
			}
			for j, name := range order {
				var c changeset.Change
				if kept != nil {
					c = kept[j]
				} else {
					var ok bool
					if c, ok = o.Fields[name]; !ok {
						return nil, fmt.Errorf("operation %s: no field %q", o.ID(), name)
					}
				}
				dst = st.append(dst, name)
				dst = binary.AppendUvarint(dst, uint64(len(c.Value)))
				dst = append(dst, c.Value...)
				if c.Base == 0 {
					dst = append(dst, 0)
				} else {
					dst = binary.AppendUvarint(dst, 1+zig(int64(o.HLC-c.Base)))
				}
				dst = binary.AppendUvarint(dst, uint64(len(c.Settles)))
				for _, v := range c.Settles {
					dst = binary.AppendUvarint(dst, zig(int64(o.HLC-v.HLC)))
					dst = st.append(dst, v.Device)
				}
			}
		}
	}
	return dst, nil
}

// DecodeSyncResponse decodes a sync's answer: JSON (its operations in
// Ops), or a binary answer (IsBinaryResponse; its operations in Page, in
// the page's order, not validated: an operation that does not validate,
// over changeset.MaxFieldsPerOp or settling more than
// changeset.MaxSettles included, is the laptop's to hold back as in a
// JSON page, so that no one operation stops a pull). Errors wrap ErrFrame, or
// ErrLimit for a binary page over MaxPullOps, MaxPullFields or
// MaxPullSettles. Values
// of a binary page are slices of raw, which must not change while they
// are in use.
func DecodeSyncResponse(raw []byte) (*SyncResponse, error) {
	resp := &SyncResponse{}
	if !IsBinaryResponse(raw) {
		if err := json.Unmarshal(raw, resp); err != nil {
			return nil, fmt.Errorf("%w: not a valid sync answer: %v", ErrFrame, err)
		}
		return resp, nil
	}
	r := &binReader{b: raw[len(binPageMagic):]}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: not a valid binary sync answer: %s", ErrFrame, fmt.Sprintf(format, a...))
	}
	proto := r.uvarint()
	resp.Acked, resp.Cursor, resp.Head = r.uvarint(), r.uvarint(), r.uvarint()
	resp.Time = r.varint()
	flags := r.uvarint()
	refused := r.bytes()
	nops := r.uvarint()
	switch {
	case r.err != nil:
		return nil, bad("%v", r.err)
	case proto > 1<<20:
		return nil, bad("protocol %d", proto)
	case flags > 1:
		return nil, bad("unknown flags %#x", flags)
	case nops > MaxPullOps:
		return nil, fmt.Errorf("%w: a page of more than %d operations", ErrLimit, MaxPullOps)
	}
	resp.Proto, resp.More = int(proto), flags&1 != 0
	if len(refused) > 0 {
		if err := json.Unmarshal(refused, &resp.Refused); err != nil {
			return nil, bad("refusals: %v", err)
		}
	}
	if nops == 0 {
		if len(r.b) > 0 {
			return nil, bad("%d bytes after the end", len(r.b))
		}
		return resp, nil
	}
	ngroups := r.uvarint()
	switch {
	case r.err != nil:
		return nil, bad("%v", r.err)
	case ngroups == 0 || ngroups > nops:
		return nil, bad("%d groups of %d operations", ngroups, nops)
	}
	slab := make([]changeset.Op, nops)
	page := make([]*changeset.Op, nops)
	// The string table: each group's record is new to it, and a few dozen
	// devices, authors, names and kinds are shared; grown from nothing it
	// was 4% of decoding the pages of 500 laptops. Each new string takes at
	// least 2 bytes of the page, which bounds what a hostile one makes
	// this allocate.
	r.tab = make([]string, 0, min(ngroups+32, uint64(len(r.b)/2)))
	left, fields, settles := nops, 0, 0
	var prevSeq, prevHLC uint64
	for range ngroups {
		kind, record, council := r.ref(), r.ref(), r.ref()
		n := r.uvarint()
		if r.err == nil && (n == 0 || n > left) {
			return nil, bad("a group of %d operations with %d left", n, left)
		}
		left -= n
		var pos uint64
		for j := range n {
			d := r.uvarint()
			if r.err == nil && j > 0 && d == 0 {
				return nil, bad("operations of a record out of order")
			}
			pos += d
			if r.err != nil {
				return nil, bad("%v", r.err)
			}
			if pos >= nops || page[pos] != nil {
				return nil, bad("place %d is not one of %d, or comes twice", pos, nops)
			}
			o := &slab[pos]
			page[pos] = o
			o.Kind, o.Record, o.Council = kind, record, council
			o.Device = r.ref()
			prevSeq += uint64(unzig(r.uvarint()))
			prevHLC += uint64(unzig(r.uvarint()))
			o.Seq, o.HLC = prevSeq, hlc.Timestamp(prevHLC)
			o.Action, o.Author = changeset.Action(r.ref()), r.ref()
			nf := r.uvarint()
			if r.err != nil {
				return nil, bad("%v", r.err)
			}
			fields += int(min(nf, MaxPullFields+1))
			if fields > MaxPullFields {
				return nil, fmt.Errorf("%w: more than %d fields in one page", ErrLimit, MaxPullFields)
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
					return nil, bad("%v", r.err)
				}
				settles += int(min(ns, MaxPullSettles+1))
				if settles > MaxPullSettles {
					return nil, fmt.Errorf("%w: more than %d settled values in one page", ErrLimit, MaxPullSettles)
				}
				if ns > 0 {
					c.Settles = make([]changeset.Version, ns)
					for k := range c.Settles {
						c.Settles[k].HLC = o.HLC - hlc.Timestamp(unzig(r.uvarint()))
						c.Settles[k].Device = r.ref()
					}
				}
				// A name met twice replaces its value instead of adding
				// one: told by the map's length, not by a lookup before
				// each insert (hashing every name twice was a tenth of
				// decoding the pages of 500 laptops).
				had := len(o.Fields)
				o.Fields[name] = c
				if len(o.Fields) == had && r.err == nil {
					return nil, bad("operation %s/%d names field %q twice", o.Device, o.Seq, name)
				}
			}
		}
	}
	switch {
	case r.err != nil:
		return nil, bad("%v", r.err)
	case left != 0:
		return nil, bad("%d operations declared, %d in groups", nops, nops-left)
	case len(r.b) > 0:
		return nil, bad("%d bytes after the end", len(r.b))
	}
	resp.Page = page
	return resp, nil
}

// recentStrs is a page's string table behind a small cache of the
// strings written last, by a hash of their length and three of their
// bytes: a page writes each operation's device, action, author and field
// names, the same few dozen strings hundreds of times, and looking each
// up in the table's map (hashing it, probing, comparing) was nearly half
// of AppendSyncResponseNames in the server's profile of 500 laptops
// syncing at once. A string found in the cache is compared whole, so a
// collision only sends it to the map: the body is the same.
type recentStrs struct {
	st     strTable
	recent [128]struct {
		s string
		i uint64
	}
}

func (t *recentStrs) append(dst []byte, s string) []byte {
	h := uint(len(s))
	if len(s) > 0 {
		h += uint(s[0])*131 + uint(s[len(s)/2])*31 + uint(s[len(s)-1])*7
	}
	r := &t.recent[h%uint(len(t.recent))]
	if r.i != 0 && r.s == s {
		return binary.AppendUvarint(dst, r.i)
	}
	i, ok := t.st[s]
	if !ok {
		i = uint64(len(t.st) + 1)
		t.st[s] = i
		dst = append(dst, 0)
		dst = appendStr(dst, s)
	} else {
		dst = binary.AppendUvarint(dst, i)
	}
	r.s, r.i = s, i
	return dst
}
