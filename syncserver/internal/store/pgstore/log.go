package pgstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Pull index values of log.ix besides a council's code (a name never holds
// ':', so neither can be a council).
const (
	ixGlobal = ":global" // every device reads it
	ixNone   = ""        // only devices that read everything
)

func ixOf(ix store.Index) string {
	switch {
	case ix.Global:
		return ixGlobal
	case validPart(ix.Council):
		return ix.Council
	}
	return ixNone
}

// reader reads the log and the states in a transaction.
type reader struct {
	ctx context.Context
	tx  pgx.Tx
	// q is what its reads go through: tx, or a ReadLog's snapshot begun
	// at its second read (readlog.go).
	q rowQuerier
	// hint, if set, is told each device whose acknowledgement is read.
	hint func(dev string)
}

// Acked implements store.LogReader.
func (r *reader) Acked(dev string) (uint64, error) {
	if !validPart(dev) {
		return 0, nil
	}
	if r.hint != nil {
		r.hint(dev)
	}
	var n int64
	err := r.q.QueryRow(r.ctx, `SELECT seq FROM acked WHERE device = $1`, dev).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("acknowledgement of %s: %w", dev, err)
	}
	return u64(n), nil
}

// Judgement implements store.LogReader: an accepted operation is its
// place in its row of the log (the device's row whose dlast is the first
// at or above seq, if it begins at or below seq), a refused one its row
// of refusals.
func (r *reader) Judgement(dev string, seq uint64) (*store.Judgement, error) {
	if !validPart(dev) {
		return nil, nil
	}
	var sseq, clock int64
	var op, kind, record, code, msg []byte
	err := r.q.QueryRow(r.ctx, `SELECT l.first + ($2 - l.dfirst), l.ops[$2 - l.dfirst + 1], 0, ''::bytea, ''::bytea, ''::bytea, ''::bytea
			FROM (SELECT first, dlast - (last - first) AS dfirst, ops FROM log
				WHERE device = $1 AND dlast >= $2 ORDER BY dlast LIMIT 1) l
			WHERE l.dfirst <= $2
		UNION ALL
		SELECT 0, NULL, hlc, kind, record, code, message FROM refusals WHERE device = $1 AND seq = $2`, dev, i64(seq)).
		Scan(&sseq, &op, &clock, &kind, &record, &code, &msg)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("judgement of %s/%d: %w", dev, seq, err)
	}
	if sseq == 0 {
		return &store.Judgement{HLC: u64(clock), Kind: string(kind), Record: string(record), Code: string(code), Message: string(msg)}, nil
	}
	o, err := changeset.DecodeOp(op)
	if err != nil {
		return nil, fmt.Errorf("log entry %d (%s/%d): %w", sseq, dev, seq, err)
	}
	if o.Device != dev || o.Seq != seq {
		return nil, fmt.Errorf("log entry %d holds %s, want %s/%d: the log is damaged", sseq, o.ID(), dev, seq)
	}
	return &store.Judgement{ServerSeq: u64(sseq), HLC: uint64(o.HLC), Kind: o.Kind, Record: o.Record}, nil
}

// state returns a record's state as stored, or nil.
func (r *reader) state(kind, id string) ([]byte, error) {
	var b []byte
	err := r.q.QueryRow(r.ctx, `SELECT state FROM states WHERE kind = $1 AND id = $2`, kind, id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state of %s %s: %w", kind, id, err)
	}
	return b, nil
}

// State implements store.LogReader.
func (r *reader) State(kind, id string) (*changeset.State, error) {
	if !validPart(kind) || !validPart(id) {
		return nil, nil
	}
	b, err := r.state(kind, id)
	if b == nil || err != nil {
		return nil, err
	}
	return decodeState(b)
}

func decodeState(b []byte) (*changeset.State, error) {
	st, err := changeset.DecodeState(b)
	if err != nil {
		return nil, fmt.Errorf("stored state: %w", err)
	}
	return st, nil
}

// logTx is one Append. It caches what it read (nothing else writes the
// log while it holds the lock) and keeps what it writes until flush.
type logTx struct {
	reader

	// log_state as locked, and as this transaction leaves it.
	head0, head   uint64
	clock0, clock uint64
	rule0, rule   int
	publicN       uint64

	acked   map[string]uint64     // read or written
	ackedW  map[string]bool       // written
	states  map[string]stateEntry // kind:id
	ops     opRows
	refused []store.Refusal
	confl   map[conflictKey][]byte
	undo    []func() // what restores the entries the running function wrote (group.go)
	// journaled are the devices whose acknowledgement the running
	// function has journaled already (once is enough: undo restores the
	// value before its first write).
	journaled []string
	// arena holds the storage encodings of operations and states, many
	// to an allocation.
	arena []byte

	ackReads *atomic.Int64 // the store's count of acknowledgements read one at a time

	// group is the group's transaction (group.go), which lock begins and
	// flush commits in their batches; nil: tx was begun and is committed
	// by its caller.
	group *groupTx

	public
}

// stateEntry is a state read (b nil: there is none) or written. absent
// says the database held no row for it when it was read, under the log's
// lock: nothing else writes states while the lock is held, so a row
// written from it is inserted, not upserted (an insert that need not look
// for a conflict first costs PostgreSQL a fifth less CPU).
type stateEntry struct {
	kind, id string
	b        []byte
	written  bool
	absent   bool
}

type conflictKey struct {
	kind, record, field string
	hlc                 uint64
	device              string
}

// opRows are the operations an Append accepted, in server order, as
// columns; flush makes them rows of the log (logRows).
type opRows struct {
	seq, dseq     []int64
	device, index []string
	op            [][]byte
}

func newLogTx(ctx context.Context, tx pgx.Tx) *logTx {
	return &logTx{reader: reader{ctx: ctx, tx: tx, q: tx}, acked: map[string]uint64{}, ackedW: map[string]bool{},
		states: map[string]stateEntry{}, confl: map[conflictKey][]byte{},
		public: newPublic()}
}

// lock takes the log: the one row of log_state, until the commit. With
// it, in the same round trip, it reads the acknowledgements of devices
// (the store's hints and the group's own, AppendKeyed): each statement of a READ COMMITTED transaction sees
// what was committed before it began, and this one begins once the lock
// is held, so what it reads is as current as a read inside the append.
// So are the records the group's appends named (keys, queuePrefetch).
//
// In a group, the batch begins the transaction too (groupTx).
func (w *logTx) lock(devs []string, keys []store.RecordKey) error {
	b := &pgx.Batch{}
	if w.group != nil {
		w.group.queueBegin(b)
	}
	var head, clock, n int64
	b.Queue(`SELECT head, clock, public_n, public_rule FROM log_state FOR UPDATE`).QueryRow(func(r pgx.Row) error {
		return r.Scan(&head, &clock, &n, &w.rule0)
	})
	found := map[string]uint64{}
	if len(devs) > 0 {
		b.Queue(`SELECT device, seq FROM acked WHERE device = ANY($1)`, devs).Query(func(rows pgx.Rows) error {
			var dev string
			var seq int64
			_, err := pgx.ForEachRow(rows, []any{&dev, &seq}, func() error {
				found[dev] = u64(seq)
				return nil
			})
			return err
		})
	}
	w.queuePrefetch(b, keys)
	if err := w.tx.SendBatch(w.ctx, b).Close(); err != nil {
		return fmt.Errorf("take the log: %w", err)
	}
	for _, dev := range devs {
		if validPart(dev) {
			w.acked[dev] = found[dev] // none: 0
		}
	}
	w.head0, w.clock0, w.publicN = u64(head), u64(clock), u64(n)
	w.head, w.clock, w.rule = w.head0, w.clock0, w.rule0
	return nil
}

// Acked implements store.LogReader, with this transaction's judgements.
func (w *logTx) Acked(dev string) (uint64, error) {
	if n, ok := w.acked[dev]; ok {
		return n, nil
	}
	if w.ackReads != nil {
		w.ackReads.Add(1)
	}
	n, err := w.reader.Acked(dev)
	if err == nil && validPart(dev) {
		w.acked[dev] = n
	}
	return n, err
}

// Judgement implements store.LogReader, with this transaction's: looked
// for in the rows it is to write. Nothing in a push asks an Append for a
// judgement, so none is kept in a map as it is made (one entry for each
// operation of each Append was 5% of judging a change set).
func (w *logTx) Judgement(dev string, seq uint64) (*store.Judgement, error) {
	for i := range w.refused {
		if r := &w.refused[i]; r.Device == dev && r.Seq == seq {
			return &store.Judgement{HLC: r.HLC, Kind: r.Kind, Record: r.Record, Code: r.Code, Message: r.Message}, nil
		}
	}
	r := &w.ops
	for i := range r.seq {
		if r.dseq[i] == i64(seq) && r.device[i] == dev {
			o, err := changeset.DecodeOp(r.op[i])
			if err != nil {
				return nil, fmt.Errorf("operation %s/%d of this append: %w", dev, seq, err)
			}
			return &store.Judgement{ServerSeq: u64(r.seq[i]), HLC: uint64(o.HLC), Kind: o.Kind, Record: o.Record}, nil
		}
	}
	return w.reader.Judgement(dev, seq)
}

// State implements store.LogReader, with this transaction's puts. Each
// call decodes its own copy, as a read from the database would.
func (w *logTx) State(kind, id string) (*changeset.State, error) {
	if !validPart(kind) || !validPart(id) {
		return nil, nil
	}
	key := kind + ":" + id
	e, ok := w.states[key]
	if !ok {
		b, err := w.reader.state(kind, id)
		if err != nil {
			return nil, err
		}
		e = stateEntry{kind: kind, id: id, b: b, absent: b == nil}
		w.states[key] = e
	}
	if e.b == nil {
		return nil, nil
	}
	return decodeState(bytes.Clone(e.b))
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

// Accept implements store.LogTx.
func (w *logTx) Accept(op *changeset.Op, ix store.Index) (uint64, error) {
	return w.accept(op, nil, ix)
}

// AcceptEncoded implements store.EncodedAccepter: the operation's bytes,
// encoded before the device's turn (ingest), go to the log as they are
// instead of being encoded again while the log is held (the operations'
// encoding was 5-9% of a large push's CPU). They are sent by the flush
// of this Append, and not kept after it.
func (w *logTx) AcceptEncoded(op *changeset.Op, enc []byte, ix store.Index) (uint64, error) {
	return w.accept(op, enc, ix)
}

// accept is Accept of op, whose storage encoding is b (nil: encoded here).
func (w *logTx) accept(op *changeset.Op, b []byte, ix store.Index) (uint64, error) {
	if err := w.next(op.Device, op.Seq); err != nil {
		return 0, err
	}
	if !validPart(op.Kind) || !validPart(op.Record) {
		return 0, fmt.Errorf("%w: bad record key %q/%q", changeset.ErrInvalidOp, op.Kind, op.Record)
	}
	if b == nil {
		var err error
		if b, err = w.encode(op.AppendBinary); err != nil {
			return 0, err
		}
	}
	seq := w.head + 1
	r := &w.ops
	r.seq, r.dseq = append(r.seq, i64(seq)), append(r.dseq, i64(op.Seq))
	r.device, r.index, r.op = append(r.device, op.Device), append(r.index, ixOf(ix)), append(r.op, b)
	w.journal(op.Device)
	w.head = seq
	w.acked[op.Device], w.ackedW[op.Device] = op.Seq, true
	return seq, nil
}

// Refuse implements store.LogTx.
func (w *logTx) Refuse(r store.Refusal) error {
	if err := w.next(r.Device, r.Seq); err != nil {
		return err
	}
	r.Op = bytes.Clone(store.CutRefusedOp(r.Op)) // whole up to store.MaxRefusedOp, else its summary
	w.journal(r.Device)
	w.refused = append(w.refused, r)
	w.acked[r.Device], w.ackedW[r.Device] = r.Seq, true
	return nil
}

// PutState implements store.LogTx.
func (w *logTx) PutState(st *changeset.State) error {
	if !validPart(st.Kind) || !validPart(st.ID) {
		return fmt.Errorf("%w: bad record key %q/%q", changeset.ErrInvalidOp, st.Kind, st.ID)
	}
	b, err := w.encode(st.AppendBinary)
	if err != nil {
		return err
	}
	key := st.Kind + ":" + st.ID
	save(w, w.states, key)
	w.states[key] = stateEntry{kind: st.Kind, id: st.ID, b: b, written: true, absent: w.states[key].absent}
	return nil
}

// arenaSize is the size of each of a logTx's arenas; an encoding that
// does not fit what is left of one is allocated on its own.
const arenaSize = 256 << 10

// encode returns what enc appends to an empty slice, in w's arena.
func (w *logTx) encode(enc func([]byte) ([]byte, error)) ([]byte, error) {
	if cap(w.arena)-len(w.arena) < 4<<10 {
		w.arena = make([]byte, 0, arenaSize)
	}
	free := w.arena[len(w.arena):]
	b, err := enc(free)
	if err != nil {
		return nil, err
	}
	if cap(b) == cap(free) { // in the arena: take it
		w.arena = w.arena[:len(w.arena)+len(b)]
	}
	return b[:len(b):len(b)], nil
}

// journal notes what the running function's first judgement of dev
// changes: the device's acknowledgement (a judgement's own entry is new,
// and rollback deletes it).
func (w *logTx) journal(dev string) {
	for _, d := range w.journaled {
		if d == dev {
			return
		}
	}
	w.journaled = append(w.journaled, dev)
	save(w, w.acked, dev)
	save(w, w.ackedW, dev)
}

// PutConflict implements store.LogTx.
func (w *logTx) PutConflict(c changeset.Conflict) error {
	for _, s := range []string{c.Kind, c.Record, c.Field, c.Loser.Device} {
		if err := checkText("conflict", s); err != nil {
			return err
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	key := conflictKey{c.Kind, c.Record, c.Field, uint64(c.Loser.HLC), c.Loser.Device}
	save(w, w.confl, key)
	w.confl[key] = b
	return nil
}

// Clock implements store.LogTx.
func (w *logTx) Clock() (hlc.Timestamp, error) { return hlc.Timestamp(w.clock), nil }

// SetClock implements store.LogTx.
func (w *logTx) SetClock(t hlc.Timestamp) error {
	w.clock = uint64(t)
	return nil
}

// flush sends what the transaction wrote, in one batch (and a second
// statement when the public projection's version must move). In a group,
// the last batch commits too (groupTx), unless the first's results may
// call for a second that does not come: then the group commits alone.
func (w *logTx) flush() error {
	b := &pgx.Batch{}
	var rows logRows
	if r := w.ops; len(r.seq) > 0 {
		for i := range r.seq {
			rows.add(r.seq[i], r.device[i], r.dseq[i], r.index[i], r.op[i])
		}
		if len(rows.ops) < copyMinOps {
			rows.queue(b)
		}
	}
	if len(w.refused) > 0 {
		n := len(w.refused)
		devs, seqs, clocks := make([]string, n), make([]int64, n), make([]int64, n)
		kinds, records, codes, msgs, ops := make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n)
		ats := make([]time.Time, n)
		for i, r := range w.refused {
			devs[i], seqs[i], clocks[i] = r.Device, i64(r.Seq), i64(r.HLC)
			kinds[i], records[i], codes[i], msgs[i], ops[i], ats[i] = []byte(r.Kind), []byte(r.Record), []byte(r.Code), []byte(r.Message), r.Op, r.At
		}
		b.Queue(`INSERT INTO refusals (device, seq, hlc, kind, record, code, message, op, at)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bytea[], $9::timestamptz[])`,
			devs, seqs, clocks, kinds, records, codes, msgs, ops, ats)
	}
	if len(w.ackedW) > 0 {
		devs, seqs := make([]string, 0, len(w.ackedW)), make([]int64, 0, len(w.ackedW))
		for dev := range w.ackedW {
			devs, seqs = append(devs, dev), append(seqs, i64(w.acked[dev]))
		}
		b.Queue(`INSERT INTO acked (device, seq) SELECT * FROM unnest($1::text[], $2::bigint[])
			ON CONFLICT (device) DO UPDATE SET seq = EXCLUDED.seq`, devs, seqs)
	}
	var kinds, ids, newKinds, newIDs []string
	var sts, newSts [][]byte
	for _, e := range w.states {
		switch {
		case e.written && e.absent:
			newKinds, newIDs, newSts = append(newKinds, e.kind), append(newIDs, e.id), append(newSts, e.b)
		case e.written:
			kinds, ids, sts = append(kinds, e.kind), append(ids, e.id), append(sts, e.b)
		}
	}
	copyStates := len(newKinds) >= copyMinRows
	if len(newKinds) > 0 && !copyStates {
		b.Queue(`INSERT INTO states (kind, id, state) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])`, newKinds, newIDs, newSts)
	}
	if len(kinds) > 0 {
		b.Queue(`INSERT INTO states (kind, id, state) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
			ON CONFLICT (kind, id) DO UPDATE SET state = EXCLUDED.state`, kinds, ids, sts)
	}
	if len(w.confl) > 0 {
		n := len(w.confl)
		ks, rs, fs, ds := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		hs, cs := make([]int64, 0, n), make([][]byte, 0, n)
		for k, c := range w.confl {
			ks, rs, fs, hs, ds, cs = append(ks, k.kind), append(rs, k.record), append(fs, k.field), append(hs, i64(k.hlc)), append(ds, k.device), append(cs, c)
		}
		b.Queue(`INSERT INTO conflicts (kind, record, field, hlc, device, conflict)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bytea[])
			ON CONFLICT (kind, record, field, hlc, device) DO UPDATE SET conflict = EXCLUDED.conflict`, ks, rs, fs, hs, ds, cs)
	}
	changes := w.public.queue(b) // the public projection's writes, whose results say whether it changed
	moved := w.head != w.head0 || w.clock != w.clock0 || w.rule != w.rule0
	if moved && len(changes) == 0 {
		w.queueState(b, false)
	}
	if len(rows.ops) >= copyMinOps {
		if err := rows.copy(w.ctx, w.tx); err != nil {
			return err
		}
	}
	if copyStates {
		c := newCopyIn()
		for i := range newKinds {
			c.row(3)
			c.text(newKinds[i])
			c.text(newIDs[i])
			c.bytea(newSts[i])
		}
		if err := c.send(w.ctx, w.tx, "states", "kind, id, state"); err != nil {
			return fmt.Errorf("write the states: %w", err)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	changed := false
	// With no change of the projection, no second batch follows.
	commit := -1
	if w.group != nil && len(changes) == 0 {
		commit = w.group.queueCommit(b)
	}
	if err := w.send(b, changes, commit, &changed); err != nil {
		return err
	}
	if len(changes) > 0 && (moved || changed) {
		b := &pgx.Batch{}
		w.queueState(b, changed)
		commit := -1
		if w.group != nil {
			commit = w.group.queueCommit(b)
		}
		return w.send(b, nil, commit, nil)
	}
	return nil
}

// send sends b, taking the result of the COMMIT at index commit (-1:
// none) and, into *changed, whether a statement changes names changed
// rows.
func (w *logTx) send(b *pgx.Batch, changes map[int]bool, commit int, changed *bool) error {
	br := w.tx.SendBatch(w.ctx, b)
	for i := 0; i < b.Len(); i++ {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			if i == commit {
				return fmt.Errorf("write the log: commit: %w", err)
			}
			return fmt.Errorf("write the log: %w", err)
		}
		if i == commit {
			if err := w.group.committedBy(tag); err != nil {
				br.Close()
				return fmt.Errorf("write the log: %w", err)
			}
		}
		if changes[i] && tag.RowsAffected() > 0 {
			*changed = true
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("write the log: %w", err)
	}
	return nil
}

// copyMinRows is the fewest new states a group writes with COPY rather
// than INSERT ... unnest: for a laptop's large change set, COPY sends them
// in 64 KiB messages where the insert's arrays are built whole twice (the
// parameter, then the Bind message, each grown from small and dropped by
// pgx after the batch), and PostgreSQL takes them without unpacking
// arrays. It costs a round trip of its own, which many small groups (many
// laptops at once) are better without.
const copyMinRows = 64

// copyMinOps is the fewest operations a group writes to the log with COPY
// rather than INSERT ... unnest, for the same reasons.
const copyMinOps = 256

// publicChangesKept is how many versions' changes of the projection are
// kept, and publicChangesPrune how often (in versions) older ones are
// deleted; a reader further behind reads the projection whole (as
// badgerstore). Variables for tests.
var publicChangesKept, publicChangesPrune uint64 = 20000, 1000

// queueState writes log_state as the transaction leaves it; publicMoved
// steps the projection's version (and now and then deletes the changes
// of versions no longer kept).
func (w *logTx) queueState(b *pgx.Batch, publicMoved bool) {
	if publicMoved {
		b.Queue(`UPDATE log_state SET head = $1, clock = $2, public_rule = $3, public_n = public_n + 1, public_at = clock_timestamp()`,
			i64(w.head), i64(w.clock), w.rule)
		if n := w.publicN + 1; n%publicChangesPrune == 0 && n > publicChangesKept {
			cut := i64(n - publicChangesKept) // the changes of versions below it go
			b.Queue(`DELETE FROM public_changes WHERE n < $1`, cut)
			b.Queue(`UPDATE log_state SET public_changes_from = greatest(public_changes_from, $1)`, cut)
		}
		return
	}
	b.Queue(`UPDATE log_state SET head = $1, clock = $2, public_rule = $3`, i64(w.head), i64(w.clock), w.rule)
}

// Head implements store.Log.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT head FROM log_state`).Scan(&n); err != nil {
		return 0, fmt.Errorf("the log's head: %w", err)
	}
	return u64(n), nil
}

// EachOp implements store.Log: one query, one snapshot.
func (s *Store) EachOp(ctx context.Context, after uint64, fn func(seq uint64, op *changeset.Op) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT first, last, ops[greatest(1, $1 - first + 2):] FROM log WHERE last > $1 ORDER BY last`, i64(after))
	if err != nil {
		return fmt.Errorf("read the log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var first, last int64
		var ops [][]byte
		if err := rows.Scan(&first, &last, &ops); err != nil {
			return fmt.Errorf("read the log: %w", err)
		}
		lo := max(u64(first), after+1)
		if err := checkRow(first, last, lo, ops); err != nil {
			return err
		}
		for i, b := range ops {
			seq := lo + uint64(i)
			op, err := changeset.DecodeOp(b)
			if err != nil {
				return fmt.Errorf("log entry %d: %w", seq, err)
			}
			if err := fn(seq, op); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the log: %w", err)
	}
	return nil
}

// Refusals implements store.Log.
func (s *Store) Refusals(ctx context.Context, dev string, fn func(store.Refusal) error) error {
	if !validPart(dev) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, hlc, kind, record, code, message, op, at FROM refusals WHERE device = $1 ORDER BY seq`, dev)
	if err != nil {
		return fmt.Errorf("read refusals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq, clock int64
		var kind, record, code, msg, op []byte
		var at time.Time
		if err := rows.Scan(&seq, &clock, &kind, &record, &code, &msg, &op, &at); err != nil {
			return fmt.Errorf("read refusals: %w", err)
		}
		r := store.Refusal{Device: dev, Seq: u64(seq), HLC: u64(clock), Kind: string(kind), Record: string(record),
			Code: string(code), Message: string(msg), Op: op, At: at.UTC()}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read refusals: %w", err)
	}
	return nil
}

// State implements store.States.
func (s *Store) State(ctx context.Context, kind, id string) (*changeset.State, error) {
	if !validPart(kind) || !validPart(id) {
		return nil, fmt.Errorf("%s %s: %w", kind, id, store.ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT state FROM states WHERE kind = $1 AND id = $2`, kind, id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%s %s: %w", kind, id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", kind, id, err)
	}
	return decodeState(b)
}

// EachState implements store.States.
func (s *Store) EachState(ctx context.Context, kind string, fn func(*changeset.State) error) error {
	if kind != "" && !validPart(kind) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT state FROM states WHERE $1 = '' OR kind = $1 ORDER BY kind, id`, kind)
	if err != nil {
		return fmt.Errorf("read states: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return fmt.Errorf("read states: %w", err)
		}
		st, err := decodeState(b)
		if err != nil {
			return err
		}
		if err := fn(st); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read states: %w", err)
	}
	return nil
}

// Conflicts implements store.States.
func (s *Store) Conflicts(ctx context.Context, fn func(changeset.Conflict) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT conflict FROM conflicts ORDER BY kind, record, field, hlc, device`)
	if err != nil {
		return fmt.Errorf("read conflicts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return fmt.Errorf("read conflicts: %w", err)
		}
		var c changeset.Conflict
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("damaged conflict: %w", err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read conflicts: %w", err)
	}
	return nil
}
