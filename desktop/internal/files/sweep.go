package files

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/policy"
)

// What the laptop keeps of files: the chunks the current state of one of
// its records names (policy.Files: attachments, materials' files),
// deleted records included (they can be restored, attachments and all).
// A replaced attachment, a removed one, an old version of a material are
// dropped by Sweep: the record's history still says they were there, but
// neither this laptop nor the server gives them out any more (the server
// releases them the same way). A file being attached or published, or
// fetched, is never taken on its way to its record (Files.naming).

// SweepEvery is how often a sync sweeps (SweepIfDue).
const SweepEvery = 24 * time.Hour

const lastSweepName = "o:last_sweep"

// SweepReport is what a sweep dropped.
type SweepReport struct {
	Chunks int64 `json:"chunks"`
	Bytes  int64 `json:"bytes"`
}

// Sweep drops the chunks no record names, and the bookkeeping of what the
// server held that an older version of this app kept per council, and
// gives their room on disk back.
func (f *Files) Sweep(ctx context.Context) (SweepReport, error) {
	f.naming.Lock()
	defer f.naming.Unlock()
	var r SweepReport
	live := map[[32]byte]bool{}
	for _, kind := range policy.FileKinds {
		err := f.st.EachState(ctx, kind, func(st *changeset.State) error {
			for c := range policy.Chunks(st) {
				live[c] = true
			}
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("files: sweep the %s records: %w", kind, err)
		}
	}
	var drop [][32]byte
	err := f.st.EachChunk(ctx, func(sum [32]byte, size int64) error {
		if !live[sum] {
			drop = append(drop, sum)
			r.Chunks++
			r.Bytes += size
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("files: sweep: %w", err)
	}
	if err := f.st.DeleteChunks(ctx, drop); err != nil {
		return SweepReport{}, fmt.Errorf("files: sweep: %w", err)
	}
	// s:OWNER:SHA256, as releases before 0.7 noted what the server held
	// (now s:KIND:ID:SHA256).
	old := map[string][]byte{}
	err = f.st.EachFileMark(ctx, "s:", func(name string, _ []byte) error {
		if strings.Count(name, ":") == 2 {
			old[name] = nil
		}
		return nil
	})
	if err == nil && len(old) > 0 {
		err = f.st.SetFileMarks(ctx, old)
	}
	if err != nil {
		return r, fmt.Errorf("files: sweep: %w", err)
	}
	return r, nil
}

// SweepIfDue sweeps when the last sweep is SweepEvery ago or more (or
// there was none), and notes when; ran says whether it did.
func (f *Files) SweepIfDue(ctx context.Context, now time.Time) (r SweepReport, ran bool, err error) {
	m, err := f.st.FileMarks(ctx, []string{lastSweepName})
	if err != nil {
		return r, false, err
	}
	if last, err := time.Parse(time.RFC3339, string(m[lastSweepName])); err == nil && now.Sub(last) < SweepEvery {
		return r, false, nil
	}
	if r, err = f.Sweep(ctx); err != nil {
		return r, true, err
	}
	return r, true, f.st.SetFileMarks(ctx, map[string][]byte{lastSweepName: []byte(now.UTC().Format(time.RFC3339))})
}
