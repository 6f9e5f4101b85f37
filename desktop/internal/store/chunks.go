package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// PutChunks stores content chunks under their SHA-256, durably, in one
// transaction. A chunk already present is not written again: content is
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
