package badgerstore

import (
	"context"
	"encoding/binary"
	"fmt"

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
			if ok {
				out[sum] = int64(u64(b))
			}
		}
		return nil
	})
	return out, err
}

// AddChunk implements store.Chunks: the chunk's key and the owner's
// usage in one transaction, one at a time (one process holds the
// directory), so that concurrent puts of a council do not run each other
// out of Badger's conflict retries.
func (s *Store) AddChunk(ctx context.Context, owner string, sum [32]byte, size, quota int64) (bool, error) {
	if err := checkOwner(owner); err != nil {
		return false, err
	}
	if size <= 0 || size > domain.MaxChunkSize {
		return false, fmt.Errorf("chunk %x of %d bytes: 1 to %d allowed", sum[:6], size, domain.MaxChunkSize)
	}
	s.chunks.Lock()
	defer s.chunks.Unlock()
	var added bool
	err := s.update(ctx, func(x *txn) error {
		added = false
		_, held, err := x.get(chunkKey(owner, sum))
		if err != nil || held {
			return err
		}
		u, err := x.chunkUsage(owner)
		if err != nil {
			return err
		}
		if quota > 0 && u.Bytes+size > quota {
			return fmt.Errorf("%w: %s holds %d bytes of files, the chunk is %d, the quota %d", store.ErrQuota, owner, u.Bytes, size, quota)
		}
		u.Chunks++
		u.Bytes += size
		if err := x.set(chunkKey(owner, sum), be(uint64(size))); err != nil {
			return err
		}
		added = true
		return x.set(chunkUsageKey(owner), usageValue(u))
	})
	return added, err
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
			return fn(string(k[len(spaceChunkUsage):]), readUsage(v))
		})
	})
}

// EachChunk implements store.Chunks.
func (s *Store) EachChunk(ctx context.Context, owner string, fn func(sum [32]byte, size int64) error) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	prefix := []byte(chunkPrefix(owner))
	return s.view(ctx, func(x *txn) error {
		return badgerdb.Scan(ctx, x.t, prefix, func(k, v []byte) error {
			var sum [32]byte
			if len(k) != len(prefix)+32 {
				return fmt.Errorf("damaged chunk key %q", k)
			}
			copy(sum[:], k[len(prefix):])
			return fn(sum, int64(u64(v)))
		})
	})
}
