package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/badgerdb"
)

// PutChunks stores content chunks under their SHA-256, durably, in one
// transaction (encrypted at rest, as everything in the store). A chunk already present is not written again: content is
// stored once however many attachments share it. Chunks written for a save
// that then fails stay behind unreferenced, which wastes space but loses
// nothing.
func (s *Store) PutChunks(ctx context.Context, chunks [][]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkSpace(); err != nil {
		return fmt.Errorf("store file: %w", err)
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		for _, c := range chunks {
			k := chunkKey(sha256.Sum256(c))
			if _, err := txn.Get(k); err == nil {
				continue
			} else if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			if err := txn.Set(k, c); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, badger.ErrTxnTooBig) {
		return fmt.Errorf("store file: %w", ErrTooBig)
	}
	if err != nil {
		return fmt.Errorf("store file: %w", classify(err))
	}
	return nil
}

// FreeBytes is the space free for this user on the store's disk
// (math.MaxUint64 for a store in memory): what the files check before
// fetching more, so that downloads leave the records room.
func (s *Store) FreeBytes() (uint64, error) {
	if s.dir == "" {
		return math.MaxUint64, nil
	}
	free, err := badgerdb.FreeBytes(s.dir)
	if err != nil {
		return 0, fmt.Errorf("free space of %s: %w", s.dir, err)
	}
	return free, nil
}

// Chunk returns the chunk with the given SHA-256, checked against it.
func (s *Store) Chunk(ctx context.Context, sum [32]byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(chunkKey(sum))
		if err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("chunk %x: %w", sum[:6], ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("chunk %x: %w", sum[:6], err)
	}
	if sha256.Sum256(out) != sum {
		return nil, fmt.Errorf("chunk %x is damaged (its content does not match its hash)", sum[:6])
	}
	return out, nil
}

// HasChunks reports which of sums the store holds, without reading them.
func (s *Store) HasChunks(ctx context.Context, sums [][32]byte) (map[[32]byte]bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[[32]byte]bool, len(sums))
	err := s.db.View(func(txn *badger.Txn) error {
		for _, sum := range sums {
			_, err := txn.Get(chunkKey(sum))
			switch {
			case err == nil:
				out[sum] = true
			case !errors.Is(err, badger.ErrKeyNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chunks: %w", err)
	}
	return out, nil
}

// FileMarks returns the values of the files' bookkeeping under names (a
// name absent: none), from one snapshot.
func (s *Store) FileMarks(ctx context.Context, names []string) (map[string][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(names))
	err := s.db.View(func(txn *badger.Txn) error {
		for _, n := range names {
			item, err := txn.Get(filesKey(n))
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if out[n], err = item.ValueCopy(nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return out, nil
}

// SetFileMarks writes the files' bookkeeping durably in one transaction:
// each name to its value, or removed when the value is nil.
func (s *Store) SetFileMarks(ctx context.Context, marks map[string][]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkSpace(); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		for n, v := range marks {
			var err error
			if v == nil {
				err = txn.Delete(filesKey(n))
			} else {
				err = txn.Set(filesKey(n), v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, badger.ErrTxnTooBig) {
		return fmt.Errorf("files: %w", ErrTooBig)
	}
	if err != nil {
		return fmt.Errorf("files: %w", classify(err))
	}
	return nil
}

// EachFileMark calls fn with every name of the files' bookkeeping under
// prefix and its value (valid only during the call).
func (s *Store) EachFileMark(ctx context.Context, prefix string, fn func(name string, v []byte) error) error {
	return s.scan(ctx, filesKey(prefix), func(k, v []byte) error { return fn(string(k[len(spaceFiles):]), v) })
}

// EachChunk calls fn with the sum and stored size of every chunk the
// store holds, from one snapshot, without reading them.
func (s *Store) EachChunk(ctx context.Context, fn func(sum [32]byte, size int64) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	prefix := []byte(spaceChunk)
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := it.Item().Key()
			if len(k) != len(prefix)+32 {
				continue
			}
			if err := fn([32]byte(k[len(prefix):]), it.Item().ValueSize()); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteChunks removes chunks, durably, a thousand to a transaction (a
// chunk not held is no error), and then gives their room on disk back
// (ReclaimSpace). A full disk does not stop it: it makes room.
func (s *Store) DeleteChunks(ctx context.Context, sums [][32]byte) error {
	for len(sums) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		part := sums[:min(len(sums), 1000)]
		sums = sums[len(part):]
		err := s.db.Update(func(txn *badger.Txn) error {
			for _, sum := range part {
				if err := txn.Delete(chunkKey(sum)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("delete chunks: %w", classify(err))
		}
	}
	s.ReclaimSpace()
	return nil
}

// ReclaimSpace rewrites the value-log files that are mostly what was
// deleted (chunks live there, over Badger's value threshold), until none
// is, so that their room on disk comes back. Badger learns what a file
// holds of deleted values as its tables are compacted: room freed now may
// come back at a later call.
func (s *Store) ReclaimSpace() {
	for {
		if err := s.db.RunValueLogGC(0.5); err != nil {
			return // badger.ErrNoRewrite: nothing more to gain now
		}
	}
}
