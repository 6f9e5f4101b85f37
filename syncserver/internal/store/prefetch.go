package store

import (
	"context"

	"github.com/kenesh/kenesh/shared/changeset"
)

// Prefetcher is an optional extra of a LogTx, found by type assertion: an
// engine whose every read is a round trip to a database server (pgstore)
// reads at once what an Append is about to ask, one record at a time, of
// the records a change set names: their states and, for appeals, what
// the public projection holds of them. It changes nothing of what reads
// return (they still see the transaction's own writes); an Append that
// never calls it is as correct, and an engine that reads locally
// (Badger) does not have it.
type Prefetcher interface {
	Prefetch(records []RecordKey) error
}

// RecordKey names a record.
type RecordKey struct{ Kind, ID string }

// KeyedAppender is an optional extra of a Store, found by type assertion:
// Append, told beforehand the records fn is about to read (a change set's,
// which fn then asks a Prefetcher for) and the device whose operations it
// judges (whose acknowledgement it reads first, to check their sequence;
// "": none), so that an engine whose reads are round trips reads them for
// a whole group of appends at once, in the round trip that takes the log
// (pgstore), rather than one round trip per append while the log is held.
// The keys and the device are a hint: fn may read others, and what it
// reads is the same either way.
type KeyedAppender interface {
	AppendKeyed(ctx context.Context, dev string, keys []RecordKey, fn func(LogTx) error) error
}

// EncodedAccepter is an optional extra of a LogTx, found by type
// assertion: Accept of an operation whose storage encoding
// (changeset.Op.AppendBinary) was made beforehand, outside the Append and
// its lock (ingest encodes a change set's operations before the device's
// turn), by an engine that keeps those bytes (badgerstore). enc must be
// op.AppendBinary(nil) exactly; the engine may keep it until the Append
// returns. Accept is as correct.
type EncodedAccepter interface {
	AcceptEncoded(op *changeset.Op, enc []byte, ix Index) (seq uint64, err error)
}

// EntryPreparer is an optional extra of a Store, found by type assertion:
// the log entry of operations whose storage encodings were made beforehand
// (EncodedAccepter), made from those encodings outside the Append, where
// neither the device's turn nor the log's writer waits for it (badgerstore
// compresses a change set's entry, 0.29 s of the server's CPU in a
// 100,000-record push, all of it inside the turns). An Append's function
// hands it to its LogTx (EntryUser) before it accepts anything; the engine
// uses it as that function's log entry only when the function accepted
// exactly those encodings, in order, each by AcceptEncoded, and makes the
// entry itself otherwise (an operation refused, a change set split over
// transactions, one judged again): a function that never hands one over,
// or hands over one of other encodings, is as correct.
type EntryPreparer interface {
	PrepareEntry(encs [][]byte) PreparedEntry
}

// PreparedEntry is what an EntryPreparer made, for that engine's LogTx.
type PreparedEntry any

// EntryUser is an optional extra of a LogTx: see EntryPreparer.
type EntryUser interface {
	UseEntry(PreparedEntry)
}

// StatesAhead is an optional extra of a Store, found by type assertion:
// it reads the states of records before an Append that will read them,
// outside the log's turn (ingest: a change set's records, before its
// device's turn, while the change set before it is judged and
// committed), so that the Append's LogTx gives them (AheadReader) instead
// of reading and decoding them while the log is held. What it read is
// given only if it is still what the log's last commit left; otherwise
// the state is read as State reads it. It may read none of them (nil).
type StatesAhead interface {
	StatesAhead(ctx context.Context, records []RecordKey) Ahead
}

// Ahead is what a StatesAhead read, for the LogTxs of the same store.
// It is used by one Append at a time.
type Ahead any

// AheadReader is an optional extra of the LogTx of a store with
// StatesAhead.
type AheadReader interface {
	// StateAhead is State(kind, id), from what a (nil: nothing) read
	// when that is still current. Each state a holds is given once (the
	// caller may change it; the function of an Append may run again),
	// later reads of it read the store.
	StateAhead(a Ahead, kind, id string) (*changeset.State, error)
}

// EncodedStates is an optional extra of the LogTx of a store with
// StatesAhead, found by type assertion: a state read ahead given as its
// storage encoding (changeset.State.AppendBinary's form), not decoded, and
// a state put as such an encoding, so that a judge may merge an operation
// into the encoding itself (changeset.MergeEncoded; ingest does for a
// council's appeal updates, policy.HeaderOnly) instead of decoding the
// whole state and encoding it again (a third of a spread backlog's server
// CPU: BENCHMARKS.md, issue 15, spread9 and spread10). An engine without
// it (pgstore, which reads no states ahead) gives every state decoded
// (StateAhead, State) and has it put by PutState: the same states, by the
// decoded path. badgerstore implements it; storetest's EncodedStates
// case checks it.
type EncodedStates interface {
	// EncodedStateAhead is the encoding of the state StateAhead would
	// give for kind and id, when it would give it from what a read (it
	// is still what the log's last commit left, and this transaction has
	// not put one); false leaves the record to StateAhead and State. As
	// with StateAhead, each is given once. The bytes are the store's:
	// the caller reads them and never changes them; they stay valid
	// until the Append returns.
	EncodedStateAhead(a Ahead, kind, id string) ([]byte, bool)
	// PutEncodedState is PutState of the state encoded in enc, which
	// must be what AppendBinary writes for it (MergeEncoded's output
	// is). The store copies enc: the caller may reuse it once this
	// returns. Later reads of the record in this transaction read it.
	PutEncodedState(kind, id string, enc []byte) error
}

// QueuedAppender is an optional extra of a Store, found by type assertion:
// Append, calling queued once the Append has its place in the queue of
// this process's log writer, before it runs. Every Append of this process
// queued after that point runs after it (in a later group, or later in
// the same transaction) and sees what it wrote if it committed. queued is
// called at most once,
// in the caller's goroutine, before AppendQueued returns; not at all when
// the Append leaves before it is queued (its context ended). ingest gives
// up a device's turn there, so that the device's next change set is
// judged in the same group of appends or the next one, instead of waiting
// for this one's commit and its syncs (badgerstore).
type QueuedAppender interface {
	AppendQueued(ctx context.Context, fn func(LogTx) error, queued func()) error
}

// AppendGroupCounter is an optional extra of a Store, found by type
// assertion: how many groups of appends (transactions that commit one or
// more change sets together) this process has run since it opened the
// store. Served as a metric, so that a benchmark or an operator can see
// whether the change sets of a push share commits (requests per group).
type AppendGroupCounter interface {
	AppendGroups() int64
}
