package badgerstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/badgerdb"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// refusedRec is a refused operation as stored (JSON, as older servers
// wrote it).
type refusedRec struct {
	Op      json.RawMessage `json:"op"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	At      time.Time       `json:"at"`
}

// ReadLog implements store.Log.
func (s *Store) ReadLog(ctx context.Context, fn func(store.LogReader) error) error {
	return s.view(ctx, func(x *txn) error { return fn(x) })
}

// opsBufs hold the buffers a group of Appends gathers its operations' encodings in
// (logTx.ops.b) before they are copied into the log's batch, and its
// states' encodings (logTx.states): a change set of syncproto.MaxPushOps
// operations takes about 400 KB of each, and growing new buffers to that
// size for every Append, then collecting them, was a few % of the
// server's CPU during a 100,000-record push (BENCHMARKS.md, issue 15,
// push3). Nothing keeps a reference to them past the group: finish copies
// the operations (appendItems), and Badger copies the states' values
// into its memtable and logs before the commit returns.
var opsBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// maxPooledOps bounds the buffers kept (a change set of large operations
// can take megabytes; such a buffer is left to the collector).
const maxPooledOps = 4 << 20

// logTx is one Append. What it logs, indexes and judges is gathered here
// and written at the end as batches (batch.go), one log entry for all its
// operations, one entry per pull index and one per device judged; the
// head and the acknowledgements it moves are written once too.
type logTx struct {
	*txn
	head  uint64
	acked map[string]uint64 // device -> highest seq judged, as this transaction left it

	ops     items                // the accepted operations, storage encoding, seqs from the head before + 1
	cuts    []int                // ops.len() after each function of the group (group.go): one log entry each
	entries [][]byte             // for each cut, the log entry made beforehand (PrepareEntry), or nil: made by finish
	prep    *preparedEntry       // the running function's prepared entry while what it accepted matches it (UseEntry)
	prepAt  int                  // ops.len() when the running function handed prep over
	ix      map[string][]ixEntry // pull index key prefix -> its new entries
	ixOrder []string
	// lastIx is the council of the operation accepted last and its pull
	// index key prefix (ixPrefix).
	lastIx struct{ council, prefix string }
	judged map[string]*judgedRun // device -> its judgements in this transaction
	states []byte                // the buffer the states put are encoded into (PutState): encodings, then free room

	// For the cache of states (statecache.go): the states put, and the
	// keys of those this transaction read and found.
	cache     *stateCache
	statePuts []statePut
	put       map[string][]byte // the last encoding put of each key of statePuts
	// stateBytes are the bytes of the keys and encodings of the states
	// put that are not written to Badger with this transaction (kept in
	// the cache, written later): bounded by maxKeptStates.
	stateBytes int64
	found      map[string]bool

	// tracked tells the appeals no tracking names (tracked.go); nil:
	// every appeal may have some.
	tracked *trackedAppeals

	// publicChanged: a published appeal or a council of the projection
	// was put or deleted (its version moves at the end);
	// publicAppealsChanged are those appeals' ids.
	publicChanged        bool
	publicAppealsChanged map[string]bool
}

// judgedRun is what one Append judged of one device: seqs first, first+1, ...
type judgedRun struct {
	first   uint64
	entries items // opEntry.appendBinary
}

// Acked implements store.LogReader, with this transaction's judgements.
func (w *logTx) Acked(dev string) (uint64, error) {
	if n, ok := w.acked[dev]; ok {
		return n, nil
	}
	return w.txn.Acked(dev)
}

// Judgement implements store.LogReader, with this transaction's judgements.
func (w *logTx) Judgement(dev string, seq uint64) (*store.Judgement, error) {
	if r := w.judged[dev]; r != nil && seq >= r.first && seq < r.first+uint64(r.entries.len()) {
		e, err := decodeOpEntry(r.entries.item(int(seq - r.first)))
		if err != nil {
			return nil, err
		}
		return e.judgement(), nil
	}
	return w.txn.Judgement(dev, seq)
}

// next checks that (dev, seq) follows the last judged operation of dev.
func (w *logTx) next(dev string, seq uint64) error {
	if !validPart(dev) {
		return fmt.Errorf("device id %q: not a valid name", dev)
	}
	acked, err := w.Acked(dev)
	if err != nil {
		return err
	}
	if seq != acked+1 {
		return fmt.Errorf("%w: %s/%d, the last judged is %d", store.ErrSequence, dev, seq, acked)
	}
	return nil
}

// judge keeps the judgement of (dev, seq), which next has checked.
func (w *logTx) judge(dev string, seq uint64, e opEntry) {
	if w.judged == nil {
		w.judged = map[string]*judgedRun{}
	}
	r := w.judged[dev]
	if r == nil {
		r = &judgedRun{first: seq}
		w.judged[dev] = r
	}
	r.entries.b = e.appendBinary(r.entries.b)
	r.entries.added()
	w.acked[dev] = seq
}

// Accept implements store.LogTx.
func (w *logTx) Accept(op *changeset.Op, ix store.Index) (uint64, error) {
	return w.accept(op, nil, ix)
}

// AcceptEncoded implements store.EncodedAccepter: the operation's bytes
// are copied into the batch, not encoded under the log's lock.
func (w *logTx) AcceptEncoded(op *changeset.Op, enc []byte, ix store.Index) (uint64, error) {
	return w.accept(op, enc, ix)
}

// accept is Accept of op, whose storage encoding is enc (nil: encoded here).
func (w *logTx) accept(op *changeset.Op, enc []byte, ix store.Index) (uint64, error) {
	if err := w.next(op.Device, op.Seq); err != nil {
		return 0, err
	}
	if w.prep != nil {
		// The prepared entry holds the function's operations from
		// prepAt on: this one must be its next.
		if k := w.ops.len() - w.prepAt; enc == nil || k >= len(w.prep.encs) || !sameSlice(enc, w.prep.encs[k]) {
			w.prep = nil
		}
	}
	if enc != nil {
		w.ops.b = append(w.ops.b, enc...)
	} else {
		b, err := op.AppendBinary(w.ops.b)
		if err != nil {
			return 0, err
		}
		w.ops.b = b
	}
	seq := w.head + 1
	w.ops.added()
	prefix := ""
	switch {
	case ix.Global:
		prefix = spaceGlobalIx
	default:
		prefix = w.ixPrefix(ix.Council)
	}
	// else only devices that read everything see it
	if prefix != "" {
		if w.ix == nil {
			w.ix = map[string][]ixEntry{}
		}
		e, ok := w.ix[prefix]
		if !ok {
			w.ixOrder = append(w.ixOrder, prefix)
		}
		w.ix[prefix] = append(e, ixEntry{seq: seq, author: op.Device})
	}
	w.judge(op.Device, op.Seq, opEntry{ServerSeq: seq, HLC: uint64(op.HLC), Kind: op.Kind, Record: op.Record})
	w.head = seq
	return seq, nil
}

// preparedEntry is a log entry made beforehand (PrepareEntry) and the
// encodings it holds, in order.
type preparedEntry struct {
	encs  [][]byte
	entry []byte
}

// ixPrefix is pullIxPrefix of a valid council, "" for an invalid one:
// the last one kept, as a change set's operations are nearly all of one
// council, and making the prefix (a string) was an allocation for each.
func (w *logTx) ixPrefix(council string) string {
	if council == w.lastIx.council && w.lastIx.prefix != "" {
		return w.lastIx.prefix
	}
	if !validPart(council) {
		return ""
	}
	w.lastIx.council, w.lastIx.prefix = council, pullIxPrefix(council)
	return w.lastIx.prefix
}

// PrepareEntry implements store.EntryPreparer: the entry finish would
// make of encs accepted in order by one function (packBatch of their
// batch), made by the caller before its Append.
func (s *Store) PrepareEntry(encs [][]byte) store.PreparedEntry {
	if len(encs) == 0 {
		return nil
	}
	return &preparedEntry{encs: encs, entry: packedBatch(func(b []byte) []byte { return appendBatch(b, encs) })}
}

// UseEntry implements store.EntryUser: e is the running function's log
// entry if what it accepts from here on is e's encodings, in order, and
// nothing else (accept checks each; cut decides).
func (w *logTx) UseEntry(e store.PreparedEntry) {
	w.prep, _ = e.(*preparedEntry)
	w.prepAt = w.ops.len()
}

// cut ends the running function's part of the group (group.go): its
// operations are one log entry, the prepared one if they are all of it.
func (w *logTx) cut() {
	var entry []byte
	if p := w.prep; p != nil && w.ops.len()-w.prepAt == len(p.encs) {
		entry = p.entry
	}
	w.cuts = append(w.cuts, w.ops.len())
	w.entries = append(w.entries, entry)
	w.prep = nil
}

// sameSlice says whether a and b are the same bytes in memory: an
// encoding the caller prepared is handed back as that very slice.
func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// Refuse implements store.LogTx.
func (w *logTx) Refuse(r store.Refusal) error {
	if err := w.next(r.Device, r.Seq); err != nil {
		return err
	}
	// The operation is kept whole up to store.MaxRefusedOp, else as its
	// summary: a long one went into the memtable whole (an attacker's
	// refused flood filled one a request), and older servers read either.
	err := w.setJSON(refusedKey(r.Device, r.Seq), refusedRec{Op: store.CutRefusedOp(r.Op), Code: r.Code, Message: r.Message, At: r.At})
	if err != nil {
		return err
	}
	w.judge(r.Device, r.Seq, opEntry{HLC: r.HLC, Kind: r.Kind, Record: r.Record, Code: r.Code, Message: r.Message})
	return nil
}

// PutState implements store.LogTx.
func (w *logTx) PutState(st *changeset.State) error {
	if !validPart(st.Kind) || !validPart(st.ID) {
		return fmt.Errorf("%w: bad record key %q/%q", changeset.ErrInvalidOp, st.Kind, st.ID)
	}
	// States are encoded one after the other into the free room of a
	// buffer (Badger holds each slice until the commit). One that does
	// not fit there gets an array of its own (append grows one from its
	// bytes alone), and once a buffer is nearly full the states after it
	// go into a new one twice its size: the encodings made stay where
	// they are. Growing one buffer for the group by append copied them
	// into each larger one, and the slices given to Badger kept every
	// smaller one alive until the commit (25 MB in attackmem's large
	// attack; TestPutStateEncodings).
	free := w.states[len(w.states):]
	b, err := st.AppendBinary(free)
	if err != nil {
		return err
	}
	return w.putEncoded(stateKey(st.Kind, st.ID), free, b, createdAlone(st))
}

// PutEncodedState implements store.EncodedStates: enc is copied into the
// buffer of states, as PutState encodes one there.
func (w *logTx) PutEncodedState(kind, id string, enc []byte) error {
	if !validPart(kind) || !validPart(id) {
		return fmt.Errorf("%w: bad record key %q/%q", changeset.ErrInvalidOp, kind, id)
	}
	key := stateKey(kind, id)
	alone := false
	if !w.found[string(key)] {
		// Its header tells whether it holds its creation alone
		// (createdAlone). A state merged on the encoding was read here
		// (EncodedStateAhead) and is kept as rewritten whatever its
		// clocks: its header is not read again.
		created, updated, err := changeset.StateClocks(enc)
		if err != nil {
			return err
		}
		alone = createdAlone(&changeset.State{Created: created, Updated: updated})
	}
	free := w.states[len(w.states):]
	return w.putEncoded(key, free, append(free, enc...), alone)
}

// putEncoded is the rest of PutState and PutEncodedState: b is the
// encoding of the state under key, appended to free (w.states' free room),
// and alone what createdAlone says of it.
func (w *logTx) putEncoded(key, free, b []byte, alone bool) error {
	switch {
	case len(b) <= cap(free):
		w.states = w.states[:len(w.states)+len(b)]
	case cap(free) < cap(w.states)/4:
		// The largest buffer made is kept for the next group (group.go).
		w.states = make([]byte, 0, min(max(2*cap(w.states), statesBuffer), maxPooledOps))
	}
	b = b[:len(b):len(b)]
	read := w.found[string(key)]
	created := !read && alone
	w.cache.touch(key) // a read ahead of another push made before is not taken
	w.statePuts = append(w.statePuts, statePut{key: string(key), enc: b, read: read, created: created})
	if w.put == nil {
		w.put = map[string][]byte{}
	}
	w.put[string(key)] = b
	if !read && !created {
		// A record created with later operations (or a state put
		// without reading it) is written with its operation, as before:
		// an ordinary push creates its records once, and keeping them
		// would only take memory (statecache.go).
		return w.set(key, b)
	}
	// A state rewritten, or created alone, is written to Badger later, in
	// a window of states (dirty.go): kept in the cache as dirty once this
	// transaction commits (stateCache.keepPuts); until then this
	// transaction reads it from w.put. (In a spread backlog a created
	// record written with its operation was read back from Badger by its
	// next operation, and written to Badger's log and memtable once more
	// than needed: BENCHMARKS.md, issue 15, spread7.) It counts against
	// a bound of its own (maxKeptStates; group.go), and a function that
	// puts more than it is refused as if Badger had refused it: what a
	// group holds in memory stays bounded. Not against Badger's: they
	// are not in its transaction, and counting them there made a spread
	// backlog's change sets too big for a transaction of a smaller
	// memtable (BENCHMARKS.md, mem6).
	w.stateBytes += int64(len(key) + len(b))
	if w.stateBytes >= w.cache.groupKept {
		return fmt.Errorf("%w: states of %d bytes", store.ErrTxnTooBig, w.stateBytes)
	}
	return nil
}

// maxKeptStates bounds the encodings of the states one group puts and
// keeps for a later window (PutState): what a Badger transaction held at
// the 32 MiB memtables of before (15% of one). Options.Small's is what its
// transaction holds (tests fill a group with it).
const (
	maxKeptStates   = 4800 << 10
	smallKeptStates = 1200 << 10
)

// createdAlone says whether st holds its record's creation alone, as far
// as its clocks tell: nothing merged into it after its create operation.
// A spread backlog's records are so when they are created (their later
// operations come in later change sets); an ordinary push's come with
// their later operations in the change set that creates them, and those
// with none are the fewer (syncbench's demo appeals: a few in ten).
func createdAlone(st *changeset.State) bool {
	return st.Created != 0 && st.Updated == st.Created
}

// State implements store.LogReader: a state this transaction has not put
// is read from the cache of states the appends before it wrote, if it is
// there (statecache.go).
func (w *logTx) State(kind, id string) (*changeset.State, error) {
	if !validPart(kind) || !validPart(id) {
		return nil, nil
	}
	key := stateKey(kind, id)
	var st *changeset.State
	// A state this transaction put is read as it put it; the cache
	// holds what the last commit left.
	if b, ok := w.put[string(key)]; ok {
		var err error
		if st, err = changeset.DecodeState(b); err != nil {
			return nil, err
		}
	} else if b := w.cache.get(key); b != nil {
		var err error
		if st, err = changeset.DecodeState(b); err != nil {
			return nil, err
		}
	} else {
		var err error
		if st, err = w.txn.State(kind, id); err != nil || st == nil {
			return st, err
		}
	}
	w.foundState(key)
	return st, nil
}

// foundState notes that this transaction read the state under key and
// found it (statePut.read).
func (w *logTx) foundState(key []byte) {
	if w.found == nil {
		w.found = map[string]bool{}
	}
	w.found[string(key)] = true
}

// statesBuffer is the least a new buffer of states' encodings takes.
const statesBuffer = 64 << 10

// PutConflict implements store.LogTx.
func (w *logTx) PutConflict(c changeset.Conflict) error {
	return w.setJSON(conflictKey(c.Kind, c.Record, c.Field, uint64(c.Loser.HLC), c.Loser.Device), c)
}

// Clock implements store.LogTx.
func (w *logTx) Clock() (hlc.Timestamp, error) {
	n, err := w.metaUint(metaClock)
	return hlc.Timestamp(n), err
}

// SetClock implements store.LogTx.
func (w *logTx) SetClock(t hlc.Timestamp) error { return w.set(metaKey(metaClock), be(uint64(t))) }

// finish writes the batches, the head and the acknowledgements the
// transaction moved. The log's entries are one per Append of the group
// (cuts), as if each had committed alone: a pull that misses the store's
// Tail unpacks the whole entry holding the operation it needs, and with
// the pushes of a group in one entry, each of a council's pulls unpacked
// all of them for its own few. The pull indexes and the judgements are
// one entry per group and key: small, and read whole. A batch is as large
// as what one Append accepted: a push decoded from at most
// syncproto.MaxRawBytes (16 MiB) of JSON, well within a value Badger
// takes (a value must fit one value log file, 64 MiB in Options.Small,
// 256 MiB otherwise); a larger one would fail the commit with Badger's
// error, not split.
func (w *logTx) finish(head0 uint64) error {
	from := 0
	for i, to := range append(w.cuts, w.ops.len()) {
		if to == from {
			continue
		}
		var entry []byte
		if i < len(w.entries) {
			entry = w.entries[i]
		}
		if entry == nil {
			entry = packedBatch(func(b []byte) []byte { return appendItemsRange(b, &w.ops, from, to) })
		}
		if err := w.set(logBatchKey(head0+uint64(to)), entry); err != nil {
			return err
		}
		from = to
	}
	for _, prefix := range w.ixOrder {
		e := w.ix[prefix]
		if err := w.set(seqKey(prefix, e[len(e)-1].seq), appendIndex(nil, e)); err != nil {
			return err
		}
	}
	for dev, r := range w.judged {
		last := r.first + uint64(r.entries.len()) - 1
		if err := w.set(seqKey(judgedPrefix(dev), last), appendItems(nil, &r.entries)); err != nil {
			return err
		}
	}
	for dev, seq := range w.acked {
		if err := w.set(ackedKey(dev), be(seq)); err != nil {
			return err
		}
	}
	if w.head != head0 {
		if err := w.set(metaKey(metaHead), be(w.head)); err != nil {
			return err
		}
	}
	return w.finishPublic()
}

// Acked implements store.LogReader.
func (x *txn) Acked(dev string) (uint64, error) {
	if !validPart(dev) {
		return 0, nil
	}
	b, _, err := x.get(ackedKey(dev))
	return u64(b), err
}

// Judgement implements store.LogReader: the device's judgement entry
// whose last seq is the first at or after seq holds it.
func (x *txn) Judgement(dev string, seq uint64) (*store.Judgement, error) {
	if !validPart(dev) || seq == 0 {
		return nil, nil
	}
	prefix := judgedPrefix(dev)
	it := x.t.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
	defer it.Close()
	it.Seek(seqKey(prefix, seq))
	if !it.Valid() {
		return nil, nil
	}
	last := u64(it.Item().Key()[len(prefix):])
	var e *opEntry
	err := it.Item().Value(func(v []byte) (err error) { e, err = judgementAt(last, seq, v); return err })
	if err != nil {
		return nil, fmt.Errorf("judgement of %s/%d: %w", dev, seq, err)
	}
	if e == nil {
		return nil, nil
	}
	return e.judgement(), nil
}

// State implements store.LogReader.
func (x *txn) State(kind, id string) (*changeset.State, error) {
	if !validPart(kind) || !validPart(id) {
		return nil, nil
	}
	b, ok, err := x.get(stateKey(kind, id))
	if !ok || err != nil {
		return nil, err
	}
	return changeset.DecodeState(b)
}

// Head implements store.Log.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	var n uint64
	err := s.view(ctx, func(x *txn) (err error) { n, err = x.metaUint(metaHead); return err })
	return n, err
}

// EachOp implements store.Log.
func (s *Store) EachOp(ctx context.Context, after uint64, fn func(seq uint64, op *changeset.Op) error) error {
	return s.view(ctx, func(x *txn) error {
		it := x.t.NewIterator(badger.IteratorOptions{Prefix: []byte(spaceLogBatch), PrefetchValues: true, PrefetchSize: 4})
		defer it.Close()
		for it.Seek(logBatchKey(after + 1)); it.Valid(); it.Next() {
			b, err := logBatchOf(it.Item())
			if err != nil {
				return err
			}
			for seq := max(b.first, after+1); seq <= b.last; seq++ {
				if err := ctx.Err(); err != nil {
					return err
				}
				op, err := changeset.DecodeOp(b.item(seq))
				if err != nil {
					return fmt.Errorf("log entry %d: %w", seq, err)
				}
				if err := fn(seq, op); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// logBatchOf decodes a log batch (a copy of it, or what it unpacked to:
// operations decoded from it alias it).
func logBatchOf(item *badger.Item) (*batch, error) {
	last := u64(item.Key()[len(spaceLogBatch):])
	var v []byte
	err := item.Value(func(val []byte) (err error) {
		v, err = unpackBatch(last, val)
		if err == nil && len(v) > 0 && &v[0] == &val[0] {
			v = slices.Clone(v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return decodeBatch(last, v)
}

// Refusals implements store.Log.
func (s *Store) Refusals(ctx context.Context, dev string, fn func(store.Refusal) error) error {
	if !validPart(dev) {
		return nil
	}
	prefix := spaceRefused + dev + ":"
	return s.view(ctx, func(x *txn) error {
		return badgerdb.Scan(ctx, x.t, []byte(prefix), func(k, v []byte) error {
			var r refusedRec
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("damaged refusal: %w", err)
			}
			seq := u64(k[len(prefix):])
			out := store.Refusal{Device: dev, Seq: seq, Code: r.Code, Message: r.Message, Op: bytes.Clone(r.Op), At: r.At}
			j, err := x.Judgement(dev, seq)
			if err != nil {
				return err
			}
			if j != nil {
				out.HLC, out.Kind, out.Record = j.HLC, j.Kind, j.Record
			}
			return fn(out)
		})
	})
}

// State implements store.States.
func (s *Store) State(ctx context.Context, kind, id string) (*changeset.State, error) {
	var st *changeset.State
	var err error
	if b := s.states.get(stateKey(kind, id)); b != nil && validPart(kind) && validPart(id) {
		// What the last commit left, which Badger may not hold yet.
		st, err = changeset.DecodeState(b)
	} else {
		err = s.view(ctx, func(x *txn) (err error) { st, err = x.State(kind, id); return err })
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", kind, id, err)
	}
	if st == nil {
		return nil, fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
	}
	return st, nil
}

// EachState implements store.States.
func (s *Store) EachState(ctx context.Context, kind string, fn func(*changeset.State) error) error {
	prefix := spaceState
	if kind != "" {
		if !validPart(kind) {
			return nil
		}
		prefix += kind + ":"
	}
	return s.statesView(ctx, func(x *txn) error {
		return badgerdb.Scan(ctx, x.t, []byte(prefix), func(_, v []byte) error {
			st, err := changeset.DecodeState(bytes.Clone(v)) // v is Badger's until fn returns; st may outlive it
			if err != nil {
				return err
			}
			return fn(st)
		})
	})
}

// Conflicts implements store.States.
func (s *Store) Conflicts(ctx context.Context, fn func(changeset.Conflict) error) error {
	return s.scan(ctx, []byte(spaceConflict), func(_, v []byte) error {
		var c changeset.Conflict
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("damaged conflict: %w", err)
		}
		return fn(c)
	})
}
