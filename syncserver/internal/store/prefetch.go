package store

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
