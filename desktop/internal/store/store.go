package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/badgerdb"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

var (
	// ErrNotFound is returned for a record or value that is not there.
	ErrNotFound = errors.New("not found")
	// ErrDiskFull is returned when a save failed for lack of space; nothing
	// of that save was written.
	ErrDiskFull = errors.New("the disk is (nearly) full: free some space and try again; nothing saved before was lost, and this save was not made")
	// ErrLocked is returned when another program has the store open.
	ErrLocked = errors.New("the store is in use by another Kenesh program (close the desktop app or the other keneshctl first)")
	// ErrTooBig is returned when one commit holds more than the store takes
	// in one transaction; nothing of it was written.
	ErrTooBig = errors.New("too much in one save: save fewer records at a time")
	// ErrWrongKey is returned when the key does not decrypt the store.
	ErrWrongKey = errors.New("the key does not match this store")
)

// Options tune the store.
type Options struct {
	// InMemory keeps everything in memory (tests of code above the store).
	InMemory bool
	// Logger receives Badger's warnings and errors; nil discards them.
	Logger *slog.Logger
	// MinFree is the disk space (bytes) a save leaves free; below it, opening
	// and saving fail with ErrDiskFull. 0 means DefaultMinFree.
	MinFree uint64
}

// DefaultMinFree is the reserve kept free on the disk. Badger writes its
// tables through memory maps: on a full disk it does not return an error but
// dies with SIGBUS, during a save or even while opening. Refusing to save a
// little before the disk is full turns that into an error a person can act
// on. The reserve covers a memtable, level-0 tables and a compaction's output.
const DefaultMinFree = 64 << 20

// Store is an open, unlocked store. Its methods are safe for concurrent use.
type Store struct {
	db      *badger.DB
	dir     string // "" in memory
	minFree uint64
}

// DataDir is the Badger directory inside a Kenesh data directory; the key
// file and backups sit beside it.
const DataDir = "db"

// Open opens (or creates) the encrypted store in dir/db with key.
func Open(ctx context.Context, dir string, key []byte, o Options) (*Store, error) {
	return open(ctx, dir, key, o, false)
}

// open is Open; for Restore (restoring) it writes nothing to the new
// store, not even its format stamp. Badger's Load keeps a backup's
// versions and the newest version of a key wins, a deletion too: a stamp
// the new store wrote (or deleted) at a version as low as the backup's
// would hide the backup's own, which a young store wrote first.
func open(ctx context.Context, dir string, key []byte, o Options, restoring bool) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, DataDir)
	opts := badger.DefaultOptions(path).
		WithInMemory(o.InMemory).
		WithEncryptionKey(key).
		// Every commit is fsynced: a saved record survives a power cut.
		WithSyncWrites(true).
		// Tuned for a 4 GB laptop (see BENCHMARKS.md): small memtables and
		// caches. IndexCacheSize must be > 0 with encryption, else Badger
		// panics in a background goroutine on reopen.
		//
		// Badger's table builders keep their buffers in a pool of eight
		// for reuse, each about six times its table's size (the block, its
		// compressed and its encrypted copy, doubling as it grows): with
		// 8 MiB memtables that alone held ~400 MB while 100,000 records
		// were written. 4 MiB memtables and 512 KiB tables cut it by half
		// or more. A transaction then takes ~600 KiB; values of 64 KiB and
		// more (attachment chunks) go to the value log and count only by
		// their pointer.
		WithMemTableSize(4 << 20).
		WithNumMemtables(2).
		WithValueThreshold(64 << 10).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(8 << 20).
		// Level 0 compacted at 16 tables (stalling at 32) and a base level
		// of 64 MiB: a new laptop's first pull (100,000 records) spent
		// ~40% of its CPU in compactions with 2 tables and 10 MiB, each
		// table of level 0 spanning every key space and
		// merged with nearly the whole level below (BENCHMARKS.md, issue
		// 15, seventh part). 32 tables (stalling at 64) halve those merges
		// again: the first pull's laptop CPU fell by a fifth (records'
		// BenchmarkApplyBulk, BENCHMARKS.md, pull3 helper). What the pull
		// leaves in level 0 (up to 31 tables of 4 MiB, each a narrow
		// sorted range of a window's keys) stays there, read through their
		// bloom filters and key ranges, until a laptop's daily saves, which
		// fill a 4 MiB table rarely, bring level 0 to 32 tables.
		WithNumLevelZeroTables(32).
		WithNumLevelZeroTablesStall(64).
		WithBaseLevelSize(64 << 20).
		WithValueLogFileSize(64 << 20).
		WithBaseTableSize(512 << 10).
		WithNumCompactors(2).
		WithLogger(badgerdb.Logger{L: o.Logger})
	s := &Store{minFree: o.MinFree}
	if s.minFree == 0 {
		s.minFree = DefaultMinFree
	}
	if o.InMemory {
		opts.Dir, opts.ValueDir = "", ""
	} else {
		if err := os.MkdirAll(path, 0o700); err != nil {
			return nil, fmt.Errorf("open store: %w", classify(err))
		}
		s.dir = path
		if err := s.checkSpace(); err != nil {
			return nil, fmt.Errorf("open store %s: %w", dir, err)
		}
	}
	db, err := badgerdb.Open(opts)
	switch {
	case badgerdb.IsWrongKey(err):
		return nil, fmt.Errorf("open store %s: %w", dir, ErrWrongKey)
	case badgerdb.IsLocked(err):
		return nil, fmt.Errorf("open store %s: %w", dir, ErrLocked)
	case err != nil:
		return nil, fmt.Errorf("open store %s: %w", dir, classify(err))
	}
	if restoring {
		s.db = db
		return s, nil
	}
	// Before anything reads or writes it: a store from an older release is
	// migrated, one from a newer release refused untouched.
	if err := storeFormat.Prepare(ctx, db, o.Logger); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, classify(err))
	}
	s.db = db
	return s, nil
}

// checkSpace refuses to go on when the disk is nearly full (see DefaultMinFree).
func (s *Store) checkSpace() error {
	return badgerdb.CheckSpace(s.dir, s.minFree, ErrDiskFull)
}

// Close flushes and closes the store.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// classify turns a full disk into ErrDiskFull, which the user can act on.
func classify(err error) error { return badgerdb.Classify(err, ErrDiskFull) }

// Write is one operation and what it produced: the record's new state, its
// index row, and conflicts found while merging. State nil leaves the stored
// state as is (a later Write of the same commit carries it). Op nil (and
// Hold nil) writes State and its index row alone.
type Write struct {
	Op       *changeset.Op
	State    *changeset.State
	IndexRow []byte // nil: leave the index row (and its text) as is
	// SearchText is the index row's search text, stored apart so that
	// opening reads the small rows first; written with IndexRow.
	SearchText []byte
	Conflicts  []changeset.Conflict
	// Resolved are open conflicts this operation settles; they are removed
	// in the same transaction.
	Resolved []changeset.Conflict
	// Hold keeps a pulled operation that is not applied (Op is nil then):
	// what a laptop will not merge is kept, never dropped.
	Hold *Held
	// Withdraw, with Hold and Op, takes Op out of the operations and
	// history (it was merged by an older version and is held now).
	Withdraw bool
	// Release is the key of a held operation that Op now applies; the
	// held copy is removed in the same transaction.
	Release string
	// Restamped, if not 0, is the clock Op had before it was given a new
	// one (records.Restamp): its history entry under the old clock goes.
	Restamped hlc.Timestamp
	// ReplaceConflicts drops every open conflict of State's record before
	// Conflicts are written: the record's conflicts were worked out anew.
	ReplaceConflicts bool
}

// Held is a pulled operation kept aside under a key of its own (the same
// operation held twice is kept once).
type Held struct {
	Key   string
	Value []byte
}

// Commit writes every Write and the meta values in one transaction, fsynced
// before it returns: all of it is durable, or none of it is.
func (s *Store) Commit(ctx context.Context, writes []Write, meta map[string][]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkSpace(); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		for _, w := range writes {
			if err := putWrite(txn, w); err != nil {
				return err
			}
		}
		for k, v := range meta {
			if err := txn.Set(metaKey(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, badger.ErrTxnTooBig) {
		return fmt.Errorf("save: %w", ErrTooBig)
	}
	if err != nil {
		return fmt.Errorf("save: %w", classify(err))
	}
	return nil
}

// sink is where putWrite writes: a transaction, or a bulk load's list.
type sink interface {
	Set(k, v []byte) error
	Delete(k []byte) error
}

func putWrite(txn *badger.Txn, w Write) error { return putWriteTo(txn, txn, w) }

// putWriteTo writes w's keys to out; txn reads what a write replaces
// (ReplaceConflicts).
func putWriteTo(txn *badger.Txn, out sink, w Write) error {
	if w.Hold != nil {
		if w.Hold.Key == "" {
			return fmt.Errorf("hold: no key")
		}
		if w.Withdraw && w.Op != nil {
			op := w.Op
			if err := out.Delete(opKey(op.Device, op.Seq)); err != nil {
				return err
			}
			if err := out.Delete(historyKey(op.Kind, op.Record, uint64(op.HLC), op.Device, op.Seq)); err != nil {
				return err
			}
			if err := leaveGroups(txn, out, op.Kind, op.Record, op.Device, op.Seq); err != nil {
				return err
			}
			if arena, ok := out.(*bulkList); ok {
				arena.groups.remove(op.Kind, op.Record, op.Device, op.Seq)
			}
		}
		return out.Set(heldKey(w.Hold.Key), w.Hold.Value)
	}
	if w.Release != "" {
		if err := out.Delete(heldKey(w.Release)); err != nil {
			return err
		}
	}
	op, st := w.Op, w.State
	if op == nil {
		// A record's state and index row alone, its operations written
		// apart (records' bulk load writes them first, with WriteBulk).
		if st == nil {
			return fmt.Errorf("write: neither an operation nor a state")
		}
		if !validPart(st.Kind) || !validPart(st.ID) {
			return fmt.Errorf("%w: bad id in the state of %s %s", changeset.ErrInvalidOp, st.Kind, st.ID)
		}
		return putStateTo(out, st, w.IndexRow, w.SearchText)
	}
	if !validPart(op.Kind) || !validPart(op.Record) || !validPart(op.Device) {
		return fmt.Errorf("%w: bad id in %s", changeset.ErrInvalidOp, op.ID())
	}
	arena, _ := out.(*bulkList)
	ob, err := op.AppendBinary(arena.valueRoom(opRoom))
	if err != nil {
		return err
	}
	ob = arena.keep(ob)
	ok := arena.keep(appendOpKey(arena.room(opKeyLen(op.Device)), op.Device, op.Seq))
	if err := out.Set(ok, ob); err != nil {
		return err
	}
	if w.Restamped != 0 && w.Restamped != op.HLC {
		if err := out.Delete(historyKey(op.Kind, op.Record, uint64(w.Restamped), op.Device, op.Seq)); err != nil {
			return err
		}
		if err := leaveGroups(txn, out, op.Kind, op.Record, op.Device, op.Seq); err != nil {
			return err
		}
		if arena != nil {
			arena.groups.remove(op.Kind, op.Record, op.Device, op.Seq)
		}
	}
	if w.ReplaceConflicts && st != nil {
		if err := deletePrefix(txn, out, conflictPrefix(st.Kind, st.ID)); err != nil {
			return err
		}
	}
	if arena != nil {
		// A bulk load's history goes in groups (history.go), written after
		// the window's writes.
		arena.groups.add(op.Kind, op.Record, historyRef{hlc: op.HLC, device: op.Device, seq: op.Seq})
	} else {
		hk := historyKey(op.Kind, op.Record, uint64(op.HLC), op.Device, op.Seq)
		if err := out.Set(hk, ok); err != nil {
			return err
		}
	}
	if st != nil {
		if err := putStateTo(out, st, w.IndexRow, w.SearchText); err != nil {
			return err
		}
	}
	for _, c := range w.Resolved {
		if err := out.Delete(conflictKey(c.Kind, c.Record, c.Field, uint64(c.Loser.HLC), c.Loser.Device)); err != nil {
			return err
		}
	}
	for _, c := range w.Conflicts {
		cb, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if err := out.Set(conflictKey(c.Kind, c.Record, c.Field, uint64(c.Loser.HLC), c.Loser.Device), cb); err != nil {
			return err
		}
	}
	return nil
}

// putStateTo writes st and, if row is not nil, its index row and search
// text.
func putStateTo(out sink, st *changeset.State, row, text []byte) error {
	arena, _ := out.(*bulkList)
	sb, err := st.AppendBinary(arena.valueRoom(stateRoom))
	if err != nil {
		return err
	}
	sb = arena.keep(sb)
	n := recordKeyLen(st.Kind, st.ID)
	if err := out.Set(arena.keep(appendRecordKey(arena.room(n), spaceState, st.Kind, st.ID)), sb); err != nil {
		return err
	}
	if row == nil {
		return nil
	}
	if err := out.Set(arena.keep(appendRecordKey(arena.room(n), spaceIndex, st.Kind, st.ID)), row); err != nil {
		return err
	}
	return out.Set(arena.keep(appendRecordKey(arena.room(n), spaceText, st.Kind, st.ID)), text)
}

// What an operation's and a state's encodings are given room for at first
// (an appeal's create is ~1-2 KB, a step a few hundred bytes; a larger one
// grows into memory of its own).
const (
	opRoom    = 2 << 10
	stateRoom = 4 << 10
)

func deletePrefix(txn *badger.Txn, out sink, prefix []byte) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	var keys [][]byte
	for it.Rewind(); it.Valid(); it.Next() {
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	it.Close()
	for _, k := range keys {
		if err := out.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// State returns a record's merged state.
func (s *Store) State(ctx context.Context, kind, id string) (*changeset.State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !validPart(kind) || !validPart(id) {
		return nil, fmt.Errorf("%s %q: %w", kind, id, ErrNotFound)
	}
	var st *changeset.State
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(stateKey(kind, id))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		st, err = changeset.DecodeState(v)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", kind, id, err)
	}
	return st, nil
}

// EachState calls fn with every record state of kind ("" for all kinds).
func (s *Store) EachState(ctx context.Context, kind string, fn func(*changeset.State) error) error {
	prefix := spaceState
	if kind != "" {
		prefix += kind + ":"
	}
	return s.scan(ctx, []byte(prefix), func(_, v []byte) error {
		st, err := changeset.DecodeState(bytes.Clone(v)) // v is Badger's until fn returns; st may outlive it
		if err != nil {
			return err
		}
		return fn(st)
	})
}

// EachIndexRow calls fn with every stored index row; v is valid only
// during the call.
func (s *Store) EachIndexRow(ctx context.Context, fn func(kind, id string, v []byte) error) error {
	return s.eachKindID(ctx, spaceIndex, fn)
}

// EachSearchText calls fn with every index row's search text; v is valid
// only during the call.
func (s *Store) EachSearchText(ctx context.Context, fn func(kind, id string, v []byte) error) error {
	return s.eachKindID(ctx, spaceText, fn)
}

func (s *Store) eachKindID(ctx context.Context, space string, fn func(kind, id string, v []byte) error) error {
	return s.scan(ctx, []byte(space), func(k, v []byte) error {
		kind, id, _ := strings.Cut(string(k[len(space):]), ":")
		return fn(kind, id, v)
	})
}

// IndexEntry is an index row and its search text, as PutIndexRows writes them.
type IndexEntry struct {
	Row, Text []byte
}

// PutIndexRows replaces index rows and their texts, used when the row
// format changes and the index is rebuilt from the states.
func (s *Store) PutIndexRows(ctx context.Context, rows map[[2]string]IndexEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkSpace(); err != nil {
		return fmt.Errorf("write index rows: %w", err)
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for k, e := range rows {
		if err := wb.Set(indexKey(k[0], k[1]), e.Row); err != nil {
			return fmt.Errorf("write index rows: %w", classify(err))
		}
		if err := wb.Set(textKey(k[0], k[1]), e.Text); err != nil {
			return fmt.Errorf("write index rows: %w", classify(err))
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("write index rows: %w", classify(err))
	}
	return nil
}

// History returns the operations that made a record, oldest first (by
// clock, device and sequence number), each once.
func (s *Store) History(ctx context.Context, kind, id string) ([]changeset.Op, error) {
	if !validPart(kind) || !validPart(id) {
		return nil, fmt.Errorf("%s %q: %w", kind, id, ErrNotFound)
	}
	var ops []changeset.Op
	err := s.db.View(func(txn *badger.Txn) error {
		refs, err := historyRefs(ctx, txn, kind, id)
		if err != nil {
			return err
		}
		ops = make([]changeset.Op, 0, len(refs))
		for _, r := range refs {
			item, err := txn.Get(opKey(r.device, r.seq))
			if err != nil {
				return fmt.Errorf("history entry without its operation %s/%d: %w", r.device, r.seq, err)
			}
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			op, err := changeset.DecodeOp(v)
			if err != nil {
				return err
			}
			ops = append(ops, *op)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history of %s %s: %w", kind, id, err)
	}
	return ops, nil
}

// historyRefs reads the operations of kind/id's history, its entries' and
// its groups', in key order, each once.
func historyRefs(ctx context.Context, txn *badger.Txn, kind, id string) ([]historyRef, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: historyPrefix(kind, id)})
	defer it.Close()
	prefixLen := len(spaceHistory) + len(kind) + 1
	var refs []historyRef
	grouped := false
	for it.Rewind(); it.Valid(); it.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		item := it.Item()
		_, ref, group, ok := parseHistoryKey(item.Key()[prefixLen:], nil)
		if !ok {
			return nil, fmt.Errorf("damaged history key %q", item.Key())
		}
		grouped = grouped || group
		var err error
		if refs, err = appendRefs(item, ref, group, refs, nil); err != nil {
			return nil, err
		}
	}
	if grouped {
		refs = sortRefs(refs)
	}
	return refs, nil
}

// opsSlab is how many bytes of stored operations Ops copies into one
// allocation.
const opsSlab = 32 << 10

// Ops calls fn with device's operations after seq, in sequence order: what a
// sync pushes, and what a bundle carries. fn may keep the operations.
//
// A push reads every operation this way, so it is kept lean: values are
// read where the iterator holds them (an operation is far below the value
// threshold, so no prefetch copy is needed) and copied into slabs shared
// by the operations, which alias them, instead of one allocation each; the
// strings that recur from operation to operation (device, kind, action,
// author, field names) are shared (changeset.OpDecoder) rather than
// allocated for each. A slab lives as long as any operation cut from it.
func (s *Store) Ops(ctx context.Context, device string, after uint64, fn func(*changeset.Op) error) error {
	prefix := opPrefix(device)
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		var dec changeset.OpDecoder
		var slab []byte
		for it.Seek(opKey(device, after+1)); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			op := &changeset.Op{}
			err := it.Item().Value(func(v []byte) error {
				if len(slab)+len(v) > cap(slab) {
					slab = make([]byte, 0, max(opsSlab, len(v)))
				}
				start := len(slab)
				slab = append(slab, v...)
				return dec.DecodeInto(slab[start:len(slab):len(slab)], op)
			})
			if err != nil {
				return fmt.Errorf("read operation of %s: %w", device, err)
			}
			if err := fn(op); err != nil {
				return err
			}
		}
		return nil
	})
}

// EncodedOps is Ops with each operation's fields left in their storage
// encoding (changeset.EncodedOp): what a push writes to its body, without
// a map made for each operation's fields. e is valid until fn returns;
// the encoding it aliases (a slab, as Ops's) lives on after it.
func (s *Store) EncodedOps(ctx context.Context, device string, after uint64, fn func(e *changeset.EncodedOp) error) error {
	prefix := opPrefix(device)
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		var dec changeset.OpDecoder
		var slab []byte
		var e changeset.EncodedOp
		for it.Seek(opKey(device, after+1)); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			err := it.Item().Value(func(v []byte) error {
				if len(slab)+len(v) > cap(slab) {
					slab = make([]byte, 0, max(opsSlab, len(v)))
				}
				start := len(slab)
				slab = append(slab, v...)
				return dec.DecodeHead(slab[start:len(slab):len(slab)], &e)
			})
			if err != nil {
				return fmt.Errorf("read operation of %s: %w", device, err)
			}
			if err := fn(&e); err != nil {
				return err
			}
		}
		return nil
	})
}

// EachHeld calls fn with every held operation (see Write.Hold); v is
// valid only during the call.
func (s *Store) EachHeld(ctx context.Context, fn func(key string, v []byte) error) error {
	return s.scan(ctx, []byte(spaceHeld), func(k, v []byte) error { return fn(string(k[len(spaceHeld):]), v) })
}

// CountHeld counts the held operations, reading keys only.
func (s *Store) CountHeld(ctx context.Context) (int, error) {
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(spaceHeld)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// Op returns one operation by its device and sequence number.
func (s *Store) Op(ctx context.Context, device string, seq uint64) (*changeset.Op, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !validPart(device) {
		return nil, fmt.Errorf("operation %s/%d: %w", device, seq, ErrNotFound)
	}
	var op *changeset.Op
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(opKey(device, seq))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		op, err = changeset.DecodeOp(v)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("operation %s/%d: %w", device, seq, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read operation %s/%d: %w", device, seq, err)
	}
	return op, nil
}

// Conflicts calls fn with every open conflict.
func (s *Store) Conflicts(ctx context.Context, fn func(changeset.Conflict) error) error {
	return s.scan(ctx, []byte(spaceConflict), func(_, v []byte) error {
		var c changeset.Conflict
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("damaged conflict: %w", err)
		}
		return fn(c)
	})
}

// Meta returns a meta value, or ErrNotFound.
func (s *Store) Meta(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(metaKey(name))
		if err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("meta %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("meta %s: %w", name, err)
	}
	return out, nil
}

// SetMeta writes meta values durably in one transaction.
func (s *Store) SetMeta(ctx context.Context, values map[string][]byte) error {
	return s.Commit(ctx, nil, values)
}

func (s *Store) scan(ctx context.Context, prefix []byte, fn func(k, v []byte) error) error {
	return s.db.View(func(txn *badger.Txn) error { return badgerdb.Scan(ctx, txn, prefix, fn) })
}

// Backup streams every key of the store, in Badger's backup format, to w.
// The stream is plaintext: callers must encrypt it (package backup does).
func (s *Store) Backup(ctx context.Context, w io.Writer) error {
	stream := s.db.NewStream()
	stream.LogPrefix = "backup"
	if _, err := stream.Backup(w, 0); err != nil {
		return fmt.Errorf("backup: %w", classify(err))
	}
	return ctx.Err()
}

// Restore creates the store in dir from a Backup stream, then brings it to
// this release's format as Open does: a backup of an older release is
// migrated, one of a newer release refused with a *NewerFormatError (the
// directory then holds what was loaded: the caller removes it). The store
// is closed when Restore returns; Open it to use it.
func Restore(ctx context.Context, dir string, key []byte, r io.Reader, o Options) error {
	s, err := open(ctx, dir, key, o, true)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer s.Close()
	// Nothing written yet: the backup's own stamp, or its lack (format 0),
	// is what Prepare finds.
	if err := s.db.Load(r, 64); err != nil {
		return fmt.Errorf("restore: %w", classify(err))
	}
	if err := storeFormat.Prepare(ctx, s.db, o.Logger); err != nil {
		return fmt.Errorf("restore: %w", classify(err))
	}
	return ctx.Err()
}

// Sync forces everything written so far to disk.
func (s *Store) Sync() error { return s.db.Sync() }

// Settle waits until Badger has nothing left to compact (no level over
// its target: what a store in daily use looks like, its writes compacted
// long ago), polling every poll, or until ctx ends. A benchmark calls it
// between writing a large store and timing what reads it, so that the
// compactions the writing left behind are not counted in what is timed.
func (s *Store) Settle(ctx context.Context, poll time.Duration) error {
	quiet := 0
	for quiet < 3 { // three polls in a row: a compaction may be starting
		if s.compacting() {
			quiet = 0
		} else {
			quiet++
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("settle the store: %w", ctx.Err())
		case <-time.After(poll):
		}
	}
	return nil
}

// compacting says whether a level of the store is over its target, that
// is, whether Badger's compactors have work.
func (s *Store) compacting() bool {
	for _, l := range s.db.Levels() {
		if l.Score >= 1 {
			return true
		}
	}
	return false
}
