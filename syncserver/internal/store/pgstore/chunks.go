package pgstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

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
	rows, err := s.pool.Query(ctx, `SELECT sum, size FROM chunks WHERE owner = $1 AND sum = ANY($2) AND condemned IS NULL`, owner, keys)
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

// AddChunk implements store.Chunks.
func (s *Store) AddChunk(ctx context.Context, owner string, sum [32]byte, size, quota int64, gen uint64) (bool, error) {
	added, err := s.AddChunks(ctx, owner, []store.NewChunk{{Sum: sum, Size: size, Gen: gen}}, quota)
	return len(added) == 1 && added[0], err
}

// AddChunks implements store.Chunks: the owner's usage row is locked
// (made first if it is new) until the commit, so adds for one owner, from
// any process, are one at a time and never pass the quota together; the
// rows of the chunks' blobs are locked too, in the order of their sums
// (as ReleaseChunks locks them, so that neither waits on the other in a
// circle), which ReleaseChunks and ReleaseBlob lock before they give a
// blob up.
func (s *Store) AddChunks(ctx context.Context, owner string, chunks []store.NewChunk, quota int64) ([]bool, error) {
	if err := checkOwner(owner); err != nil {
		return nil, err
	}
	for _, c := range chunks {
		if c.Size <= 0 || c.Size > domain.MaxChunkSize {
			return nil, fmt.Errorf("chunk %x of %d bytes: 1 to %d allowed", c.Sum[:6], c.Size, domain.MaxChunkSize)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var added []bool
	var refused error
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		added, refused = added[:0], nil
		if _, err := tx.Exec(ctx, `INSERT INTO chunk_usage (owner, chunks, bytes) VALUES ($1, 0, 0) ON CONFLICT (owner) DO NOTHING`, owner); err != nil {
			return err
		}
		var u store.ChunkUsage
		if err := tx.QueryRow(ctx, `SELECT chunks, bytes FROM chunk_usage WHERE owner = $1 FOR UPDATE`, owner).Scan(&u.Chunks, &u.Bytes); err != nil {
			return err
		}
		sums := make([][32]byte, len(chunks))
		for i, c := range chunks {
			sums[i] = c.Sum
		}
		keys := sumKeys(sums)
		if _, err := tx.Exec(ctx, `INSERT INTO chunk_blobs (sum) SELECT unnest($1::bytea[]) ON CONFLICT (sum) DO NOTHING`, keys); err != nil {
			return err
		}
		blobs := map[[32]byte]store.BlobState{}
		rows, err := tx.Query(ctx, `SELECT sum, gen, dying FROM chunk_blobs WHERE sum = ANY($1) ORDER BY sum FOR UPDATE`, keys)
		if err != nil {
			return err
		}
		var sum []byte
		var b store.BlobState
		var dying *time.Time
		if _, err := pgx.ForEachRow(rows, []any{&sum, &b.Gen, &dying}, func() error {
			b.Dying = time.Time{}
			if dying != nil {
				b.Dying = dying.UTC()
			}
			blobs[[32]byte(sum)] = b
			return nil
		}); err != nil {
			return err
		}
		held := map[[32]byte]*time.Time{}
		rows, err = tx.Query(ctx, `SELECT sum, condemned FROM chunks WHERE owner = $1 AND sum = ANY($2)`, owner, keys)
		if err != nil {
			return err
		}
		if _, err := pgx.ForEachRow(rows, []any{&sum, &dying}, func() error {
			held[[32]byte(sum)] = dying
			return nil
		}); err != nil {
			return err
		}
		var pardon [][]byte
		var add []store.NewChunk
		start := u
		for _, c := range chunks {
			if condemned, ok := held[c.Sum]; ok {
				if condemned != nil {
					pardon = append(pardon, c.Sum[:])
					held[c.Sum] = nil
				}
				added = append(added, condemned != nil)
				continue
			}
			b := blobs[c.Sum]
			if b.Gen != c.Gen || !b.Dying.IsZero() {
				refused = fmt.Errorf("%w: chunk %x is at generation %d (dying: %v), the put read %d", store.ErrBlobChanged, c.Sum[:6], b.Gen, !b.Dying.IsZero(), c.Gen)
				break
			}
			if quota > 0 && u.Bytes+c.Size > quota {
				refused = fmt.Errorf("%w: %s holds %d bytes of files, the chunk is %d, the quota %d", store.ErrQuota, owner, u.Bytes, c.Size, quota)
				break
			}
			u.Chunks++
			u.Bytes += c.Size
			held[c.Sum] = nil
			add = append(add, c)
			added = append(added, true)
		}
		bt := &pgx.Batch{}
		if len(pardon) > 0 {
			bt.Queue(`UPDATE chunks SET condemned = NULL WHERE owner = $1 AND sum = ANY($2)`, owner, pardon)
		}
		for _, c := range add {
			bt.Queue(`INSERT INTO chunks (owner, sum, size) VALUES ($1, $2, $3)`, owner, c.Sum[:], c.Size)
		}
		if u != start {
			bt.Queue(`UPDATE chunk_usage SET chunks = $2, bytes = $3 WHERE owner = $1`, owner, u.Chunks, u.Bytes)
		}
		if bt.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, bt).Close()
	})
	if err != nil {
		return nil, fmt.Errorf("add chunks for %s: %w", owner, classify(err))
	}
	return added, refused
}

// lockBlob locks the row of a chunk's blob (made if it is new) until the
// transaction ends, and returns its state.
func lockBlob(ctx context.Context, tx pgx.Tx, sum [32]byte) (store.BlobState, error) {
	var b store.BlobState
	if _, err := tx.Exec(ctx, `INSERT INTO chunk_blobs (sum) VALUES ($1) ON CONFLICT (sum) DO NOTHING`, sum[:]); err != nil {
		return b, err
	}
	var dying *time.Time
	if err := tx.QueryRow(ctx, `SELECT gen, dying FROM chunk_blobs WHERE sum = $1 FOR UPDATE`, sum[:]).Scan(&b.Gen, &dying); err != nil {
		return b, err
	}
	if dying != nil {
		b.Dying = dying.UTC()
	}
	return b, nil
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
func (s *Store) EachChunk(ctx context.Context, owner string, fn func(store.ChunkHold) error) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT sum, size, condemned FROM chunks WHERE owner = $1 ORDER BY sum`, owner)
	if err != nil {
		return fmt.Errorf("chunks of %s: %w", owner, err)
	}
	var sum []byte
	var size int64
	var condemned *time.Time
	_, err = pgx.ForEachRow(rows, []any{&sum, &size, &condemned}, func() error {
		if len(sum) != 32 {
			return fmt.Errorf("damaged chunk sum %x", sum)
		}
		h := store.ChunkHold{Sum: [32]byte(sum), Size: size}
		if condemned != nil {
			h.Condemned = condemned.UTC()
		}
		return fn(h)
	})
	return err
}

func sumKeys(sums [][32]byte) [][]byte {
	keys := make([][]byte, len(sums))
	for i := range sums {
		keys[i] = sums[i][:]
	}
	return keys
}

// ChunkBlob implements store.Chunks.
func (s *Store) ChunkBlob(ctx context.Context, sum [32]byte) (store.BlobState, error) {
	var b store.BlobState
	var dying *time.Time
	err := s.pool.QueryRow(ctx, `SELECT gen, dying FROM chunk_blobs WHERE sum = $1`, sum[:]).Scan(&b.Gen, &dying)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, nil
	}
	if err != nil {
		return b, fmt.Errorf("chunk %x: %w", sum[:6], err)
	}
	if dying != nil {
		b.Dying = dying.UTC()
	}
	return b, nil
}

// CondemnChunks implements store.Chunks.
func (s *Store) CondemnChunks(ctx context.Context, owner string, sums [][32]byte, at time.Time) (int, error) {
	if err := checkOwner(owner); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE chunks SET condemned = $3 WHERE owner = $1 AND sum = ANY($2) AND condemned IS NULL`, owner, sumKeys(sums), at)
	if err != nil {
		return 0, fmt.Errorf("condemn chunks of %s: %w", owner, err)
	}
	return int(tag.RowsAffected()), nil
}

// PardonChunks implements store.Chunks.
func (s *Store) PardonChunks(ctx context.Context, owner string, sums [][32]byte) (int, error) {
	if err := checkOwner(owner); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE chunks SET condemned = NULL WHERE owner = $1 AND sum = ANY($2) AND condemned IS NOT NULL`, owner, sumKeys(sums))
	if err != nil {
		return 0, fmt.Errorf("pardon chunks of %s: %w", owner, err)
	}
	return int(tag.RowsAffected()), nil
}

// ReleaseChunks implements store.Chunks: under the lock of the owner's
// usage row (as AddChunk), then the rows of the blobs in the order of
// their sums (as AddChunk and ReleaseBlob lock one), so that no two of
// them wait on each other.
func (s *Store) ReleaseChunks(ctx context.Context, owner string, sums [][32]byte, condemnedBefore, at time.Time) (store.Released, error) {
	var out store.Released
	if err := checkOwner(owner); err != nil {
		return out, err
	}
	if len(sums) == 0 {
		return out, nil
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		out = store.Released{}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT chunks FROM chunk_usage WHERE owner = $1 FOR UPDATE`, owner).Scan(&n); errors.Is(err, pgx.ErrNoRows) {
			return nil // holds nothing
		} else if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `DELETE FROM chunks WHERE owner = $1 AND sum = ANY($2) AND condemned IS NOT NULL AND condemned <= $3 RETURNING sum, size`,
			owner, sumKeys(sums), condemnedBefore)
		if err != nil {
			return err
		}
		var gone [][]byte
		var sum []byte
		var size int64
		if _, err := pgx.ForEachRow(rows, []any{&sum, &size}, func() error {
			gone = append(gone, append([]byte(nil), sum...))
			out.Chunks++
			out.Bytes += size
			return nil
		}); err != nil {
			return err
		}
		if out.Chunks == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE chunk_usage SET chunks = chunks - $2, bytes = bytes - $3 WHERE owner = $1`, owner, out.Chunks, out.Bytes); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO chunk_blobs (sum) SELECT unnest($1::bytea[]) ON CONFLICT (sum) DO NOTHING`, gone); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM chunk_blobs WHERE sum = ANY($1) ORDER BY sum FOR UPDATE`, gone); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `UPDATE chunk_blobs b SET gen = gen + 1, dying = $2
			WHERE b.sum = ANY($1) AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.sum = b.sum) RETURNING b.sum, b.gen`, gone, at)
		if err != nil {
			return err
		}
		var gen uint64
		_, err = pgx.ForEachRow(rows, []any{&sum, &gen}, func() error {
			if len(sum) != 32 {
				return fmt.Errorf("damaged chunk sum %x", sum)
			}
			out.Blobs = append(out.Blobs, store.DyingBlob{Sum: [32]byte(sum), Gen: gen})
			return nil
		})
		return err
	})
	if err != nil {
		return store.Released{}, fmt.Errorf("release chunks of %s: %w", owner, err)
	}
	slices.SortFunc(out.Blobs, func(a, b store.DyingBlob) int { return bytes.Compare(a.Sum[:], b.Sum[:]) })
	return out, nil
}

// ReleaseBlob implements store.Chunks.
func (s *Store) ReleaseBlob(ctx context.Context, sum [32]byte, at time.Time) (uint64, bool, error) {
	var gen uint64
	var ok bool
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		gen, ok = 0, false
		b, err := lockBlob(ctx, tx, sum)
		if err != nil || !b.Dying.IsZero() {
			return err
		}
		var held bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM chunks WHERE sum = $1)`, sum[:]).Scan(&held); err != nil || held {
			return err
		}
		gen, ok = b.Gen+1, true
		_, err = tx.Exec(ctx, `UPDATE chunk_blobs SET gen = $2, dying = $3 WHERE sum = $1`, sum[:], gen, at)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("release the blob of chunk %x: %w", sum[:6], err)
	}
	return gen, ok, nil
}

// BlobGone implements store.Chunks.
func (s *Store) BlobGone(ctx context.Context, sum [32]byte, gen uint64) error {
	if _, err := s.pool.Exec(ctx, `UPDATE chunk_blobs SET dying = NULL WHERE sum = $1 AND gen = $2`, sum[:], gen); err != nil {
		return fmt.Errorf("chunk %x: %w", sum[:6], err)
	}
	return nil
}

// EachDyingBlob implements store.Chunks.
func (s *Store) EachDyingBlob(ctx context.Context, fn func(sum [32]byte, b store.BlobState) error) error {
	rows, err := s.pool.Query(ctx, `SELECT sum, gen, dying FROM chunk_blobs WHERE dying IS NOT NULL ORDER BY sum`)
	if err != nil {
		return fmt.Errorf("dying blobs: %w", err)
	}
	var sum []byte
	var b store.BlobState
	var dying time.Time
	_, err = pgx.ForEachRow(rows, []any{&sum, &b.Gen, &dying}, func() error {
		if len(sum) != 32 {
			return fmt.Errorf("damaged chunk sum %x", sum)
		}
		b.Dying = dying.UTC()
		return fn([32]byte(sum), b)
	})
	return err
}
