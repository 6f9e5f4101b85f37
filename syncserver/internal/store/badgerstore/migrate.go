package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// batchLog is the migration from format 1 to 2: the log, the pull indexes
// and the judgements, an entry per operation, become batches (batch.go).
// Each transaction turns a run of old entries into one batch and deletes
// them, so the store is whole after every commit (an operation is in the
// old layout or in the new, never in both or neither) and a migration cut
// short goes on from what is left at the next open. The sequence numbers
// do not change: every cursor a laptop holds stays valid.
func batchLog(ctx context.Context, db *badger.DB) error {
	for _, m := range []rebatch{
		{old: spaceLog, contiguous: true, write: func(_ string, seqs []uint64, vals [][]byte) ([]byte, []byte, error) {
			return logBatchKey(seqs[len(seqs)-1]), appendBatch(nil, vals), nil
		}},
		{old: spaceGlobal, write: indexBatch(spaceGlobalIx)},
		{old: spacePull, grouped: true, write: func(council string, seqs []uint64, vals [][]byte) ([]byte, []byte, error) {
			return indexBatch(pullIxPrefix(council))("", seqs, vals)
		}},
		{old: spaceDevOp, grouped: true, contiguous: true, write: func(dev string, seqs []uint64, vals [][]byte) ([]byte, []byte, error) {
			entries := make([][]byte, len(vals))
			for i, v := range vals {
				e, err := decodeOpEntry(v) // JSON from older stores, or binary
				if err != nil {
					return nil, nil, fmt.Errorf("judgement of %s/%d: %w", dev, seqs[i], err)
				}
				entries[i] = e.appendBinary(nil)
			}
			return seqKey(judgedPrefix(dev), seqs[len(seqs)-1]), appendBatch(nil, entries), nil
		}},
	} {
		if err := m.run(ctx, db); err != nil {
			return fmt.Errorf("%s entries: %w", m.old, err)
		}
	}
	return nil
}

func indexBatch(prefix string) func(string, []uint64, [][]byte) ([]byte, []byte, error) {
	return func(_ string, seqs []uint64, vals [][]byte) ([]byte, []byte, error) {
		entries := make([]ixEntry, len(seqs))
		for i := range seqs {
			entries[i] = ixEntry{seq: seqs[i], author: string(vals[i])}
			if len(vals[i]) == 0 {
				return nil, nil, fmt.Errorf("pull index entry %d without its author", seqs[i])
			}
		}
		return seqKey(prefix, seqs[len(seqs)-1]), appendIndex(nil, entries), nil
	}
}

// rebatch moves one old key space (PREFIX[GROUP:]SEQ) into batches.
type rebatch struct {
	old        string
	grouped    bool // keys name a group (council, device) before the seq: a batch holds one group
	contiguous bool // a batch holds consecutive seqs only
	// write makes the batch of one group's run of entries.
	write func(group string, seqs []uint64, vals [][]byte) (key, val []byte, err error)
}

// Batch sizes: as a push's (2,000 operations), and small enough for one
// transaction of the smallest memtables (halved when it is not).
const (
	migrateOps   = 2000
	migrateBytes = 1 << 20
)

func (m rebatch) run(ctx context.Context, db *badger.DB) error {
	from := []byte(m.old) // entries before it are migrated: seeking past their deletions is not quadratic
	limit := migrateOps
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var next []byte
		done := false
		err := db.Update(func(t *badger.Txn) error {
			group, seqs, vals, keys, err := m.collect(t, from, limit)
			if err != nil || len(keys) == 0 {
				done = err == nil
				return err
			}
			key, val, err := m.write(group, seqs, vals)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := t.Delete(k); err != nil {
					return err
				}
			}
			if err := t.Set(key, val); err != nil {
				return err
			}
			next = append(bytes.Clone(keys[len(keys)-1]), 0)
			return nil
		})
		switch {
		case errors.Is(err, badger.ErrTxnTooBig) && limit > 1:
			limit /= 2
			continue
		case err != nil:
			return err
		case done:
			return nil
		}
		from = next
	}
}

// collect reads the next run of entries from from on: one group's, in seq
// order, consecutive if it must be, at most limit and about migrateBytes.
func (m rebatch) collect(t *badger.Txn, from []byte, limit int) (group string, seqs []uint64, vals, keys [][]byte, err error) {
	it := t.NewIterator(badger.IteratorOptions{Prefix: []byte(m.old), PrefetchValues: true, PrefetchSize: 100})
	defer it.Close()
	size := 0
	for it.Seek(from); it.Valid() && len(keys) < limit && size < migrateBytes; it.Next() {
		k := it.Item().KeyCopy(nil)
		g, seq := "", u64(k[len(m.old):])
		if m.grouped {
			if g, seq, err = splitSeq(k[len(m.old):]); err != nil {
				return "", nil, nil, nil, err
			}
		}
		if len(keys) > 0 && (g != group || m.contiguous && seq != seqs[len(seqs)-1]+1) {
			break
		}
		if seq == 0 || len(seqs) > 0 && seq <= seqs[len(seqs)-1] {
			return "", nil, nil, nil, fmt.Errorf("damaged key %q", k)
		}
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return "", nil, nil, nil, err
		}
		group = g
		seqs, vals, keys = append(seqs, seq), append(vals, v), append(keys, k)
		size += len(v)
	}
	return group, seqs, vals, keys, nil
}
