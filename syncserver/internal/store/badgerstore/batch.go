package badgerstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/klauspost/compress/s2"
)

// The batched log (format 2). One Append writes one log entry with all the
// operations it accepted, one pull index entry per index it touched, and
// one judgement entry per device it judged, however many operations they
// hold: a push of 2,000 operations was 6,000 Badger entries before, and is
// now a handful (plus one state per record, as before). Every operation is
// still kept, and found by its server seq or its (device, seq): each entry
// is keyed by the last sequence number it holds, so a forward seek to a
// number lands on the entry that holds it (the numbers of one key space
// never overlap: the log's are the server's, gap-free; a device's are its
// own, judged in order).
//
// Encodings (integers are unsigned varints):
//
//	log batch (L:LAST):        0x01 n { len }×n { op }×n            ops in the storage encoding, seqs LAST-n+1 .. LAST
//	index batch (G:, I:C:):    0x01 n { gap authorlen author }×n    gap: LAST-seq for the first, then seq-previous;
//	                                                                 authorlen 0: the previous entry's author
//	judgement batch (J:D:LAST): 0x01 n { len }×n { opEntry }×n       the device's seqs LAST-n+1 .. LAST
//	packed log batch (L:LAST): 0x02 s2(log batch)                    format 3: the log batch above, compressed
const (
	batchV1     = 0x01
	batchPacked = 0x02
)

// maxUnpacked bounds what a packed batch may claim to unpack to: a batch
// is at most a push's operations (syncproto.MaxRawBytes, 16 MiB of JSON),
// a value at most a value log file (256 MiB).
const maxUnpacked = 256 << 20

// packBatch compresses an encoded log batch (S2, Snappy's faster
// successor) into a new slice of the packed size, or returns it as it is
// when that saves less than an eighth. A push's operations repeat their
// devices, kinds, field names and authors: the batches pack to about a
// seventh (the value log of a 100,000-record push: 184 MiB before, 27 MiB
// packed; BENCHMARKS.md, issue 15's memory section), and the value log,
// whose pages the server maps and touches as it writes them, grows by that
// much less: its RSS, fsyncs and first touches of fresh pages shrink with
// it. S2 writes into a pooled buffer of its largest output (more than the
// batch itself), and the packed bytes are copied out of it: allocated per
// batch, that buffer was cleared and collected for every change set (~400
// KB of demo operations), and the entry kept all of it alive until its
// commit for the seventh it used.
func packBatch(raw []byte) []byte {
	if len(raw) < 256 {
		return raw
	}
	bp := batchBufs.Get().(*[]byte)
	defer putBatchBuf(bp)
	need := s2.MaxEncodedLen(len(raw))
	if cap(*bp) < need {
		*bp = make([]byte, need)
	}
	packed := s2.Encode((*bp)[:need], raw)
	if len(packed) > len(raw)-len(raw)/8 {
		return raw
	}
	out := make([]byte, 1+len(packed))
	out[0] = batchPacked
	copy(out[1:], packed)
	return out
}

// packedBatch is packBatch of the batch fill appends to an empty buffer,
// always in a slice of its own: fill encodes into a pooled buffer, which
// is copied only when it is not packed (a small or incompressible batch).
func packedBatch(fill func([]byte) []byte) []byte {
	bp := batchBufs.Get().(*[]byte)
	defer putBatchBuf(bp)
	raw := fill((*bp)[:0])
	*bp = raw // grown: kept
	v := packBatch(raw)
	if sameSlice(v, raw) {
		return slices.Clone(raw)
	}
	return v
}

// batchBufs pools the buffers batches are encoded and packed in
// (packBatch, packedBatch), each a *[]byte.
var batchBufs = sync.Pool{New: func() any { return new([]byte) }}

// putBatchBuf returns a buffer to batchBufs unless it grew past what the
// pool keeps (a change set of large operations, up to syncproto's 16 MiB).
func putBatchBuf(bp *[]byte) {
	if cap(*bp) <= maxPooledBatch {
		batchBufs.Put(bp)
	}
}

// maxPooledBatch bounds a buffer batchBufs keeps: a change set of
// syncproto.MaxPushOps demo operations is about 400 KB, its largest
// packing a little more.
const maxPooledBatch = 4 << 20

// unpackBatch returns a log batch's encoding: v itself when it is not
// packed, else v unpacked into a new slice.
func unpackBatch(last uint64, v []byte) ([]byte, error) {
	if len(v) == 0 || v[0] != batchPacked {
		return v, nil
	}
	n, err := s2.DecodedLen(v[1:])
	if err != nil || n > maxUnpacked {
		return nil, fmt.Errorf("%w %d: bad packing", errDamagedBatch, last)
	}
	raw, err := s2.Decode(make([]byte, n), v[1:])
	if err != nil {
		return nil, fmt.Errorf("%w %d: %v", errDamagedBatch, last, err)
	}
	return raw, nil
}

var errDamagedBatch = errors.New("damaged batch entry")

// appendBatch encodes items (log operations or judgements) as one entry.
func appendBatch(b []byte, items [][]byte) []byte {
	// Grown once: a change set's batch is hundreds of KB, and growing it
	// by append as the items are copied was as much CPU as packing it
	// (PrepareEntry, a 100,000-record push's profile: 0.22 s).
	n := 1 + binary.MaxVarintLen64*(1+len(items))
	for _, it := range items {
		n += len(it)
	}
	b = slices.Grow(b, n)
	b = append(b, batchV1)
	b = binary.AppendUvarint(b, uint64(len(items)))
	for _, it := range items {
		b = binary.AppendUvarint(b, uint64(len(it)))
	}
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

// items are a batch's items as they are made: one buffer they are
// appended to, and where each ends. Encoding each into a slice of its own
// allocated and grew one per operation, then appendBatch copied them all.
type items struct {
	b   []byte
	end []int
}

func (t *items) len() int { return len(t.end) }

// item is item i, aliasing t.b.
func (t *items) item(i int) []byte {
	start := 0
	if i > 0 {
		start = t.end[i-1]
	}
	return t.b[start:t.end[i]:t.end[i]]
}

// added records that the bytes appended to t.b since the last item are one.
func (t *items) added() { t.end = append(t.end, len(t.b)) }

// appendItems is appendBatch of t's items.
func appendItems(b []byte, t *items) []byte { return appendItemsRange(b, t, 0, t.len()) }

// appendItemsRange is appendBatch of t's items from .. to-1.
func appendItemsRange(b []byte, t *items, from, to int) []byte {
	start := 0
	if from > 0 {
		start = t.end[from-1]
	}
	end := t.end[from:to]
	b = slices.Grow(b, 1+binary.MaxVarintLen64*(1+len(end))+t.end[to-1]-start)
	b = append(b, batchV1)
	b = binary.AppendUvarint(b, uint64(len(end)))
	first := start
	for _, e := range end {
		b = binary.AppendUvarint(b, uint64(e-start))
		start = e
	}
	return append(b, t.b[first:start]...)
}

// batch is a decoded log or judgement batch: item i is v[off[i]:off[i+1]],
// the one numbered first+i.
type batch struct {
	first, last uint64
	v           []byte
	off         []int
}

func decodeBatch(last uint64, v []byte) (*batch, error) {
	if len(v) == 0 || v[0] != batchV1 {
		return nil, fmt.Errorf("%w %d: unknown encoding", errDamagedBatch, last)
	}
	p := 1
	n, k := binary.Uvarint(v[p:])
	if k <= 0 || n == 0 || n > last || n > uint64(len(v)) {
		return nil, fmt.Errorf("%w %d: bad count", errDamagedBatch, last)
	}
	p += k
	off := make([]int, n+1)
	sum := 0
	for i := range int(n) {
		l, k := binary.Uvarint(v[p:])
		if k <= 0 || l > uint64(len(v)) {
			return nil, fmt.Errorf("%w %d: bad length", errDamagedBatch, last)
		}
		p += k
		off[i] = sum
		sum += int(l)
	}
	if sum != len(v)-p {
		return nil, fmt.Errorf("%w %d: %d bytes of items, %d given", errDamagedBatch, last, len(v)-p, sum)
	}
	for i := range off {
		if i < int(n) {
			off[i] += p
		}
	}
	off[n] = len(v)
	return &batch{first: last - n + 1, last: last, v: v, off: off}, nil
}

// item returns the item numbered seq, or nil when the batch does not hold it.
func (b *batch) item(seq uint64) []byte {
	if seq < b.first || seq > b.last {
		return nil
	}
	i := seq - b.first
	return b.v[b.off[i]:b.off[i+1]]
}

// judgementAt finds the judgement of seq in an undecoded judgement batch
// without splitting the rest of it.
func judgementAt(last, seq uint64, v []byte) (*opEntry, error) {
	b, err := decodeBatch(last, v)
	if err != nil {
		return nil, err
	}
	it := b.item(seq)
	if it == nil {
		return nil, nil
	}
	return decodeOpEntry(it)
}

// ixEntry is one operation of a pull index: its server seq and its author.
type ixEntry struct {
	seq    uint64
	author string
}

// appendIndex encodes entries (in seq order, the last one's seq in the
// key) as one index entry.
func appendIndex(b []byte, entries []ixEntry) []byte {
	b = append(b, batchV1)
	b = binary.AppendUvarint(b, uint64(len(entries)))
	last := entries[len(entries)-1].seq
	for i, e := range entries {
		if i == 0 {
			b = binary.AppendUvarint(b, last-e.seq)
		} else {
			b = binary.AppendUvarint(b, e.seq-entries[i-1].seq)
		}
		if i > 0 && e.author == entries[i-1].author {
			b = binary.AppendUvarint(b, 0)
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(e.author)))
		b = append(b, e.author...)
	}
	return b
}

func decodeIndex(last uint64, v []byte, out []ixEntry) ([]ixEntry, error) {
	bad := func(what string) error { return fmt.Errorf("%w %d: pull index: %s", errDamagedBatch, last, what) }
	if len(v) == 0 || v[0] != batchV1 {
		return nil, bad("unknown encoding")
	}
	v = v[1:]
	num := func() (uint64, bool) {
		n, k := binary.Uvarint(v)
		if k <= 0 {
			return 0, false
		}
		v = v[k:]
		return n, true
	}
	n, ok := num()
	if !ok || n == 0 || n > uint64(len(v)) {
		return nil, bad("bad count")
	}
	var seq uint64
	author := ""
	for i := range int(n) {
		gap, ok := num()
		if !ok {
			return nil, bad("cut off")
		}
		switch {
		case i == 0 && gap < last:
			seq = last - gap
		case i > 0 && gap > 0 && seq+gap > seq:
			seq += gap
		default:
			return nil, bad("sequence numbers out of order")
		}
		l, ok := num()
		switch {
		case !ok || l > uint64(len(v)) || l == 0 && i == 0:
			return nil, bad("bad author")
		case l > 0:
			author = string(v[:l])
			v = v[l:]
		}
		out = append(out, ixEntry{seq: seq, author: author})
	}
	if seq != last || len(v) != 0 {
		return nil, bad("does not end at its key")
	}
	return out, nil
}
