package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

var _ store.Chunks = (*Store)(nil)

func checkOwner(owner string) error {
	if !validPart(owner) {
		return fmt.Errorf("chunk owner %.80q is not a valid name", owner)
	}
	return nil
}

// HeldChunks implements store.Chunks.
func (s *Store) HeldChunks(ctx context.Context, owner string, sums [][32]byte) (map[[32]byte]int64, error) {
	if err := checkOwner(owner); err != nil {
		return nil, err
	}
	out := make(map[[32]byte]int64, len(sums))
	if len(sums) == 0 {
		return out, nil
	}
	keys := make([][]byte, len(sums))
	for i := range sums {
		keys[i] = sums[i][:]
	}
	rows, err := s.pool.Query(ctx, `SELECT sum, size FROM chunks WHERE owner = $1 AND sum = ANY($2)`, owner, keys)
	if err != nil {
		return nil, fmt.Errorf("chunks held: %w", err)
	}
	var sum []byte
	var size int64
	_, err = pgx.ForEachRow(rows, []any{&sum, &size}, func() error {
		if len(sum) != 32 {
			return fmt.Errorf("damaged chunk sum %x", sum)
		}
		out[[32]byte(sum)] = size
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chunks held: %w", err)
	}
	return out, nil
}

// AddChunk implements store.Chunks: the owner's usage row is locked (made
// first if it is new) until the commit, so adds for one owner, from any
// process, are one at a time and never pass the quota together.
func (s *Store) AddChunk(ctx context.Context, owner string, sum [32]byte, size, quota int64) (bool, error) {
	if err := checkOwner(owner); err != nil {
		return false, err
	}
	if size <= 0 || size > domain.MaxChunkSize {
		return false, fmt.Errorf("chunk %x of %d bytes: 1 to %d allowed", sum[:6], size, domain.MaxChunkSize)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var added bool
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		added = false
		if _, err := tx.Exec(ctx, `INSERT INTO chunk_usage (owner, chunks, bytes) VALUES ($1, 0, 0) ON CONFLICT (owner) DO NOTHING`, owner); err != nil {
			return err
		}
		var u store.ChunkUsage
		if err := tx.QueryRow(ctx, `SELECT chunks, bytes FROM chunk_usage WHERE owner = $1 FOR UPDATE`, owner).Scan(&u.Chunks, &u.Bytes); err != nil {
			return err
		}
		var held bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM chunks WHERE owner = $1 AND sum = $2)`, owner, sum[:]).Scan(&held); err != nil || held {
			return err
		}
		if quota > 0 && u.Bytes+size > quota {
			return fmt.Errorf("%w: %s holds %d bytes of files, the chunk is %d, the quota %d", store.ErrQuota, owner, u.Bytes, size, quota)
		}
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO chunks (owner, sum, size) VALUES ($1, $2, $3)`, owner, sum[:], size)
		b.Queue(`UPDATE chunk_usage SET chunks = chunks + 1, bytes = bytes + $2 WHERE owner = $1`, owner, size)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		added = true
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrQuota) {
		return false, fmt.Errorf("add chunk %x for %s: %w", sum[:6], owner, classify(err))
	}
	return added, err
}

// ChunkUsage implements store.Chunks.
func (s *Store) ChunkUsage(ctx context.Context, owner string) (store.ChunkUsage, error) {
	var u store.ChunkUsage
	if err := checkOwner(owner); err != nil {
		return u, err
	}
	err := s.pool.QueryRow(ctx, `SELECT chunks, bytes FROM chunk_usage WHERE owner = $1`, owner).Scan(&u.Chunks, &u.Bytes)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ChunkUsage{}, nil
	}
	if err != nil {
		return u, fmt.Errorf("chunk usage of %s: %w", owner, err)
	}
	return u, nil
}

// EachChunkOwner implements store.Chunks.
func (s *Store) EachChunkOwner(ctx context.Context, fn func(owner string, u store.ChunkUsage) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT owner, chunks, bytes FROM chunk_usage WHERE chunks > 0 ORDER BY owner`)
	if err != nil {
		return fmt.Errorf("chunk owners: %w", err)
	}
	var owner string
	var u store.ChunkUsage
	_, err = pgx.ForEachRow(rows, []any{&owner, &u.Chunks, &u.Bytes}, func() error { return fn(owner, u) })
	return err
}

// EachChunk implements store.Chunks.
func (s *Store) EachChunk(ctx context.Context, owner string, fn func(sum [32]byte, size int64) error) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT sum, size FROM chunks WHERE owner = $1 ORDER BY sum`, owner)
	if err != nil {
		return fmt.Errorf("chunks of %s: %w", owner, err)
	}
	var sum []byte
	var size int64
	_, err = pgx.ForEachRow(rows, []any{&sum, &size}, func() error {
		if len(sum) != 32 {
			return fmt.Errorf("damaged chunk sum %x", sum)
		}
		return fn([32]byte(sum), size)
	})
	return err
}
