package badgerstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/kenesh/kenesh/internal/badgerdb"
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
	err := s.view(ctx, func(x *txn) error {
		for _, sum := range sums {
			b, ok, err := x.get(chunkKey(owner, sum))
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			_, condemned, err := x.get(condemnedKey(owner, sum))
			if err != nil {
				return err
			}
			if condemned {
				continue
			}
			out[sum] = int64(u64(b))
		}
		return nil
	})
	return out, err
}

// AddChunk implements store.Chunks.
func (s *Store) AddChunk(ctx context.Context, owner string, sum [32]byte, size, quota int64, gen uint64) (bool, error) {
	added, err := s.AddChunks(ctx, owner, []store.NewChunk{{Sum: sum, Size: size, Gen: gen}}, quota)
	return len(added) == 1 && added[0], err
}

func checkChunks(owner string, chunks []store.NewChunk) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	for _, c := range chunks {
		if c.Size <= 0 || c.Size > domain.MaxChunkSize {
			return fmt.Errorf("chunk %x of %d bytes: 1 to %d allowed", c.Sum[:6], c.Size, domain.MaxChunkSize)
		}
	}
	return nil
}

// AddChunks implements store.Chunks: the chunks' keys and the owner's
// usage in one transaction, one at a time (one process holds the
// directory), so that concurrent puts of a council do not run each other
// out of Badger's conflict retries, and a release (under the same lock)
// comes wholly before or after it.
func (s *Store) AddChunks(ctx context.Context, owner string, chunks []store.NewChunk, quota int64) ([]bool, error) {
	if err := checkChunks(owner, chunks); err != nil {
		return nil, err
	}
	s.chunks.Lock()
	defer s.chunks.Unlock()
	var added []bool
	var refused error
	err := s.update(ctx, func(x *txn) error {
		added, refused = added[:0], nil
		u, err := x.chunkUsage(owner)
		if err != nil {
			return err
		}
		used := u
		for _, c := range chunks {
			ok, err := x.addChunk(owner, c, quota, &u)
			if errors.Is(err, store.ErrQuota) || errors.Is(err, store.ErrBlobChanged) {
				refused = err // what came before it is kept
				break
			}
			if err != nil {
				return err
			}
			added = append(added, ok)
		}
		if u == used {
			return nil
		}
		return x.set(chunkUsageKey(owner), usageValue(u))
	})
	if err != nil {
		return nil, err
	}
	return added, refused
}

// addChunk adds one chunk for owner in the transaction, u its usage.
func (x *txn) addChunk(owner string, c store.NewChunk, quota int64, u *store.ChunkUsage) (bool, error) {
	_, held, err := x.get(chunkKey(owner, c.Sum))
	if err != nil {
		return false, err
	}
	if held {
		_, condemned, err := x.get(condemnedKey(owner, c.Sum))
		if err != nil || !condemned {
			return false, err
		}
		return true, x.t.Delete(condemnedKey(owner, c.Sum))
	}
	b, err := x.blobState(c.Sum)
	if err != nil {
		return false, err
	}
	if b.Gen != c.Gen || !b.Dying.IsZero() {
		return false, fmt.Errorf("%w: chunk %x is at generation %d (dying: %v), the put read %d", store.ErrBlobChanged, c.Sum[:6], b.Gen, !b.Dying.IsZero(), c.Gen)
	}
	if quota > 0 && u.Bytes+c.Size > quota {
		return false, fmt.Errorf("%w: %s holds %d bytes of files, the chunk is %d, the quota %d", store.ErrQuota, owner, u.Bytes, c.Size, quota)
	}
	u.Chunks++
	u.Bytes += c.Size
	return true, x.set(chunkKey(owner, c.Sum), be(uint64(c.Size)))
}

func usageValue(u store.ChunkUsage) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(u.Chunks))
	return binary.BigEndian.AppendUint64(b, uint64(u.Bytes))
}

func readUsage(b []byte) store.ChunkUsage {
	if len(b) != 16 {
		return store.ChunkUsage{}
	}
	return store.ChunkUsage{Chunks: int64(binary.BigEndian.Uint64(b)), Bytes: int64(binary.BigEndian.Uint64(b[8:]))}
}

func (x *txn) chunkUsage(owner string) (store.ChunkUsage, error) {
	b, _, err := x.get(chunkUsageKey(owner))
	return readUsage(b), err
}

func unixTime(ns uint64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(ns)).UTC()
}

func timeValue(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano())
}

func (x *txn) blobState(sum [32]byte) (store.BlobState, error) {
	b, _, err := x.get(blobStateKey(sum))
	if err != nil || len(b) != 16 {
		return store.BlobState{}, err
	}
	return store.BlobState{Gen: binary.BigEndian.Uint64(b), Dying: unixTime(binary.BigEndian.Uint64(b[8:]))}, nil
}

func (x *txn) setBlobState(sum [32]byte, b store.BlobState) error {
	v := binary.BigEndian.AppendUint64(nil, b.Gen)
	return x.set(blobStateKey(sum), binary.BigEndian.AppendUint64(v, timeValue(b.Dying)))
}

// chunkOwners are the owners that ever held chunks (councils with files:
// a few hundred).
func (x *txn) chunkOwners(ctx context.Context) ([]string, error) {
	var owners []string
	err := badgerdb.Scan(ctx, x.t, []byte(spaceChunkUsage), func(k, _ []byte) error {
		owners = append(owners, string(k[len(spaceChunkUsage):]))
		return nil
	})
	return owners, err
}

// heldByAnyone reports whether one of owners holds sum: a look-up each,
// as holds are kept by owner.
func (x *txn) heldByAnyone(sum [32]byte, owners []string) (bool, error) {
	for _, o := range owners {
		if _, ok, err := x.get(chunkKey(o, sum)); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// ChunkUsage implements store.Chunks.
func (s *Store) ChunkUsage(ctx context.Context, owner string) (store.ChunkUsage, error) {
	if err := checkOwner(owner); err != nil {
		return store.ChunkUsage{}, err
	}
	var u store.ChunkUsage
	err := s.view(ctx, func(x *txn) (err error) { u, err = x.chunkUsage(owner); return err })
	return u, err
}

// EachChunkOwner implements store.Chunks.
func (s *Store) EachChunkOwner(ctx context.Context, fn func(owner string, u store.ChunkUsage) error) error {
	return s.view(ctx, func(x *txn) error {
		return badgerdb.Scan(ctx, x.t, []byte(spaceChunkUsage), func(k, v []byte) error {
			u := readUsage(v)
			if u.Chunks == 0 {
				return nil // all it held was released
			}
			return fn(string(k[len(spaceChunkUsage):]), u)
		})
	})
}

// EachChunk implements store.Chunks.
func (s *Store) EachChunk(ctx context.Context, owner string, fn func(store.ChunkHold) error) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	prefix := []byte(chunkPrefix(owner))
	return s.view(ctx, func(x *txn) error {
		condemned := map[[32]byte]time.Time{}
		cp := []byte(spaceCondemned + owner + ":")
		err := badgerdb.Scan(ctx, x.t, cp, func(k, v []byte) error {
			if len(k) == len(cp)+32 {
				condemned[[32]byte(k[len(cp):])] = unixTime(u64(v))
			}
			return nil
		})
		if err != nil {
			return err
		}
		return badgerdb.Scan(ctx, x.t, prefix, func(k, v []byte) error {
			if len(k) != len(prefix)+32 {
				return fmt.Errorf("damaged chunk key %q", k)
			}
			sum := [32]byte(k[len(prefix):])
			return fn(store.ChunkHold{Sum: sum, Size: int64(u64(v)), Condemned: condemned[sum]})
		})
	})
}

// ChunkBlob implements store.Chunks.
func (s *Store) ChunkBlob(ctx context.Context, sum [32]byte) (store.BlobState, error) {
	var b store.BlobState
	err := s.view(ctx, func(x *txn) (err error) { b, err = x.blobState(sum); return err })
	return b, err
}

// chunkBatch bounds the chunks of one transaction of the sweep's calls.
const chunkBatch = 1000

// eachBatch calls fn with sums a chunkBatch at a time, each call its own
// transaction so that a sweep of a million chunks stays inside Badger's
// transaction size; the batches before a failed one stay committed (every
// caller's step is idempotent, so the sweep's next run finishes the work).
func eachBatch(sums [][32]byte, fn func(part [][32]byte) error) error {
	for len(sums) > 0 {
		part := sums[:min(len(sums), chunkBatch)]
		sums = sums[len(part):]
		if err := fn(part); err != nil {
			return err
		}
	}
	return nil
}

// countChanged runs change on each of sums in batches and counts the sums it
// changed.
func (s *Store) countChanged(ctx context.Context, sums [][32]byte, change func(x *txn, sum [32]byte) (bool, error)) (int, error) {
	total := 0
	err := eachBatch(sums, func(part [][32]byte) error {
		n := 0
		err := s.updateFreeing(ctx, func(x *txn) error {
			n = 0 // a retried transaction counts again
			for _, sum := range part {
				changed, err := change(x, sum)
				if err != nil {
					return err
				}
				if changed {
					n++
				}
			}
			return nil
		})
		if err == nil {
			total += n
		}
		return err
	})
	return total, err
}

// CondemnChunks implements store.Chunks.
func (s *Store) CondemnChunks(ctx context.Context, owner string, sums [][32]byte, at time.Time) (int, error) {
	if err := checkOwner(owner); err != nil {
		return 0, err
	}
	s.chunks.Lock()
	defer s.chunks.Unlock()
	return s.countChanged(ctx, sums, func(x *txn, sum [32]byte) (bool, error) {
		_, held, err := x.get(chunkKey(owner, sum))
		if err != nil || !held {
			return false, err
		}
		_, condemned, err := x.get(condemnedKey(owner, sum))
		if err != nil || condemned {
			return false, err
		}
		return true, x.set(condemnedKey(owner, sum), be(timeValue(at)))
	})
}

// PardonChunks implements store.Chunks.
func (s *Store) PardonChunks(ctx context.Context, owner string, sums [][32]byte) (int, error) {
	if err := checkOwner(owner); err != nil {
		return 0, err
	}
	s.chunks.Lock()
	defer s.chunks.Unlock()
	return s.countChanged(ctx, sums, func(x *txn, sum [32]byte) (bool, error) {
		_, condemned, err := x.get(condemnedKey(owner, sum))
		if err != nil || !condemned {
			return false, err
		}
		return true, x.t.Delete(condemnedKey(owner, sum))
	})
}

// ReleaseChunks implements store.Chunks, under the lock AddChunk takes.
func (s *Store) ReleaseChunks(ctx context.Context, owner string, sums [][32]byte, condemnedBefore, at time.Time) (store.Released, error) {
	var out store.Released
	if err := checkOwner(owner); err != nil {
		return out, err
	}
	s.chunks.Lock()
	defer s.chunks.Unlock()
	err := eachBatch(sums, func(part [][32]byte) error {
		var r store.Released
		err := s.updateFreeing(ctx, func(x *txn) error {
			r = store.Released{}
			u, err := x.chunkUsage(owner)
			if err != nil {
				return err
			}
			owners, err := x.chunkOwners(ctx)
			if err != nil {
				return err
			}
			for _, sum := range part {
				size, held, err := x.get(chunkKey(owner, sum))
				if err != nil {
					return err
				}
				c, condemned, err := x.get(condemnedKey(owner, sum))
				if err != nil {
					return err
				}
				if !held || !condemned || unixTime(u64(c)).After(condemnedBefore) {
					continue
				}
				if err := x.t.Delete(chunkKey(owner, sum)); err != nil {
					return err
				}
				if err := x.t.Delete(condemnedKey(owner, sum)); err != nil {
					return err
				}
				r.Chunks++
				r.Bytes += int64(u64(size))
				other, err := x.heldByAnyone(sum, owners)
				if err != nil || other {
					if err != nil {
						return err
					}
					continue
				}
				b, err := x.blobState(sum)
				if err != nil {
					return err
				}
				b.Gen++
				b.Dying = at
				if err := x.setBlobState(sum, b); err != nil {
					return err
				}
				r.Blobs = append(r.Blobs, store.DyingBlob{Sum: sum, Gen: b.Gen})
			}
			if r.Chunks == 0 {
				return nil
			}
			u.Chunks -= r.Chunks
			u.Bytes -= r.Bytes
			return x.set(chunkUsageKey(owner), usageValue(u))
		})
		if err != nil {
			return err
		}
		out.Chunks += r.Chunks
		out.Bytes += r.Bytes
		out.Blobs = append(out.Blobs, r.Blobs...)
		return nil
	})
	return out, err
}

// ReleaseBlob implements store.Chunks.
func (s *Store) ReleaseBlob(ctx context.Context, sum [32]byte, at time.Time) (uint64, bool, error) {
	s.chunks.Lock()
	defer s.chunks.Unlock()
	var gen uint64
	var ok bool
	err := s.updateFreeing(ctx, func(x *txn) error {
		gen, ok = 0, false
		owners, err := x.chunkOwners(ctx)
		if err != nil {
			return err
		}
		held, err := x.heldByAnyone(sum, owners)
		if err != nil || held {
			return err
		}
		b, err := x.blobState(sum)
		if err != nil || !b.Dying.IsZero() {
			return err
		}
		b.Gen++
		b.Dying = at
		gen, ok = b.Gen, true
		return x.setBlobState(sum, b)
	})
	return gen, ok, err
}

// BlobGone implements store.Chunks.
func (s *Store) BlobGone(ctx context.Context, sum [32]byte, gen uint64) error {
	s.chunks.Lock()
	defer s.chunks.Unlock()
	return s.updateFreeing(ctx, func(x *txn) error {
		b, err := x.blobState(sum)
		if err != nil || b.Gen != gen || b.Dying.IsZero() {
			return err
		}
		b.Dying = time.Time{}
		return x.setBlobState(sum, b)
	})
}

// EachDyingBlob implements store.Chunks.
func (s *Store) EachDyingBlob(ctx context.Context, fn func(sum [32]byte, b store.BlobState) error) error {
	return s.view(ctx, func(x *txn) error {
		return badgerdb.Scan(ctx, x.t, []byte(spaceBlob), func(k, v []byte) error {
			if len(k) != len(spaceBlob)+32 || len(v) != 16 {
				return nil
			}
			b := store.BlobState{Gen: binary.BigEndian.Uint64(v), Dying: unixTime(binary.BigEndian.Uint64(v[8:]))}
			if b.Dying.IsZero() {
				return nil
			}
			return fn([32]byte(k[len(spaceBlob):]), b)
		})
	})
}
