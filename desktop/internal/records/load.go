package records

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kenesh/kenesh/desktop/internal/facts"
	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
)

// indexDigest identifies what stored index rows were derived with: the row
// format and the deadline rules (a new rule changes every answer date). When
// it changes, rows are derived again from the record states.
func (s *Service) indexDigest() string {
	h := sha256.New()
	fmt.Fprintf(h, "row-format:%d\n", 5) // 2: e-mail and PIN in search text; 3: the phone's digits; 4: words only; 5: facts
	fmt.Fprintf(h, "facts:%d\n", facts.Version)
	b, _ := json.Marshal(s.rules.All())
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// loadIndex fills the in-memory index from the stored rows: the fast path at
// every start. If rows are stale or damaged it rebuilds them from states.
// The rows come first (lists and filters work then), the search words
// after, in the background when asked.
func (s *Service) loadIndex(ctx context.Context, textInBackground bool) error {
	digest := s.indexDigest()
	stored, _ := s.st.Meta(ctx, metaIndexDigest)
	if string(stored) == digest {
		err := s.st.EachIndexRow(ctx, func(kind, id string, v []byte) error {
			return s.ix.LoadRow(kind, id, v)
		})
		if err == nil {
			if !textInBackground {
				return s.loadText(ctx)
			}
			bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			s.bgCancel = cancel
			s.bg.Add(1)
			go func() {
				defer s.bg.Done()
				if err := s.loadText(bctx); err != nil && bctx.Err() == nil {
					s.log.Error("search words not read; searches find only records saved since the start", "err", err)
				}
			}()
			return nil
		}
		if !errors.Is(err, index.ErrRowVersion) {
			s.log.Warn("index rows damaged; rebuilding from records", "err", err)
		}
	}
	return s.rebuildIndex(ctx, digest)
}

// loadText reads the stored search texts into the index, then lets
// searches run (also when reading failed: they find what they can).
func (s *Service) loadText(ctx context.Context) error {
	defer s.ix.TextLoaded()
	err := s.st.EachSearchText(ctx, func(kind, id string, v []byte) error {
		s.ix.LoadTextBytes(kind, id, v)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read search words: %w", err)
	}
	return nil
}

func (s *Service) rebuildIndex(ctx context.Context, digest string) error {
	s.ix = index.New()
	// Rows go into the index a batch at a time, as they are stored: the
	// whole set with its search text would be tens of megabytes at once.
	batch := map[[2]string]store.IndexEntry{}
	var rows []*index.Row
	flush := func() error {
		if err := s.st.PutIndexRows(ctx, batch); err != nil {
			return err
		}
		if err := s.ix.Put(rows...); err != nil {
			return err
		}
		clear(batch)
		rows = rows[:0]
		return nil
	}
	err := s.st.EachState(ctx, "", func(st *changeset.State) error {
		r, err := s.rowFor(st)
		if err != nil {
			return err
		}
		rows = append(rows, r)
		batch[[2]string{r.Kind, r.ID}] = store.IndexEntry{Row: r.Marshal(), Text: []byte(r.Search)}
		if len(batch) >= 1000 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rebuild index: %w", err)
	}
	if err := flush(); err != nil {
		return fmt.Errorf("rebuild index: %w", err)
	}
	if err := s.st.SetMeta(ctx, map[string][]byte{metaIndexDigest: []byte(digest)}); err != nil {
		return fmt.Errorf("rebuild index: %w", err)
	}
	return nil
}
