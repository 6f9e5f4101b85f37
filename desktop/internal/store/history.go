package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/hlc"
)

// A record's history is its entries in the history space (keys.go), each
// naming one of its operations, and, since format 2, its groups: a bulk
// load (WriteBulk) writes one entry per record and window naming all of
// that record's operations of the window, not one per operation. The
// history entries were a third of a new laptop's first pull's Badger
// entries, and each entry costs Badger the same work whatever its size
// (its log record encrypted with a cipher of its own, the skiplist, the
// tables): without them, a first pull of 100,000 records took ~19% less
// of the laptop's CPU (BENCHMARKS.md, pull9 helper).
//
//	h:KIND:ID:HLC(8 BE):DEVICE:SEQ(8)    an entry: its value is the operation's key
//	h:KIND:ID:HLC(8 BE):DEVICE:SEQ(8)g   a group, keyed by its first operation: its value is groupV1, then for each
//	                                     operation its clock (8 BE), sequence number (8 BE), device's length (uvarint), device
//
// An operation may be named twice (a page pulled again after a crash, in
// windows cut elsewhere; or applied again outside a bulk load): readers
// keep it once. An operation's clock in its group is the one it was
// stored with: what takes an operation out of its history or changes its
// clock (Write.Withdraw, Write.Restamped) takes it out of its groups
// (leaveGroups).

// groupMark ends a group's key (an entry's key ends with its sequence
// number).
const groupMark = 'g'

// groupV1 is a group value's first byte (an entry's value, an operation's
// key, starts with 'o').
const groupV1 = 1

// historyRef is one operation of a record's history.
type historyRef struct {
	hlc    hlc.Timestamp
	device string
	seq    uint64
}

// compareRefs orders refs as their entries' keys sort: by clock, device
// (its name, then the ':' after it), sequence number.
func compareRefs(a, b historyRef) int {
	if c := cmp.Compare(a.hlc, b.hlc); c != 0 {
		return c
	}
	if a.device != b.device {
		n := min(len(a.device), len(b.device))
		if c := cmp.Compare(a.device[:n], b.device[:n]); c != 0 {
			return c
		}
		// One is a prefix of the other: the shorter's ':' against the
		// longer's next byte.
		if len(a.device) < len(b.device) {
			return cmp.Compare(byte(':'), b.device[n])
		}
		return cmp.Compare(a.device[n], byte(':'))
	}
	return cmp.Compare(a.seq, b.seq)
}

// sortRefs sorts refs in key order and keeps each operation once.
func sortRefs(refs []historyRef) []historyRef {
	slices.SortFunc(refs, compareRefs)
	return slices.CompactFunc(refs, func(a, b historyRef) bool { return a.device == b.device && a.seq == b.seq })
}

// groupKeyLen is the length of a group's key.
func groupKeyLen(kind, id, device string) int { return historyKeyLen(kind, id, device) + 1 }

// appendGroup appends the value of a group of refs to v.
func appendGroup(v []byte, refs []historyRef) []byte {
	v = append(v, groupV1)
	for _, r := range refs {
		v = binary.BigEndian.AppendUint64(v, uint64(r.hlc))
		v = binary.BigEndian.AppendUint64(v, r.seq)
		v = binary.AppendUvarint(v, uint64(len(r.device)))
		v = append(v, r.device...)
	}
	return v
}

var errDamagedGroup = errors.New("damaged history group")

// decodeGroup appends the refs of group value v to refs. A device's name
// is the one in devices (added there if new and devices holds fewer than
// a thousand; devices may be nil), not a new string each.
func decodeGroup(v []byte, refs []historyRef, devices map[string]string) ([]historyRef, error) {
	if len(v) == 0 || v[0] != groupV1 {
		return refs, errDamagedGroup
	}
	for v = v[1:]; len(v) > 0; {
		if len(v) < 17 {
			return refs, errDamagedGroup
		}
		r := historyRef{hlc: hlc.Timestamp(binary.BigEndian.Uint64(v)), seq: binary.BigEndian.Uint64(v[8:])}
		n, w := binary.Uvarint(v[16:])
		if w <= 0 || n == 0 || uint64(len(v)-16-w) < n {
			return refs, errDamagedGroup
		}
		dev := v[16+w : 16+w+int(n)]
		var known bool
		if r.device, known = devices[string(dev)]; !known {
			r.device = string(dev)
			if devices != nil && len(devices) < 1000 {
				devices[r.device] = r.device
			}
		}
		refs = append(refs, r)
		v = v[16+w+int(n):]
	}
	return refs, nil
}

// appendRefs appends the operations a history item names, whose key
// parseHistoryKey read as ref and group: ref itself for an entry, every
// operation of its value for a group.
func appendRefs(item *badger.Item, ref historyRef, group bool, refs []historyRef, devices map[string]string) ([]historyRef, error) {
	if !group {
		return append(refs, ref), nil
	}
	err := item.Value(func(v []byte) error {
		var err error
		refs, err = decodeGroup(v, refs, devices)
		return err
	})
	return refs, err
}

// parseHistoryKey reads ID:HLC(8):DEVICE:SEQ(8), the part of a history
// entry's key after its kind (see historyKey), or the same followed by
// groupMark, a group's (group true: the ref is its key's, its operations
// are in its value). Ids and devices hold no ':'. A device's name is the
// one in devices (see decodeGroup).
func parseHistoryKey(k []byte, devices map[string]string) (id []byte, ref historyRef, group, ok bool) {
	i := bytes.IndexByte(k, ':')
	if i <= 0 || len(k) < i+1+8+1 || k[i+1+8] != ':' {
		return nil, ref, false, false
	}
	id = k[:i]
	ref.hlc = hlc.Timestamp(binary.BigEndian.Uint64(k[i+1:]))
	k = k[i+1+8+1:]
	j := bytes.IndexByte(k, ':')
	if j <= 0 {
		return nil, ref, false, false
	}
	dev, tail := k[:j], k[j+1:]
	switch {
	case len(tail) == 8:
	case len(tail) == 9 && tail[8] == groupMark:
		group = true
	default:
		return nil, ref, false, false
	}
	var known bool
	if ref.device, known = devices[string(dev)]; !known {
		ref.device = string(dev)
		if devices != nil && len(devices) < 1000 {
			devices[ref.device] = ref.device
		}
	}
	ref.seq = binary.BigEndian.Uint64(tail)
	return id, ref, group, true
}

// historyGroups collects a bulk write's history: each record's operations
// in the order they came, written as one group per record (putGroups).
// They are kept in one list, each with its record's place, not a list a
// record: a window's 6,000 records' lists, grown from nothing, were three
// allocations a record.
type historyGroups struct {
	at    map[recordName]int32 // its place in names
	names []recordName
	refs  []groupRef
}

type recordName struct{ kind, id string }

type groupRef struct {
	rec int32 // the record's place in names
	historyRef
}

func (g *historyGroups) add(kind, id string, r historyRef) {
	// A record's operations mostly come one after another.
	if n := len(g.refs); n > 0 {
		if last := g.refs[n-1].rec; g.names[last].id == id && g.names[last].kind == kind {
			g.refs = append(g.refs, groupRef{last, r})
			return
		}
	}
	if g.at == nil {
		g.at = map[recordName]int32{}
	}
	name := recordName{kind, id}
	i, ok := g.at[name]
	if !ok {
		i = int32(len(g.names))
		g.at[name] = i
		g.names = append(g.names, name)
	}
	g.refs = append(g.refs, groupRef{i, r})
}

// remove takes device/seq out of kind/id's group.
func (g *historyGroups) remove(kind, id, device string, seq uint64) {
	i, ok := g.at[recordName{kind, id}]
	if !ok {
		return
	}
	g.refs = slices.DeleteFunc(g.refs, func(r groupRef) bool { return r.rec == i && r.device == device && r.seq == seq })
}

// putGroups writes each record's group to l, records in the order they
// first came: one operation's as an entry, as a transaction writes it.
func (l *bulkList) putGroups() error {
	refs := l.groups.refs
	byRec := func(a, b groupRef) int { return cmp.Compare(a.rec, b.rec) }
	if !slices.IsSortedFunc(refs, byRec) {
		slices.SortStableFunc(refs, byRec)
	}
	var group []historyRef
	for start := 0; start < len(refs); {
		end := start + 1
		for end < len(refs) && refs[end].rec == refs[start].rec {
			end++
		}
		name := l.groups.names[refs[start].rec]
		first := refs[start].historyRef
		if end-start == 1 {
			k := l.room(historyKeyLen(name.kind, name.id, first.device))
			k = l.keep(appendHistoryKey(k, name.kind, name.id, uint64(first.hlc), first.device, first.seq))
			ok := l.keep(appendOpKey(l.room(opKeyLen(first.device)), first.device, first.seq))
			if err := l.Set(k, ok); err != nil {
				return err
			}
			start = end
			continue
		}
		group = group[:0]
		for _, r := range refs[start:end] {
			group = append(group, r.historyRef)
		}
		k := l.room(groupKeyLen(name.kind, name.id, first.device))
		k = l.keep(append(appendHistoryKey(k, name.kind, name.id, uint64(first.hlc), first.device, first.seq), groupMark))
		v := l.keep(appendGroup(l.valueRoom(1+len(group)*(17+len(first.device))), group))
		if err := l.Set(k, v); err != nil {
			return err
		}
		start = end
	}
	l.groups = historyGroups{}
	return nil
}

// leaveGroups takes the operation device/seq out of the groups of its
// record kind/id that name it (a group left empty is deleted), reading
// them in txn and writing to out.
func leaveGroups(txn *badger.Txn, out sink, kind, id, device string, seq uint64) error {
	type change struct{ k, v []byte }
	var changes []change
	it := txn.NewIterator(badger.IteratorOptions{Prefix: historyPrefix(kind, id)})
	prefixLen := len(spaceHistory) + len(kind) + 1
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		_, _, group, ok := parseHistoryKey(item.Key()[prefixLen:], nil)
		if !ok || !group {
			continue
		}
		var refs []historyRef
		err := item.Value(func(v []byte) error {
			var err error
			refs, err = decodeGroup(v, nil, nil)
			return err
		})
		if err != nil {
			it.Close()
			return fmt.Errorf("%s %s: %w", kind, id, err)
		}
		kept := slices.DeleteFunc(slices.Clone(refs), func(r historyRef) bool { return r.device == device && r.seq == seq })
		if len(kept) == len(refs) {
			continue
		}
		c := change{k: item.KeyCopy(nil)}
		if len(kept) > 0 {
			c.v = appendGroup(nil, kept)
		}
		changes = append(changes, c)
	}
	it.Close()
	for _, c := range changes {
		var err error
		if c.v == nil {
			err = out.Delete(c.k)
		} else {
			err = out.Set(c.k, c.v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
