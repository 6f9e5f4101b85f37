package store

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

var (
	// ErrNotFound is returned for a device, record or value that is not there.
	ErrNotFound = errors.New("not found")
	// ErrDiskFull is returned when a write was refused or failed for lack of
	// space; nothing of that write was made.
	ErrDiskFull = errors.New("the server's disk is (nearly) full: free some space; nothing acknowledged was lost, and this write was not made")
	// ErrTxnTooBig is returned when one transaction holds more than the
	// engine takes at once; nothing of it was written. Callers split their
	// work.
	ErrTxnTooBig = errors.New("too much for one transaction")
	// ErrSequence is returned by LogTx.Accept and LogTx.Refuse for an
	// operation (device, seq) that does not follow the last one the store
	// has judged of that device: it was judged already (by a request that
	// came before, perhaps through another server process), or one before
	// it was not. The transaction must not commit; the caller looks again
	// at what the store holds.
	ErrSequence = errors.New("the operation does not follow the last one the server holds of its device")
)

// Store is everything the sync server keeps. Its methods are safe for
// concurrent use, by goroutines of one process and, where the engine
// allows several (PostgreSQL), by several server processes.
type Store interface {
	// Identity returns the server's identity, made at the first call on a
	// new store and the same at every call after, from any process.
	Identity(ctx context.Context) (Identity, error)
	Directory
	Log
	States
	Public
	Chunks
	// Close flushes what is written and releases the store. Nothing may
	// be called after it.
	Close() error
}

// Backuper is an optional extra of a Store, found by type assertion: an
// engine that can write a consistent copy of itself while it serves. An
// engine backed up by its database server's own tools does not have it.
type Backuper interface {
	// Backup streams a consistent snapshot of the whole store to w, in the
	// engine's own format (its restore reads it), while the server
	// serves: writes after the snapshot are not in it.
	Backup(ctx context.Context, w io.Writer) error
}

// Identity is who the server is to laptops.
type Identity struct {
	// ServerID identifies this server (laptops remember which server
	// they enrolled with).
	ServerID string
	// Device is the device id of the server's own operations (councils
	// added by an administrator); no laptop may have it.
	Device string
}

// Directory is who may sync: devices, their tokens, enrollment codes.
type Directory interface {
	// View runs fn in a read-only snapshot.
	View(ctx context.Context, fn func(DirTx) error) error
	// Update runs fn in one serializable read-write transaction, made
	// durable before it returns: all of fn's writes or none. fn may run
	// more than once (see the package doc).
	Update(ctx context.Context, fn func(DirTx) error) error
	// DeviceByToken returns the device a token hash is bound to, or
	// ErrNotFound.
	DeviceByToken(ctx context.Context, sum [32]byte) (*Device, error)
	// Devices returns every enrolled device, revoked ones included, with
	// Acked and LastSeen filled in, ordered by enrollment time then id.
	Devices(ctx context.Context) ([]Device, error)
	// CountDevices counts active and revoked devices.
	CountDevices(ctx context.Context) (active, revoked int, err error)
	// SetSeen records when devices last synced, in one write: each time
	// given replaces the one kept for its device. It is meant for batches
	// (a server writes them about once a minute), not for every request.
	SetSeen(ctx context.Context, seen map[string]time.Time) error
}

// DirTx is one directory transaction. Values it returns are the caller's.
type DirTx interface {
	// Device returns an enrolled device (without Acked and LastSeen), or
	// nil when there is none.
	Device(id string) (*Device, error)
	// PutDevice writes d; its token is bound with SetToken.
	PutDevice(d *Device) error
	// SetToken binds token hash sum to d, unbinding d's previous token
	// (d.TokenHash) at once, and sets d.TokenHash; PutDevice(d) must
	// follow in the same transaction.
	SetToken(d *Device, sum [32]byte) error
	// TokenDevice returns the device id bound to a token hash ("" if none).
	TokenDevice(sum [32]byte) (string, error)
	// Code returns an enrollment code by its hash, or nil.
	Code(sum [32]byte) (*Code, error)
	// PutCode writes an enrollment code under its hash.
	PutCode(sum [32]byte, c *Code) error
	// Authored reports whether the log holds any judged operation of
	// device id, accepted or refused.
	Authored(id string) (bool, error)
}

// Log is the operation log and the judgements of what devices pushed.
type Log interface {
	// ReadLog runs fn in a read-only snapshot of the log and the states.
	ReadLog(ctx context.Context, fn func(LogReader) error) error
	// Append runs fn in one read-write transaction that holds the log:
	// no other Append runs at the same time, in this process or any other,
	// so the sequence numbers Accept gives are committed in order and a
	// pull never passes one that may still appear. It is made durable
	// before it returns: all of fn's writes or none, and the next Append
	// sees them. fn may run more than once (see the package doc).
	Append(ctx context.Context, fn func(LogTx) error) error
	// Head returns the last server sequence number committed (0 for an
	// empty log).
	Head(ctx context.Context) (uint64, error)
	// Pull returns a page of the operations after cursor after that
	// scope sees, except those of device exclude, in server order (see
	// Page for what it promises).
	Pull(ctx context.Context, scope Scope, exclude string, after uint64, lim PullLimits) (*Page, error)
	// EachOp calls fn with every logged operation after seq after, in
	// server order, from one snapshot.
	EachOp(ctx context.Context, after uint64, fn func(seq uint64, op *changeset.Op) error) error
	// Refusals calls fn with every refused operation of device dev, in
	// seq order.
	Refusals(ctx context.Context, dev string, fn func(Refusal) error) error
}

// LogReader reads the log and the states inside a transaction. Inside an
// Append it sees the transaction's own writes.
type LogReader interface {
	// Acked returns the highest seq of device dev the store has judged,
	// accepted or refused (0 if none).
	Acked(dev string) (uint64, error)
	// Judgement returns what was decided of operation (dev, seq), or nil.
	Judgement(dev string, seq uint64) (*Judgement, error)
	// State returns a record's merged state, or nil.
	State(kind, id string) (*changeset.State, error)
}

// LogTx writes the log in an Append, and the public projection with it.
type LogTx interface {
	LogReader
	ProjectionTx
	// Accept logs op under the next server sequence number, which it
	// returns, indexes it for pull as ix says, and records its judgement:
	// (op.Device, op.Seq) accepted as that number. op.Seq must be one more
	// than Acked(op.Device), which it becomes; else ErrSequence, and fn
	// must return it. The store keeps its own copy of op.
	Accept(op *changeset.Op, ix Index) (seq uint64, err error)
	// Refuse records that operation (r.Device, r.Seq) was refused: its
	// judgement, so that a resend is told again, and r for audit, its Op
	// as CutRefusedOp makes it (whole up to MaxRefusedOp bytes, else a
	// bounded summary). r.Seq follows Acked(r.Device) as with Accept.
	Refuse(r Refusal) error
	// PutState writes a record's merged state, replacing the one kept;
	// its Kind and ID name it (both valid syncproto names). Put each
	// record once per transaction: an engine may write every put.
	PutState(st *changeset.State) error
	// PutConflict keeps a concurrent write for a person to resolve;
	// putting the same conflict again changes nothing.
	PutConflict(c changeset.Conflict) error
	// Clock returns the newest timestamp given to one of the server's own
	// operations (0 on a new store); SetClock keeps the one just given,
	// so that the next, from whichever process, orders after it.
	Clock() (hlc.Timestamp, error)
	SetClock(t hlc.Timestamp) error
}

// States are the records as merged by the log.
type States interface {
	// State returns a record's merged state, or ErrNotFound.
	State(ctx context.Context, kind, id string) (*changeset.State, error)
	// EachState calls fn with every record state of kind ("" for all),
	// from one snapshot.
	EachState(ctx context.Context, kind string, fn func(*changeset.State) error) error
	// Conflicts calls fn with every conflict the merge kept.
	Conflicts(ctx context.Context, fn func(changeset.Conflict) error) error
}
