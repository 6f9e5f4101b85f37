package files

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/policy"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// What the server keeps of files, and for how long (the rule; README,
// "Files that travel", says it for operators):
//
// A chunk is kept for an owner while the current state of some record of
// that owner names it: an appeal's or event's attachment, a material's
// file (policy.Files), deleted records included (a deleted record can be
// restored, attachments and all). Old versions are not kept: a record's
// history shows that an attachment was there (its name, size and
// caption), but the server gives out only the chunks a record's current
// state names (Get answers ChunkNotNamed for any other, the no-hash-oracle
// rule), so an old version of a material or a replaced attachment could
// not be fetched from the server once replaced, and nothing is lost by
// releasing it. A laptop that has not synced keeps its own copies of what
// its records name; what it sends later is named by the state its
// operations make, and kept.
//
// A chunk no record names is released in two sweeps (Sweep), never in
// one look at the records, because a laptop may have been told a chunk
// is held just before a record came to name it again: the first sweep
// condemns it (from then on it is not held for Have, Put and Get: a
// laptop whose record names it again is asked to send it, which pardons
// it), and a later sweep, whose look at the records began after the
// condemnation, releases it if it still finds no record naming it. Its
// bytes leave the owner's usage (and quota) then, and its blob is
// deleted when no owner holds it any more (store.Chunks says how a put
// racing that deletion stores the blob again).

// dyingStale is the age past which a blob still marked dying is what a
// sweep that stopped (a crash, a restart) left: the next sweep deletes it.
const dyingStale = time.Hour

// SweepReport is what one sweep did, and what waits for the next one.
type SweepReport struct {
	// Records are the records that name files, looked at.
	Records int `json:"records"`
	// Condemned and Pardoned are holds condemned (no record names them)
	// and pardoned (a record names them again).
	Condemned int `json:"condemned"`
	Pardoned  int `json:"pardoned"`
	// Released are the holds released, and their bytes (off the owners'
	// quotas).
	ReleasedChunks int64 `json:"released_chunks"`
	ReleasedBytes  int64 `json:"released_bytes"`
	// BlobsDeleted are blobs deleted: of chunks released, of orphans (a
	// blob no owner holds: a put that failed between storing it and
	// counting it), and left dying by a sweep that stopped.
	BlobsDeleted int `json:"blobs_deleted"`
	Orphans      int `json:"orphans"`
	// UnusedChunks and UnusedBytes are the holds condemned and not
	// released yet: what the next sweep releases unless a record names
	// them again.
	UnusedChunks int64 `json:"unused_chunks"`
	UnusedBytes  int64 `json:"unused_bytes"`
}

// sweepStep lets tests stop a sweep between its steps, as a crash does:
// a non-nil error from it ends the sweep there.
type sweepStep func(step string) error

// Sweep releases the chunks no record names any more, as the rule above
// says: it condemns what no record names, releases what an earlier sweep
// condemned and no record names still, pardons what a record names again,
// and deletes the blobs no owner holds. Safe beside puts and gets, and
// beside another sweep (of another process on the same database).
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	var r SweepReport
	// Holds condemned before this sweep looks at the records may be
	// released by it; those condemned meanwhile (another process's
	// sweep) wait for the next.
	start := s.now()
	live := map[string]map[[32]byte]bool{}
	for _, kind := range policy.FileKinds {
		err := s.st.EachState(ctx, kind, func(st *changeset.State) error {
			named := policy.Chunks(st)
			if len(named) == 0 {
				return nil
			}
			r.Records++
			owner := policy.Owner(st)
			if live[owner] == nil {
				live[owner] = map[[32]byte]bool{}
			}
			for c := range named {
				live[owner][c] = true
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("sweep: the %s records: %w", kind, err)
		}
	}
	var owners []string
	if err := s.st.EachChunkOwner(ctx, func(owner string, _ store.ChunkUsage) error {
		owners = append(owners, owner)
		return nil
	}); err != nil {
		return r, fmt.Errorf("sweep: %w", err)
	}
	held := map[[32]byte]bool{} // by any owner, as the sweep found them
	for _, owner := range owners {
		var condemn, pardon, release [][32]byte
		var unused store.ChunkUsage
		err := s.st.EachChunk(ctx, owner, func(h store.ChunkHold) error {
			held[h.Sum] = true
			named := live[owner][h.Sum]
			switch {
			case named && !h.Condemned.IsZero():
				pardon = append(pardon, h.Sum)
			case named:
			case h.Condemned.IsZero():
				condemn = append(condemn, h.Sum)
				unused.Chunks++
				unused.Bytes += h.Size
			case !h.Condemned.After(start):
				release = append(release, h.Sum)
			default:
				unused.Chunks++
				unused.Bytes += h.Size
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("sweep: the chunks of %s: %w", owner, err)
		}
		if len(release) > 0 {
			rel, err := s.st.ReleaseChunks(ctx, owner, release, start, s.now())
			if err != nil {
				return r, fmt.Errorf("sweep: %w", err)
			}
			r.ReleasedChunks += rel.Chunks
			r.ReleasedBytes += rel.Bytes
			if err := s.step("released"); err != nil {
				return r, err
			}
			for _, b := range rel.Blobs {
				if err := s.deleteBlob(ctx, b); err != nil {
					return r, err
				}
				r.BlobsDeleted++
			}
		}
		n, err := s.st.CondemnChunks(ctx, owner, condemn, s.now())
		if err != nil {
			return r, fmt.Errorf("sweep: %w", err)
		}
		r.Condemned += n
		if err := s.step("condemned"); err != nil {
			return r, err
		}
		if n, err = s.st.PardonChunks(ctx, owner, pardon); err != nil {
			return r, fmt.Errorf("sweep: %w", err)
		}
		r.Pardoned += n
		r.UnusedChunks += unused.Chunks
		r.UnusedBytes += unused.Bytes
	}
	// Orphans: blobs no owner held when the sweep looked (ReleaseBlob
	// checks again, atomically: a put counting its chunk meanwhile keeps
	// it, or has its count refused and stores the blob again).
	var orphans [][32]byte
	err := s.blobs.List(ctx, "chunks/", func(key string, _ int64) error {
		sum, ok := sumOfKey(key)
		if ok && !held[sum] {
			orphans = append(orphans, sum)
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("sweep: list the file store: %w", err)
	}
	for _, sum := range orphans {
		gen, ok, err := s.st.ReleaseBlob(ctx, sum, s.now())
		if err != nil {
			return r, fmt.Errorf("sweep: %w", err)
		}
		if !ok {
			continue
		}
		if err := s.deleteBlob(ctx, store.DyingBlob{Sum: sum, Gen: gen}); err != nil {
			return r, err
		}
		r.Orphans++
		r.BlobsDeleted++
	}
	// What a sweep that stopped left dying.
	var stale []store.DyingBlob
	err = s.st.EachDyingBlob(ctx, func(sum [32]byte, b store.BlobState) error {
		if start.Sub(b.Dying) > dyingStale {
			stale = append(stale, store.DyingBlob{Sum: sum, Gen: b.Gen})
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("sweep: %w", err)
	}
	for _, b := range stale {
		if err := s.deleteBlob(ctx, b); err != nil {
			return r, err
		}
		r.BlobsDeleted++
	}
	return r, nil
}

// deleteBlob deletes a dying blob and says so to the account. Only the
// sweep that made it dying (or, past dyingStale, a later one) deletes
// it: a put waits for the end of the dying before it stores it anew. A
// sweep cancelled (the server stopping) still deletes what it made
// dying, a few milliseconds each, so that puts of it do not wait for
// the next sweep.
func (s *Service) deleteBlob(ctx context.Context, b store.DyingBlob) error {
	ctx = context.WithoutCancel(ctx)
	if err := s.blobs.Delete(ctx, blobKey(b.Sum)); err != nil {
		return fmt.Errorf("sweep: delete chunk %x: %w", b.Sum[:6], err)
	}
	if err := s.step("deleted"); err != nil {
		return err
	}
	if err := s.st.BlobGone(ctx, b.Sum, b.Gen); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return nil
}

func (s *Service) step(name string) error {
	if s.stepHook == nil {
		return nil
	}
	return s.stepHook(name)
}

// sumOfKey reads a chunk's sum from its blob's key (blobKey).
func sumOfKey(key string) ([32]byte, bool) {
	var sum [32]byte
	rest, ok := strings.CutPrefix(key, "chunks/")
	if !ok {
		return sum, false
	}
	dir, name, ok := strings.Cut(rest, "/")
	if !ok || len(name) != 64 {
		return sum, false
	}
	if _, err := hex.Decode(sum[:], []byte(name)); err != nil || hex.EncodeToString(sum[:1]) != dir {
		return sum, false
	}
	return sum, true
}

// errBlobBusy: a chunk's blob stayed dying (being deleted by a sweep)
// through every wait of a put.
var errBlobBusy = errors.New("the chunk is being deleted")

// blobTries bounds the waits of a put for a chunk's blob being deleted
// (a sweep deletes one in milliseconds): 10 ms, then twice as long, five
// times.
const blobTries = 5

// OwnerUsage is what an owner holds on the server, for the operator
// (kenesh-syncserver admin files).
type OwnerUsage struct {
	Owner  string `json:"owner"`
	Chunks int64  `json:"chunks"`
	Bytes  int64  `json:"bytes"`
	// UnusedChunks and UnusedBytes are condemned: no record named them
	// at the last sweep, and the next releases them unless one does again.
	UnusedChunks int64 `json:"unused_chunks"`
	UnusedBytes  int64 `json:"unused_bytes"`
	// Quota is the owner's quota in bytes (0: none).
	Quota int64 `json:"quota"`
}

// Usage lists what each owner holds, in owner order.
func (s *Service) Usage(ctx context.Context) ([]OwnerUsage, error) {
	out := []OwnerUsage{}
	err := s.st.EachChunkOwner(ctx, func(owner string, u store.ChunkUsage) error {
		out = append(out, OwnerUsage{Owner: owner, Chunks: u.Chunks, Bytes: u.Bytes, Quota: s.quotaOf(owner)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("files usage: %w", err)
	}
	for i := range out {
		o := &out[i]
		err := s.st.EachChunk(ctx, o.Owner, func(h store.ChunkHold) error {
			if !h.Condemned.IsZero() {
				o.UnusedChunks++
				o.UnusedBytes += h.Size
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("files usage of %s: %w", o.Owner, err)
		}
	}
	return out, nil
}

// SweepNow releases at once what no record names: a sweep, then another
// (whose look at the records begins after the first's condemnations, so
// the rule holds), for an operator who needs the room now.
func (s *Service) SweepNow(ctx context.Context) ([]SweepReport, error) {
	var out []SweepReport
	for range 2 {
		r, err := s.Sweep(ctx)
		out = append(out, r)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
