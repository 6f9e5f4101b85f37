package badgerstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/badgerdb"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

var (
	// ErrLocked is returned when another process has the store open.
	ErrLocked = errors.New("the data directory is in use by another kenesh-syncserver process")
	// ErrNotEmpty is returned by Restore for a directory that holds data.
	ErrNotEmpty = errors.New("the data directory is not empty: restore only into a new or empty directory")
)

// The contract's errors, as this package returns them.
var (
	ErrNotFound  = store.ErrNotFound
	ErrDiskFull  = store.ErrDiskFull
	ErrTxnTooBig = store.ErrTxnTooBig
)

// DataDir is the Badger directory inside the server's data directory; the
// control socket sits beside it.
const DataDir = "db"

// Options tune the store.
type Options struct {
	// Logger receives Badger's warnings and errors; nil discards them.
	Logger *slog.Logger
	// MinFree is the disk space (bytes) a write leaves free; below it,
	// opening and writing fail with ErrDiskFull. 0 means DefaultMinFree.
	MinFree uint64
	// Small uses laptop-sized memtables and caches: tests, where many
	// stores are open at once, and tiny machines.
	Small bool
	// Key encrypts the store at rest (AES-256, Badger's encryption): every
	// table, value log and write-ahead log. A plaintext store from an
	// older server is encrypted when it is opened with a key. nil opens a
	// plaintext store (tests of this package only).
	Key []byte
	// PageOut is how often the pages of the store's files that Badger
	// maps are handed back to the kernel (pageout_linux.go): 0 means
	// DefaultPageOut, a negative interval never.
	PageOut time.Duration

	// valueThreshold, if set, sends values from this size on to Badger's
	// value log (BenchmarkFloor's batched log).
	valueThreshold int64
}

// DefaultMinFree is the reserve kept free on the disk. Badger writes its
// tables through memory maps: on a full disk it dies with SIGBUS instead of
// returning an error. Refusing a little before the disk is full turns that
// into an error an operator can act on, and the laptop simply retries later.
// It covers two memtables, level-0 tables and a compaction's output.
const DefaultMinFree = 256 << 20

// DefaultPageOut is how often the pages of the store's files that Badger
// maps are handed back to the kernel: within a second of being written,
// which keeps them out of the server's resident size through a push.
const DefaultPageOut = 250 * time.Millisecond

// Store is the server's open Badger store, a store.Store. Its methods are
// safe for concurrent use. Badger locks its directory, so one process has
// it open: the log's single writer is this Store's queue of Appends, run
// in groups in arrival order (group.go); one whose context ends while it
// waits leaves the queue.
type Store struct {
	db      *badger.DB
	dir     string
	minFree uint64

	amu     sync.Mutex   // guards pending and leading
	pending []*appendReq // Appends waiting for the writer, in arrival order
	leading bool         // one of them runs a group (group.go)
	groups  atomic.Int64 // groups of Appends run (for tests)
	// noJoin: Appends queued while a group runs wait for the next group
	// instead of joining it (takeMore). For tests that hold the writer
	// with a function of their own, so that those queued behind it form
	// the group they test.
	noJoin atomic.Bool

	chunks sync.Mutex       // one AddChunk at a time: they share an owner's usage
	tail   store.Tail       // the log's last operations, as pulls decoded them
	tokens store.TokenCache // DeviceByToken's answers since the last write of a device or token
	states stateCache       // the states appends put (statecache.go), some not in Badger yet (dirty.go)
	writer sync.Mutex       // held by a group of appends and by a window of states written (dirty.go)
	logger *slog.Logger

	tracked trackedAppeals // the appeals web submissions' trackings may name (tracked.go)

	pageStop chan struct{} // closed by Close: pageOut stops
	pageDone chan struct{} // closed when pageOut has stopped
}

var (
	_ store.Store    = (*Store)(nil)
	_ store.Backuper = (*Store)(nil)
)

// Open opens (or creates) the store in dataDir/db.
func Open(ctx context.Context, dataDir string, o Options) (*Store, error) {
	return open(ctx, dataDir, o, false)
}

// open is Open; for Restore (restoring), it writes nothing to the new
// store: no format stamp, no states' mark. A key the new store wrote, even
// deleted again, would hide the backup's own (Badger's Load keeps the
// backup's versions, and a newer version of a key wins, a deletion too):
// the mark of a backup taken early in its store's life was so hidden, and
// Restore did not merge the operations after it into the states.
func open(ctx context.Context, dataDir string, o Options, restoring bool) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := filepath.Join(dataDir, DataDir)
	// Before anything is made in its place: an encryption a crash
	// interrupted may have moved the store aside.
	if err := recoverEncryption(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", dataDir, err)
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", classify(err))
	}
	s := &Store{dir: path, minFree: o.MinFree, logger: o.Logger}
	s.states.limit, s.states.createdAge, s.states.groupKept = stateCacheBytes, maxCreatedAge, maxKeptStates
	if o.Small {
		s.states.limit, s.states.groupKept = smallStateCacheBytes, smallKeptStates
	}
	if s.minFree == 0 {
		s.minFree = DefaultMinFree
	}
	if err := s.checkSpace(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", dataDir, err)
	}
	enc, err := encrypted(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dataDir, err)
	}
	switch {
	case enc && len(o.Key) == 0:
		return nil, fmt.Errorf("open store %s: %w", dataDir, ErrNeedKey)
	case !enc && len(o.Key) > 0 && !isEmptyDir(path):
		if err := encryptPlaintext(ctx, path, o); err != nil {
			if badgerdb.IsLocked(err) {
				err = ErrLocked
			}
			return nil, fmt.Errorf("open store %s: %w", dataDir, err)
		}
	}
	db, err := badgerdb.Open(options(path, o))
	switch {
	case badgerdb.IsLocked(err):
		return nil, fmt.Errorf("open store %s: %w", dataDir, ErrLocked)
	case badgerdb.IsWrongKey(err):
		return nil, fmt.Errorf("open store %s: %w", dataDir, ErrWrongKey)
	case err != nil:
		return nil, fmt.Errorf("open store %s: %w", dataDir, classify(err))
	}
	if restoring {
		s.db = db
		s.startPageOut(o.PageOut)
		return s, nil
	}
	// Before anything reads or writes it: a store of an older release is
	// migrated, one of a newer release refused untouched.
	if err := storeFormat.Prepare(ctx, db, o.Logger); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", dataDir, classify(err))
	}
	if err := s.tracked.load(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: trackings: %w", dataDir, classify(err))
	}
	s.db = db
	if err := s.recoverStates(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: states: %w", dataDir, classify(err))
	}
	s.startPageOut(o.PageOut)
	return s, nil
}

// options are moderate: a server is not a 4 GB laptop, but it is often a
// small VPS shared with a reverse proxy. Badger's memory while it takes a
// large push is mostly its memtables and the buffers its table builders
// pool (each grown to what it built, kept by Badger's allocator pool): a
// flush's buffers grow with the memtable. 16 MiB memtables, with level 0
// holding up to 10 tables before it is compacted (stalling writes at 30),
// took the 100,000-record push's peak from 379-383 to 260-269 MiB at about
// the same CPU: its flushes stay in level 0 until the push is over, and
// no compaction runs during it (BENCHMARKS.md, issue 15, mem6 and the
// twelfth idle measurement). A transaction holds 15% of a memtable
// (2.4 MiB); the states a group keeps for a later window have a bound of
// their own (maxKeptStates, log.go), or a spread backlog's change sets
// would not fit one (+43% CPU when they counted against it). Earlier, on
// one laptop's 500,000 operations, 16 MiB memtables with 512 KiB tables
// had cost 10-30% more CPU (the tables' size, and level 0 compacted at
// Badger's 5 tables); GOGC=50, which kenesh-syncserver serve sets, lowered
// that peak from 1,626 MiB. The block cache (64 MiB) and index cache
// (32 MiB) keep recent log pages and states hot for pulls, which read the
// newest operations, without Badger's 256 MiB default. Two compactors
// match two cores. Values from 64 KiB on go to the value log: the log's
// batches (batch.go; a push of 2,000 operations is one entry of about
// 400 KB) are written there once and never compacted, and the memtables
// fill with states and small entries only, which took BenchmarkPush's peak
// from about 415 to 165 MiB at the same CPU per operation. Batches are
// never rewritten, so the value log needs no collection; a record state
// over 64 KiB (none near it in practice) leaves its old copy there.
func options(path string, o Options) badger.Options {
	opts := badger.DefaultOptions(path).
		// Every commit is fsynced before the laptop is told "acknowledged".
		WithSyncWrites(true).
		WithMemTableSize(16 << 20).
		WithNumLevelZeroTables(10).
		WithNumLevelZeroTablesStall(30).
		WithNumMemtables(3).
		WithBlockCacheSize(64 << 20).
		WithIndexCacheSize(32 << 20).
		WithValueLogFileSize(256 << 20).
		WithNumCompactors(2).
		WithValueThreshold(64 << 10).
		WithLogger(badgerdb.Logger{L: o.Logger})
	if o.Small {
		opts = opts.
			WithMemTableSize(8 << 20).
			WithNumMemtables(2).
			WithBlockCacheSize(8 << 20).
			WithIndexCacheSize(8 << 20).
			WithNumLevelZeroTables(2).
			WithNumLevelZeroTablesStall(8).
			WithValueLogFileSize(64 << 20).
			WithBaseTableSize(1 << 20).
			// A transaction holds 15% of a memtable (1.2 MiB here); values
			// from 256 KiB on go to the value log and count a few bytes,
			// so that an operation of syncproto.MaxOpBytes and its
			// record's state still commit.
			WithValueThreshold(256 << 10)
	}
	if o.valueThreshold > 0 {
		opts = opts.WithValueThreshold(o.valueThreshold)
	}
	if len(o.Key) > 0 {
		// Badger needs an index cache with encryption (set above: without
		// one it panics in a background goroutine on reopen).
		opts = opts.WithEncryptionKey(o.Key)
	}
	return opts
}

// startPageOut starts pageOut every interval (0: DefaultPageOut; negative:
// not at all).
func (s *Store) startPageOut(interval time.Duration) {
	if interval == 0 {
		interval = DefaultPageOut
	}
	if interval < 0 {
		return
	}
	// The maps name the files by their absolute paths, links resolved.
	dir, err := filepath.Abs(s.dir)
	if err != nil {
		return
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	s.pageStop, s.pageDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.pageDone)
		pageOut(dir, interval, s.pageStop)
	}()
}

func (s *Store) stopPageOut() {
	if s.pageStop != nil {
		close(s.pageStop)
		<-s.pageDone
		s.pageStop = nil
	}
}

func isEmptyDir(path string) bool {
	entries, err := os.ReadDir(path)
	return err == nil && len(entries) == 0
}

// Close flushes and closes the store.
func (s *Store) Close() error {
	s.stopPageOut()
	if err := s.flushStates(); err != nil {
		s.db.Close()
		return fmt.Errorf("close store: %w", err)
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// checkSpace refuses to go on when the disk is nearly full (see DefaultMinFree).
func (s *Store) checkSpace() error {
	return badgerdb.CheckSpace(s.dir, s.minFree, ErrDiskFull)
}

// classify turns a full disk into ErrDiskFull.
func classify(err error) error { return badgerdb.Classify(err, ErrDiskFull) }

// update runs fn in one read-write transaction and commits it durably
// (fsynced) before returning: all of fn's writes are made, or none. fn may
// run more than once (when a concurrent transaction changed what it read),
// so it must not have effects outside the transaction. A transaction over
// Badger's size limit fails with ErrTxnTooBig and writes nothing; fn's own
// error is returned as it is.
func (s *Store) update(ctx context.Context, fn func(*txn) error) error {
	if err := s.checkSpace(); err != nil {
		return err
	}
	return s.updateFreeing(ctx, fn)
}

// updateFreeing is update without the check of the disk's free space:
// for what gives room back (releasing chunks), which a full disk must not
// stop.
func (s *Store) updateFreeing(ctx context.Context, fn func(*txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// A transaction that wrote a device or a token, committed or not,
	// makes DeviceByToken's kept answers forgotten once it is over.
	var dir bool
	defer func() {
		if dir {
			s.tokens.Forget()
		}
	}()
	for attempt := 0; ; attempt++ {
		err := s.db.Update(func(t *badger.Txn) error {
			x := &txn{t: t}
			err := fn(x)
			dir = dir || x.dir
			return err
		})
		switch {
		case err == nil:
			return nil
		case errors.Is(err, badger.ErrConflict) && attempt < 10:
			continue
		case errors.Is(err, badger.ErrTxnTooBig):
			return fmt.Errorf("%w: %v", ErrTxnTooBig, err)
		}
		return classify(err)
	}
}

// view runs fn in a read-only snapshot.
func (s *Store) view(ctx context.Context, fn func(*txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(t *badger.Txn) error { return fn(&txn{t: t}) })
}

// txn is one Badger transaction. Values returned by its getters are copies.
type txn struct {
	t    *badger.Txn
	size int64 // the bytes of the keys and values set (a group's bound, group.go)
	dir  bool  // a device or a token was set or deleted (the token cache)
}

func (x *txn) get(key []byte) ([]byte, bool, error) {
	item, err := x.t.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v, err := item.ValueCopy(nil)
	return v, err == nil, err
}

func (x *txn) getJSON(key []byte, v any) (bool, error) {
	b, ok, err := x.get(key)
	if !ok || err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("damaged value under %q: %w", key, err)
	}
	return true, nil
}

func (x *txn) set(key, value []byte) error {
	x.size += int64(len(key) + len(value))
	if dirKey(key) {
		x.dir = true
	}
	if err := x.t.Set(key, value); err != nil {
		if errors.Is(err, badger.ErrTxnTooBig) {
			return fmt.Errorf("%w: %v", ErrTxnTooBig, err)
		}
		return err
	}
	return nil
}

func (x *txn) setJSON(key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return x.set(key, b)
}

func (x *txn) metaUint(name string) (uint64, error) {
	b, _, err := x.get(metaKey(name))
	return u64(b), err
}

// Meta names.
const (
	metaServerID     = "server_id"     // identifies this server to laptops
	metaServerDevice = "server_device" // the device id of the server's own operations
	metaHead         = "head"          // the last server sequence number given to an operation
	metaClock        = "clock"         // the server's hybrid clock, for its own operations
	// "server_seq", the last seq of the server's own operations, was
	// written by older servers; the judgements of its device say the same
	// (Acked), and are what is read now.
)

// Identity implements store.Store: the server id and the device id of its
// own operations, made in one transaction at the first call.
func (s *Store) Identity(ctx context.Context) (store.Identity, error) {
	var id store.Identity
	err := s.update(ctx, func(x *txn) error {
		for _, f := range []struct {
			name string
			to   *string
		}{{metaServerID, &id.ServerID}, {metaServerDevice, &id.Device}} {
			v, ok, err := x.get(metaKey(f.name))
			if err != nil {
				return err
			}
			if !ok {
				v = []byte(domain.NewID())
				if err := x.set(metaKey(f.name), v); err != nil {
					return err
				}
			}
			*f.to = string(v)
		}
		return nil
	})
	if err != nil {
		return store.Identity{}, fmt.Errorf("the server's identity: %w", err)
	}
	return id, nil
}

func (s *Store) scan(ctx context.Context, prefix []byte, fn func(k, v []byte) error) error {
	return s.view(ctx, func(x *txn) error { return badgerdb.Scan(ctx, x.t, prefix, fn) })
}

// Backup implements store.Backuper: a consistent snapshot of every key, in
// Badger's backup format (Restore reads it), streamed to w while the server
// serves.
func (s *Store) Backup(ctx context.Context, w io.Writer) error {
	stream := s.db.NewStream()
	stream.LogPrefix = "backup"
	stream.NumGo = 2
	if _, err := stream.Backup(w, 0); err != nil {
		return fmt.Errorf("backup: %w", classify(err))
	}
	return ctx.Err()
}

// Restore loads a Backup stream into a new store in dataDir, which must not
// exist or be empty, and brings it to this release's format as Open does
// (a backup of a newer format is refused with ErrNewerFormat). On failure
// it removes what it wrote, leaving dataDir empty again.
func Restore(ctx context.Context, dataDir string, r io.Reader, o Options) (err error) {
	entries, err := os.ReadDir(dataDir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("restore: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("restore into %s: %w", dataDir, ErrNotEmpty)
	}
	s, err := open(ctx, dataDir, o, true)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer func() {
		if cerr := s.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			os.RemoveAll(filepath.Join(dataDir, DataDir))
		}
	}()
	// The store is empty (open wrote nothing): the backup's own stamp, or
	// its lack (format 0), is what counts: migrated, or refused if newer;
	// and its states' mark, or its lack (a release that wrote every state
	// with its operation): merged up to its head below.
	if err := s.db.Load(r, 64); err != nil {
		return fmt.Errorf("restore: %w", classify(err))
	}
	if err := storeFormat.Prepare(ctx, s.db, o.Logger); err != nil {
		return fmt.Errorf("restore: %w", classify(err))
	}
	if err := s.recoverStates(ctx); err != nil {
		return fmt.Errorf("restore: %w", classify(err))
	}
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return ctx.Err()
}
