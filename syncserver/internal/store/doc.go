// Package store is the sync server's storage contract: what the server
// keeps and what every storage engine guarantees about it. Engines live
// beneath it (badgerstore, the embedded default; pgstore, PostgreSQL, for
// several server processes on one database) and all pass the same
// conformance suite (storetest).
//
// # What is kept
//
//   - the server's identity (its id, and the device id of its own operations);
//   - the directory: enrolled devices, the hashes of their tokens, enrollment
//     codes (by hash), when each device last synced;
//   - the public projection: published appeals and councils as the public
//     may see them (an allow-listed copy, never the records), and the
//     tracking of web submissions by the hash of their codes;
//   - the account of file chunks: which chunks each owner (a council, or
//     the materials') has sent, and their count and bytes (Chunks); their
//     content is in a blob store apart;
//   - the operation log: every accepted operation under a server sequence
//     number, indexed for pull by council (or as global), and a judgement of
//     every operation a device pushed, accepted or refused, by (device, seq);
//     refused operations as they came, for audit; the clock of the server's
//     own operations;
//   - record states (the merge of their operations) and the conflicts the
//     merge kept. Councils are records like the others (kind "council"):
//     the server's own operations, made by an administrator, in the log,
//     and their states, which enrollment reads to check a council exists.
//
// # Who decides what
//
// The store assigns server sequence numbers, not its callers: LogTx.Accept
// gives an accepted operation the next one. It also keeps (device, seq) an
// exact, gap-free count: Accept and Refuse take a device's operations only
// in order, each one more than the last judged (Acked), so an operation is
// judged once, whichever request, process or machine brings it again.
// Judging (validation, authorization, merge) is the caller's (package
// ingest); the store keeps what was decided, atomically.
//
// # Ordering: pulls never skip
//
// A pull reads the log after a cursor. Its promise is that once a page's
// cursor has passed a sequence number, no operation with that number or a
// lower one ever appears: sequence numbers become visible in order, without
// gaps that fill later. An engine with one writing process (Badger, which
// locks its directory) keeps one Append at a time and commits it before the
// next takes a number. An engine with several server processes on one
// database must do the same across processes: take the numbers under a
// lock held until commit (pgstore locks a row), or give numbers freely and
// let a pull stop before the lowest one still in flight. storetest's cases
// of several processes (Suite.Second) check it. Nothing a server process keeps in memory is needed for
// any of this: the lock, the head of the log, the next sequence number and
// the server's clock are the store's.
//
// # Transactions
//
// View, Update, ReadLog and Append run a function inside one transaction,
// and every engine makes them serializable: what the function read is still
// so when its writes commit, or the engine runs it again. The function may
// therefore run more than once and must have no effect outside the
// transaction. Its error is returned as it is (errors.Is and errors.As
// see it) and nothing of the transaction is written.
//
// # Room for what comes next
//
// The contract is interfaces by concern (Directory, Log, States), joined in
// Store; a new concern is a new small interface in Store and new cases in
// the suite, not a change to these:
//
//   - A batched log (one entry per change set, issue 15) is an engine's
//     layout, not the contract's: Accept returns the sequence number at
//     once and may write at commit, judgements may be kept a change set
//     per entry, and a record's state is put once per transaction already
//     (ingest merges a change set's operations first). badgerstore keeps
//     it so (its format 2).
//   - The public register (issue 13) reads a projection that ingest writes
//     in the same Append as the publication that makes it (Public to read,
//     ProjectionTx in LogTx to write): published appeals and councils as
//     the public may see them, and the tracking of web submissions, bound
//     to the hashes of their codes. A web submission itself is a record of
//     the log (an operation of the server's own device for its council),
//     so it reaches the council's laptops by pull like any record. An
//     engine may also say which appeals each version of the projection
//     changed (PublicChangeReader, optional: badgerstore and pgstore
//     do), so that the register follows a publication by reading that
//     appeal, not all 20,000.
//   - Merging states apart from acknowledging operations (issue 15's
//     spread backlog) is an Append that only puts states, fed by EachOp.
//   - File chunks (issue 14) go to a blob store of their own (a directory,
//     an S3-compatible store); this store keeps which chunks a record
//     names, in the operations that name them, and the account of which
//     chunks each council (or the materials' owner) has sent and what
//     they add up to (Chunks), which the quotas and the rule that no
//     device learns of a chunk by its hash alone read.
//   - Backup is an optional extra (Backuper): an engine a database server
//     backs up with its own tools (pg_dump) does not implement it.
//   - Judging on a state's storage encoding (issue 15's spread backlog)
//     is an optional extra of a LogTx (EncodedStates: a state read ahead
//     given as its encoding, EncodedStateAhead, and a merged encoding put
//     as it is, PutEncodedState), for an engine that reads states ahead
//     (StatesAhead). An engine without it (pgstore) gets every state
//     decoded (State, StateAhead) and put by PutState: the same states by
//     the decoded path. storetest's EncodedStates case checks it.
package store
