package store

import (
	"context"
	"errors"
	"time"
)

// ErrQuota is returned by Chunks.AddChunk when a new chunk would take an
// owner past its quota; nothing was recorded.
var ErrQuota = errors.New("the room for files is used up")

// ErrBlobChanged is returned by Chunks.AddChunk when the chunk's blob is
// no longer at the generation the caller read with ChunkBlob (a sweep
// released the chunk meanwhile and its blob is being, or was, deleted):
// nothing was recorded. The caller reads ChunkBlob again, stores the
// blob anew and adds the chunk again.
var ErrBlobChanged = errors.New("the chunk's stored content was released meanwhile")

// Chunks is the account of the file chunks the server holds, and for
// whom (issue 14). Their content is kept apart, in a blob store (package
// blobstore: a directory, an S3-compatible store), under their SHA-256;
// this account is what the no-hash-oracle rule and the quotas read. An
// owner is whom a chunk was sent for: a council's code, or the owner of
// the records every device reads (policy.GlobalOwner, for materials). A
// chunk two councils sent is held by both, stored once, and counted
// against each.
//
// Chunks no record names any more are released in two steps, so that a
// chunk a device has just been told is held is never released under it
// (files.Service.Sweep says the rule): a hold no record names is first
// condemned (CondemnChunks), which makes it not held for HeldChunks (a
// device asking is told to send it again, and AddChunk then pardons it),
// and released (ReleaseChunks) only by a later look at the records that
// still finds no record naming it. A blob is deleted only once no owner
// holds its chunk, through its generation (ChunkBlob): releasing the last
// hold, or an orphan blob (ReleaseBlob), moves the blob to the next
// generation and marks it dying; AddChunk refuses a chunk whose blob is
// dying or not at the generation read before its blob was stored
// (ErrBlobChanged), so a blob deleted while a put stored it is stored
// again, never counted as there; BlobGone ends the dying once the blob
// is deleted.
type Chunks interface {
	// HeldChunks returns, of sums, those owner holds, with their sizes
	// (absent from the map: not held; a condemned hold is not held).
	HeldChunks(ctx context.Context, owner string, sums [][32]byte) (map[[32]byte]int64, error)
	// AddChunk records that owner holds chunk sum of size bytes (its
	// content stored before, after ChunkBlob said gen) and reports
	// whether that is new: adding a chunk owner holds already changes
	// nothing; adding one whose hold is condemned pardons it (added, no
	// new usage: it was counted). A new chunk counts against owner's
	// usage; when the usage and size together would pass quota (quota 0:
	// none) nothing is recorded and the error wraps ErrQuota; when the
	// chunk's blob is dying or past gen, nothing is recorded and the
	// error wraps ErrBlobChanged. Made durable before it returns, and
	// atomic across processes: calls at the same time never pass the
	// quota together and count a chunk once.
	AddChunk(ctx context.Context, owner string, sum [32]byte, size, quota int64, gen uint64) (added bool, err error)
	// AddChunks adds chunks for owner as AddChunk adds each, in their
	// order, made durable together (one commit, where AddChunk each
	// costs one): it stops at the first chunk refused (its error wraps
	// ErrQuota or ErrBlobChanged) and returns, for each chunk before it,
	// whether it was added; those are recorded, the refused one and
	// those after it are not. A chunk that is no chunk (its size) fails
	// the whole call before anything is recorded.
	AddChunks(ctx context.Context, owner string, chunks []NewChunk, quota int64) (added []bool, err error)
	// ChunkUsage returns what owner holds (zero for an owner that holds
	// nothing); condemned holds count until they are released.
	ChunkUsage(ctx context.Context, owner string) (ChunkUsage, error)
	// EachChunkOwner calls fn with every owner that holds chunks and what
	// it holds, in owner order (bytewise), from one snapshot.
	EachChunkOwner(ctx context.Context, fn func(owner string, u ChunkUsage) error) error
	// EachChunk calls fn with every chunk owner holds, condemned or not,
	// in the order of their sums, from one snapshot.
	EachChunk(ctx context.Context, owner string, fn func(ChunkHold) error) error

	// ChunkBlob returns the state of chunk sum's blob: its generation (0
	// for a chunk never released) and whether it is being deleted.
	ChunkBlob(ctx context.Context, sum [32]byte) (BlobState, error)
	// CondemnChunks condemns, as of at, the holds of owner among sums
	// that are held and not condemned, and returns how many. Durable
	// before it returns.
	CondemnChunks(ctx context.Context, owner string, sums [][32]byte, at time.Time) (int, error)
	// PardonChunks ends the condemnation of owner's holds among sums and
	// returns how many it pardoned.
	PardonChunks(ctx context.Context, owner string, sums [][32]byte) (int, error)
	// ReleaseChunks removes the holds of owner among sums that were
	// condemned at or before condemnedBefore (a hold pardoned or
	// condemned since is left), taking them off owner's usage, and
	// returns what it released; the chunks no owner holds any more have
	// their blobs moved to the next generation and marked dying as of at,
	// and are returned for the caller to delete and then call BlobGone.
	// Atomic with AddChunk of the same owner and chunk, across processes.
	// A full disk does not stop it: it gives room back.
	ReleaseChunks(ctx context.Context, owner string, sums [][32]byte, condemnedBefore, at time.Time) (Released, error)
	// ReleaseBlob marks the blob of a chunk no owner holds (what a put
	// that failed left) dying as of at, at the next generation, and
	// returns that generation; ok is false, and nothing changed, when an
	// owner holds the chunk or its blob is dying already.
	ReleaseBlob(ctx context.Context, sum [32]byte, at time.Time) (gen uint64, ok bool, err error)
	// BlobGone says that the blob of chunk sum at generation gen is
	// deleted: it is no longer dying. A later generation is left as it
	// is.
	BlobGone(ctx context.Context, sum [32]byte, gen uint64) error
	// EachDyingBlob calls fn with every chunk whose blob is dying, in the
	// order of their sums.
	EachDyingBlob(ctx context.Context, fn func(sum [32]byte, b BlobState) error) error
}

// NewChunk is a chunk to add: its sum and size, and the generation of its
// blob that ChunkBlob said before the blob was stored.
type NewChunk struct {
	Sum  [32]byte
	Size int64
	Gen  uint64
}

// ChunkUsage is what an owner holds: how many chunks, and their bytes
// (of their content, as the records name them).
type ChunkUsage struct {
	Chunks int64
	Bytes  int64
}

// ChunkHold is one chunk an owner holds.
type ChunkHold struct {
	Sum  [32]byte
	Size int64
	// Condemned is when no record was found to name it (zero: it is in
	// use, or was not looked at yet).
	Condemned time.Time
}

// BlobState is where a chunk's blob stands.
type BlobState struct {
	// Gen counts the times the blob was given up (released or found an
	// orphan).
	Gen uint64
	// Dying is when it was given up at Gen, while it is being deleted
	// (zero: it is not).
	Dying time.Time
}

// Released is what ReleaseChunks released: holds, their bytes, and the
// chunks whose blobs are now dying.
type Released struct {
	Chunks, Bytes int64
	Blobs         []DyingBlob
}

// DyingBlob is a chunk whose blob is to be deleted, at its generation.
type DyingBlob struct {
	Sum [32]byte
	Gen uint64
}
