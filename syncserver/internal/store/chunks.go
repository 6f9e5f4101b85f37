package store

import (
	"context"
	"errors"
)

// ErrQuota is returned by Chunks.AddChunk when a new chunk would take an
// owner past its quota; nothing was recorded.
var ErrQuota = errors.New("the room for files is used up")

// Chunks is the account of the file chunks the server holds, and for
// whom (issue 14). Their content is kept apart, in a blob store (package
// blobstore: a directory, an S3-compatible store), under their SHA-256;
// this account is what the no-hash-oracle rule and the quotas read. An
// owner is whom a chunk was sent for: a council's code, or the owner of
// the records every device reads (policy.GlobalOwner, for materials). A
// chunk two councils sent is held by both, stored once, and counted
// against each.
type Chunks interface {
	// HeldChunks returns, of sums, those owner holds, with their sizes
	// (absent from the map: not held).
	HeldChunks(ctx context.Context, owner string, sums [][32]byte) (map[[32]byte]int64, error)
	// AddChunk records that owner holds chunk sum of size bytes (its
	// content stored before) and reports whether that is new: adding a
	// chunk owner holds already changes nothing. A new chunk counts
	// against owner's usage; when the usage and size together would pass
	// quota (quota 0: none) nothing is recorded and the error wraps
	// ErrQuota. Made durable before it returns, and atomic across
	// processes: calls at the same time never pass the quota together and
	// count a chunk once.
	AddChunk(ctx context.Context, owner string, sum [32]byte, size, quota int64) (added bool, err error)
	// ChunkUsage returns what owner holds (zero for an owner that holds
	// nothing).
	ChunkUsage(ctx context.Context, owner string) (ChunkUsage, error)
	// EachChunkOwner calls fn with every owner that holds chunks and what
	// it holds, in owner order (bytewise), from one snapshot.
	EachChunkOwner(ctx context.Context, fn func(owner string, u ChunkUsage) error) error
	// EachChunk calls fn with every chunk owner holds and its size, in
	// the order of their sums, from one snapshot.
	EachChunk(ctx context.Context, owner string, fn func(sum [32]byte, size int64) error) error
}

// ChunkUsage is what an owner holds: how many chunks, and their bytes
// (of their content, as the records name them).
type ChunkUsage struct {
	Chunks int64
	Bytes  int64
}
