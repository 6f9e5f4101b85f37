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
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/badgerdb"
	"github.com/kenesh/kenesh/shared/changeset"
)

var (
	// ErrNotFound is returned for a device, record or value that is not there.
	ErrNotFound = errors.New("not found")
	// ErrDiskFull is returned when a write was refused or failed for lack of
	// space; nothing of that write was made.
	ErrDiskFull = errors.New("the server's disk is (nearly) full: free some space; nothing acknowledged was lost, and this write was not made")
	// ErrLocked is returned when another process has the store open.
	ErrLocked = errors.New("the data directory is in use by another kenesh-syncserver process")
	// ErrTxnTooBig is returned when one transaction holds more than Badger
	// takes at once; nothing of it was written. Callers split their work.
	ErrTxnTooBig = errors.New("too much for one transaction")
	// ErrNotEmpty is returned by Restore for a directory that holds data.
	ErrNotEmpty = errors.New("the data directory is not empty: restore only into a new or empty directory")
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

// Store is the server's open Badger store. Its methods are safe for
// concurrent use; Update transactions that touch the same keys are retried
// by Badger's conflict detection, and the log itself is written by one
// writer at a time (package ingest holds that lock).
type Store struct {
	db      *badger.DB
	dir     string
	minFree uint64
}

// Open opens (or creates) the store in dataDir/db.
func Open(ctx context.Context, dataDir string, o Options) (*Store, error) {
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
	s := &Store{dir: path, minFree: o.MinFree}
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
	s.db = db
	return s, nil
}

// options are moderate: a server is not a 4 GB laptop, but it is often a
// small VPS shared with a reverse proxy. 32 MiB memtables let one
// transaction hold about 4.8 MiB (15% of a memtable): a push of
// syncproto.MaxPushOps operations commits in one or two. Badger's memory
// while it takes a large push is mostly its memtables and the buffers its
// table builders pool; measured taking one laptop's 500,000 operations
// (syncbench), smaller memtables and tables (16 MiB, 512 KiB) lowered the
// peak from 1,081 to about 850 MiB but cost 10-30% more CPU, so they were
// not kept (what did lower it, from 1,626 MiB, is GOGC=50, which
// kenesh-syncserver serve sets). The block cache (64 MiB) and index cache
// (32 MiB) keep recent log pages and states hot for pulls, which read the
// newest operations, without Badger's 256 MiB default. Two compactors
// match two cores. Values over 1 MiB go to the value log.
func options(path string, o Options) badger.Options {
	opts := badger.DefaultOptions(path).
		// Every commit is fsynced before the laptop is told "acknowledged".
		WithSyncWrites(true).
		WithMemTableSize(32 << 20).
		WithNumMemtables(3).
		WithBlockCacheSize(64 << 20).
		WithIndexCacheSize(32 << 20).
		WithValueLogFileSize(256 << 20).
		WithNumCompactors(2).
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

func isEmptyDir(path string) bool {
	entries, err := os.ReadDir(path)
	return err == nil && len(entries) == 0
}

// Close flushes and closes the store.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// checkSpace refuses to go on when the disk is nearly full (see DefaultMinFree).
func (s *Store) checkSpace() error {
	free, err := badgerdb.FreeBytes(s.dir)
	if err != nil {
		return nil // unknown: let the write itself tell
	}
	if free < s.minFree {
		return fmt.Errorf("%w (%d MiB free, %d MiB kept in reserve)", ErrDiskFull, free>>20, s.minFree>>20)
	}
	return nil
}

// classify turns a full disk into ErrDiskFull.
func classify(err error) error {
	if badgerdb.IsNoSpace(err) {
		return fmt.Errorf("%w (%v)", ErrDiskFull, err)
	}
	return err
}

// Update runs fn in one read-write transaction and commits it durably
// (fsynced) before returning: all of fn's writes are made, or none. fn may
// run more than once (when a concurrent transaction changed what it read),
// so it must not have effects outside the transaction. A transaction over
// Badger's size limit fails with ErrTxnTooBig and writes nothing.
func (s *Store) Update(ctx context.Context, fn func(*Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkSpace(); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err := s.db.Update(func(t *badger.Txn) error { return fn(&Txn{t: t}) })
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

// View runs fn in a read-only snapshot.
func (s *Store) View(ctx context.Context, fn func(*Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(t *badger.Txn) error { return fn(&Txn{t: t}) })
}

// Txn is one transaction. Values returned by its getters are copies.
type Txn struct{ t *badger.Txn }

func (x *Txn) get(key []byte) ([]byte, bool, error) {
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

func (x *Txn) getJSON(key []byte, v any) (bool, error) {
	b, ok, err := x.get(key)
	if !ok || err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("damaged value under %q: %w", key, err)
	}
	return true, nil
}

func (x *Txn) set(key, value []byte) error {
	if err := x.t.Set(key, value); err != nil {
		if errors.Is(err, badger.ErrTxnTooBig) {
			return fmt.Errorf("%w: %v", ErrTxnTooBig, err)
		}
		return err
	}
	return nil
}

func (x *Txn) setJSON(key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return x.set(key, b)
}

// Meta returns a meta value; ok is false when it is not set.
func (x *Txn) Meta(name string) (v []byte, ok bool, err error) { return x.get(metaKey(name)) }

// SetMeta sets a meta value.
func (x *Txn) SetMeta(name string, v []byte) error { return x.set(metaKey(name), v) }

// MetaUint returns a counter kept in meta (0 when unset).
func (x *Txn) MetaUint(name string) (uint64, error) {
	b, _, err := x.get(metaKey(name))
	return u64(b), err
}

// SetMetaUint sets a counter kept in meta.
func (x *Txn) SetMetaUint(name string, n uint64) error { return x.set(metaKey(name), be(n)) }

// Meta names used by the server.
const (
	MetaServerID     = "server_id"     // identifies this server to laptops
	MetaServerDevice = "server_device" // the device id of the server's own operations
	MetaServerSeq    = "server_seq"    // the last seq of the server's own operations
	MetaHead         = "head"          // the last server sequence number given to an operation
	MetaClock        = "clock"         // the server's hybrid clock, for its own operations
)

// OpEntry is what the server knows of one judged operation of a device:
// enough to tell a resend of the same operation from another one under the
// same (device, seq), and to repeat a refusal.
type OpEntry struct {
	ServerSeq uint64 `json:"s,omitempty"` // 0 when refused
	HLC       uint64 `json:"t"`
	Kind      string `json:"k"`
	Record    string `json:"r"`
	Code      string `json:"x,omitempty"` // refusal code
	Message   string `json:"m,omitempty"` // refusal message
}

// Refused is a refused operation kept for audit.
type Refused struct {
	Op      json.RawMessage `json:"op"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	At      time.Time       `json:"at"`
}

// Acked returns the highest judged seq of device (0 if none).
func (x *Txn) Acked(dev string) (uint64, error) {
	b, _, err := x.get(ackedKey(dev))
	return u64(b), err
}

// Authored reports whether the server holds any judged operation of
// device id (accepted or refused).
func (x *Txn) Authored(id string) (bool, error) {
	if !ValidPart(id) {
		return false, nil
	}
	if _, ok, err := x.get(ackedKey(id)); ok || err != nil {
		return ok, err
	}
	it := x.t.NewIterator(badger.IteratorOptions{Prefix: []byte(spaceDevOp + id + ":"), PrefetchValues: false})
	defer it.Close()
	it.Rewind()
	return it.Valid(), nil
}

// SetAcked sets the highest judged seq of device.
func (x *Txn) SetAcked(dev string, seq uint64) error { return x.set(ackedKey(dev), be(seq)) }

// DevOp returns the judged operation (dev, seq), or nil.
func (x *Txn) DevOp(dev string, seq uint64) (*OpEntry, error) {
	b, ok, err := x.get(devOpKey(dev, seq))
	if !ok || err != nil {
		return nil, err
	}
	e, err := decodeOpEntry(b)
	if err != nil {
		return nil, fmt.Errorf("judgement of %s/%d: %w", dev, seq, err)
	}
	return e, nil
}

// PutDevOp records the judgement of operation (dev, seq).
func (x *Txn) PutDevOp(dev string, seq uint64, e OpEntry) error {
	return x.set(devOpKey(dev, seq), e.appendBinary(nil))
}

// PutRefused keeps a refused operation for audit.
func (x *Txn) PutRefused(dev string, seq uint64, r Refused) error {
	return x.setJSON(refusedKey(dev, seq), r)
}

// State returns a record's merged state, or nil.
func (x *Txn) State(kind, id string) (*changeset.State, error) {
	if !ValidPart(kind) || !ValidPart(id) {
		return nil, nil
	}
	b, ok, err := x.get(stateKey(kind, id))
	if !ok || err != nil {
		return nil, err
	}
	return changeset.DecodeState(b)
}

// PutState writes a record's merged state.
func (x *Txn) PutState(st *changeset.State) error {
	if !ValidPart(st.Kind) || !ValidPart(st.ID) {
		return fmt.Errorf("%w: bad record key %q/%q", changeset.ErrInvalidOp, st.Kind, st.ID)
	}
	b, err := st.AppendBinary(nil)
	if err != nil {
		return err
	}
	return x.set(stateKey(st.Kind, st.ID), b)
}

// PutConflict keeps a concurrent write for a person to resolve.
func (x *Txn) PutConflict(c changeset.Conflict) error {
	return x.setJSON(conflictKey(c.Kind, c.Record, c.Field, uint64(c.Loser.HLC), c.Loser.Device), c)
}

// Index says which pull index an operation goes to.
type Index struct {
	Global  bool   // every device reads it
	Council string // the council whose devices read it ("" with Global)
}

// Append writes operation op under server sequence number seq, and its
// pull index entry.
func (x *Txn) Append(seq uint64, op *changeset.Op, ix Index) error {
	b, err := op.AppendBinary(nil)
	if err != nil {
		return err
	}
	if err := x.set(logKey(seq), b); err != nil {
		return err
	}
	switch {
	case ix.Global:
		return x.set(globalKey(seq), []byte(op.Device))
	case ValidPart(ix.Council):
		return x.set(pullKey(ix.Council, seq), []byte(op.Device))
	}
	return nil // only devices that read everything see it
}

// Device returns an enrolled device (without acked and last seen), or nil.
func (x *Txn) Device(id string) (*Device, error) {
	if !ValidPart(id) {
		return nil, nil
	}
	var r deviceRec
	ok, err := x.getJSON(deviceKey(id), &r)
	if !ok || err != nil {
		return nil, err
	}
	d := r.Device
	d.tokenHash = r.TokenHash
	return &d, nil
}

// PutDevice writes a device; SetToken binds its token.
func (x *Txn) PutDevice(d *Device) error {
	r := deviceRec{Device: *d, TokenHash: d.tokenHash}
	r.Acked, r.LastSeen = 0, nil
	return x.setJSON(deviceKey(d.ID), r)
}

// SetToken binds a token hash to device d, replacing its previous token.
func (x *Txn) SetToken(d *Device, sum [32]byte) error {
	if len(d.tokenHash) == 32 {
		if err := x.t.Delete(tokenKey([32]byte(d.tokenHash))); err != nil {
			return err
		}
	}
	d.tokenHash = sum[:]
	return x.set(tokenKey(sum), []byte(d.ID))
}

// TokenDevice returns the device id bound to a token hash ("" if none).
func (x *Txn) TokenDevice(sum [32]byte) (string, error) {
	b, _, err := x.get(tokenKey(sum))
	return string(b), err
}

// Code returns an enrollment code by its hash, or nil.
func (x *Txn) Code(sum [32]byte) (*Code, error) {
	var c Code
	ok, err := x.getJSON(codeKey(sum), &c)
	if !ok || err != nil {
		return nil, err
	}
	return &c, nil
}

// PutCode writes an enrollment code under its hash.
func (x *Txn) PutCode(sum [32]byte, c *Code) error { return x.setJSON(codeKey(sum), c) }

// Device is an enrolled laptop (or other client).
type Device struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`                  // given by the administrator with the code
	DeviceName string     `json:"device_name,omitempty"` // the laptop's own name, sent when enrolling
	Council    string     `json:"council"`
	Role       string     `json:"role"`
	Enrolled   time.Time  `json:"enrolled"`
	LastSeen   *time.Time `json:"last_seen"`
	Revoked    bool       `json:"revoked"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Acked      uint64     `json:"acked"`

	tokenHash []byte
}

type deviceRec struct {
	Device
	TokenHash []byte `json:"token_hash,omitempty"`
}

// Code is an enrollment code: only its SHA-256 is the key.
type Code struct {
	// Device, if set, is the one device id the code enrolls: a code to
	// re-bind an enrolled laptop (reinstalled, its token lost). A code
	// without it enrolls only a device id new to the server.
	Device  string     `json:"device,omitempty"`
	Council string     `json:"council,omitempty"`
	Role    string     `json:"role"`
	Name    string     `json:"name"`
	Created time.Time  `json:"created"`
	Expires time.Time  `json:"expires"`
	UsedBy  string     `json:"used_by,omitempty"`
	UsedAt  *time.Time `json:"used_at,omitempty"`
}

// DeviceByToken returns the device a token hash belongs to, with its
// acked seq, or ErrNotFound.
func (s *Store) DeviceByToken(ctx context.Context, sum [32]byte) (*Device, error) {
	var d *Device
	err := s.View(ctx, func(x *Txn) error {
		id, err := x.TokenDevice(sum)
		if err != nil || id == "" {
			return err
		}
		d, err = x.Device(id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	if d == nil {
		return nil, ErrNotFound
	}
	return d, nil
}

// Devices returns every enrolled device, with its acked seq and the last
// time it synced as stored (see SetSeen), ordered by enrollment.
func (s *Store) Devices(ctx context.Context) ([]Device, error) {
	out := []Device{}
	err := s.View(ctx, func(x *Txn) error {
		it := x.t.NewIterator(badger.IteratorOptions{Prefix: []byte(spaceDevice), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var r deviceRec
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
				return fmt.Errorf("damaged device: %w", err)
			}
			d := r.Device
			var err error
			if d.Acked, err = x.Acked(d.ID); err != nil {
				return err
			}
			b, ok, err := x.get(seenKey(d.ID))
			if err != nil {
				return err
			}
			if ok {
				t := time.UnixMilli(int64(u64(b))).UTC()
				d.LastSeen = &t
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	sortDevices(out)
	return out, nil
}

// SetSeen records when devices last synced. It is called in batches (at
// most about once a minute), not per request.
func (s *Store) SetSeen(ctx context.Context, seen map[string]time.Time) error {
	if len(seen) == 0 {
		return nil
	}
	return s.Update(ctx, func(x *Txn) error {
		for id, t := range seen {
			if !ValidPart(id) {
				continue
			}
			if err := x.set(seenKey(id), be(uint64(t.UnixMilli()))); err != nil {
				return err
			}
		}
		return nil
	})
}

// Head returns the last server sequence number given.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	var n uint64
	err := s.View(ctx, func(x *Txn) (err error) { n, err = x.MetaUint(MetaHead); return err })
	return n, err
}

// State returns a record's merged state, or ErrNotFound.
func (s *Store) State(ctx context.Context, kind, id string) (*changeset.State, error) {
	var st *changeset.State
	err := s.View(ctx, func(x *Txn) (err error) { st, err = x.State(kind, id); return err })
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", kind, id, err)
	}
	if st == nil {
		return nil, fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
	}
	return st, nil
}

// EachState calls fn with every record state of kind ("" for all).
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

// Log calls fn with every logged operation after seq, in server order.
func (s *Store) Log(ctx context.Context, after uint64, fn func(seq uint64, op *changeset.Op) error) error {
	return s.View(ctx, func(x *Txn) error {
		it := x.t.NewIterator(badger.IteratorOptions{Prefix: []byte(spaceLog), PrefetchValues: true, PrefetchSize: 64})
		defer it.Close()
		for it.Seek(logKey(after + 1)); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			seq := u64(it.Item().Key()[len(spaceLog):])
			op, err := changeset.DecodeOp(v)
			if err != nil {
				return fmt.Errorf("log entry %d: %w", seq, err)
			}
			if err := fn(seq, op); err != nil {
				return err
			}
		}
		return nil
	})
}

// Conflicts calls fn with every conflict the merge kept.
func (s *Store) Conflicts(ctx context.Context, fn func(changeset.Conflict) error) error {
	return s.scan(ctx, []byte(spaceConflict), func(_, v []byte) error {
		var c changeset.Conflict
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("damaged conflict: %w", err)
		}
		return fn(c)
	})
}

// Refusals calls fn with every refused operation of device, in seq order.
func (s *Store) Refusals(ctx context.Context, dev string, fn func(seq uint64, r Refused) error) error {
	prefix := spaceRefused + dev + ":"
	return s.scan(ctx, []byte(prefix), func(k, v []byte) error {
		var r Refused
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("damaged refusal: %w", err)
		}
		return fn(u64(k[len(prefix):]), r)
	})
}

// CountDevices counts active and revoked devices.
func (s *Store) CountDevices(ctx context.Context) (active, revoked int, err error) {
	err = s.scan(ctx, []byte(spaceDevice), func(_, v []byte) error {
		var r deviceRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.Revoked {
			revoked++
		} else {
			active++
		}
		return nil
	})
	return active, revoked, err
}

func (s *Store) scan(ctx context.Context, prefix []byte, fn func(k, v []byte) error) error {
	return s.View(ctx, func(x *Txn) error { return badgerdb.Scan(ctx, x.t, prefix, fn) })
}

// Backup streams a consistent snapshot of every key, in Badger's backup
// format, to w. It runs while the server serves: writes after the snapshot
// are not in it.
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
// exist or be empty. On failure it removes what it wrote, leaving dataDir
// empty again.
func Restore(ctx context.Context, dataDir string, r io.Reader, o Options) (err error) {
	entries, err := os.ReadDir(dataDir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("restore: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("restore into %s: %w", dataDir, ErrNotEmpty)
	}
	s, err := Open(ctx, dataDir, o)
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
	if err := s.db.Load(r, 64); err != nil {
		return fmt.Errorf("restore: %w", classify(err))
	}
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return ctx.Err()
}
