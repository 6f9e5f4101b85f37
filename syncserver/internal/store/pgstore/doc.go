// Package pgstore is the server's storage contract (package store) on
// PostgreSQL 15 or newer, through pgx: the engine for a deployment that
// runs several stateless kenesh-syncserver processes on one database.
//
// # Schema
//
// The schema is versioned in the repository (migrations/NNNN_name.sql,
// embedded): Open applies those the database lacks, in order, each in its
// own transaction with its row in schema_version, under an advisory lock
// so that processes starting together migrate once. A database whose
// schema is newer than the binary knows is refused, never used. The tables
// (see migrations/) follow the contract's concerns: the directory
// (devices, tokens, codes, seen), the log (log, refusals, acked, and the
// one row of log_state), states and conflicts, the public projection and
// which appeals each of its versions changed (public_changes, kept by
// triggers, so that a process of an older release still serving during a
// rolling upgrade cannot change the projection unseen), and the account
// of file chunks (chunks, chunk_usage).
//
// # Server sequence and pull order across processes
//
// A pull's promise is that once its cursor passed a sequence number, no
// operation with that number or a lower one can appear. With several
// writers this is the hard part: a number taken by one transaction may
// commit after a higher one taken by another, and a puller that read the
// higher one in between would skip the lower for ever.
//
// This engine makes commit order equal sequence order. Every Append begins
// by locking the single row of log_state (SELECT ... FOR UPDATE), which
// holds the head of the log, and keeps the lock until its commit; the next
// Append, in this process or any other, waits on that row, and PostgreSQL
// releases a transaction's row locks only once its commit is visible to
// new snapshots. So the next Append reads the head the last one left,
// numbers follow it, and every snapshot holds a gap-free prefix 1..head of
// the log: a pull reads the head and the log in one REPEATABLE READ
// snapshot and never scans past that head. Appends run in READ COMMITTED,
// so that each statement after the lock sees what the previous Append
// committed (a REPEATABLE READ snapshot would be taken before the wait).
//
// The price is that appends are one at a time across the deployment, as
// they are within one Badger process; what runs in parallel is everything
// else (decoding, authentication, pulls, the public register). The
// alternative, numbers given freely (a sequence) with a "visible up to"
// watermark that pulls stop at, lets appends overlap but needs a tracker
// of numbers in flight that survives a crashed process; the batched log
// (below) shortens the locked section instead.
//
// # The batched log
//
// The log keeps a row per change set, not per operation (migration 0006,
// which converted the rows of the old layout): a row holds consecutive
// operations of one device that go to one pull index, with consecutive
// server seqs (first..last) and device seqs (up to dlast), at most
// maxRowOps of them, in a bytea[] of their storage encodings. Every
// operation is kept and found by its server seq (the row whose last is
// the first at or above it) and by its (device, seq) (the device's row
// whose dlast is the first at or above it); a change set splits into more
// rows only where its pull index changes or its device's seqs jump over a
// refused operation. A push of 2,000 operations is one row and three
// b-tree entries, where it was 2,000 rows and 6,000 entries; each record's
// state is written once per group of appends, whatever the number of its
// operations. A pull reads rows in order and takes the slice of each that
// it wants (pull.go), so a cursor in the middle of a row costs no more
// than the operations it reads. Processes of a release before 0006 must
// not serve a migrated database: their appends fail (the ops table is
// gone), and laptops send again to a process of the new one.
//
// Appends waiting in one process are committed together (group.go): one
// of them takes the lock and runs every waiting function in turn in its
// transaction, each still all or nothing (what a function that failed
// wrote is undone before the next runs), and one WAL flush commits them
// all. Many laptops syncing at once thus cost far fewer commits than
// syncs, on every process.
//
// Nothing correctness needs is kept in a process's memory: the head, the
// next number, the acknowledgements, the server's clock and the
// projection's version are rows, read under the lock. What a process does
// keep is which devices are about to append (ackhint.go), so that a group
// reads their acknowledgements with the lock in one round trip rather than
// one each inside it; the values are still read under the lock. And it
// keeps the devices its laptops' tokens name, only while it listens for
// the notification every write of a device or a token sends
// (tokencache.go): a revocation made through another process is seen
// within the notification's delivery, and a process that lost its
// listening connection asks the database again.
//
// # Transactions
//
// View, ReadLog, ReadPublic and Pull run in a REPEATABLE READ, read-only
// snapshot; a ReadLog that reads once is that one statement, without a
// transaction of its own, and one that reads again begins its snapshot
// with its second read and checks its first there (readlog.go). Update runs SERIALIZABLE and is retried on a serialization
// failure. An Append keeps its writes in memory, where its own reads find
// them, and sends them in one batch just before it commits: the rows of a
// push of a thousand operations cost one round trip, not a thousand. The
// records a change set names are read in one round trip too
// (store.Prefetcher).
//
// # Values
//
// Names (device ids, kinds, record ids, councils) are text compared byte
// by byte (COLLATE "C"); operations and states are kept in the storage
// encoding of package changeset (bytea), as the embedded engine keeps
// them; other values are JSON in bytea. Times are timestamptz, to the
// microsecond.
package pgstore
