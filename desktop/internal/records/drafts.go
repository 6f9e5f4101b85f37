package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/store"
)

// metaDraft holds the one unsaved form of this laptop: a person fills one
// form at a time, and leaving it asks first.
const metaDraft = "draft"

// Draft is what a person typed into a form and has not saved yet, kept in
// the encrypted store as they type so that a crash, a power cut or a flat
// battery loses nothing. It is never synced: it is not a record yet.
type Draft struct {
	Kind   string            `json:"kind"`         // domain.KindAppeal, KindEvent, KindGrant or KindCompetition
	Record string            `json:"id,omitempty"` // the record being edited; "" for a new one
	Inputs map[string]string `json:"inputs"`       // the form's controls, by name, as typed
	At     time.Time         `json:"at"`
}

// SaveDraft keeps d as the laptop's draft, durably, replacing any other.
func (s *Service) SaveDraft(ctx context.Context, d Draft) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("draft: %w", err)
	}
	if err := s.st.SetMeta(ctx, map[string][]byte{metaDraft: b}); err != nil {
		return fmt.Errorf("draft: %w", err)
	}
	return nil
}

// Draft returns the laptop's draft, or nil when there is none.
func (s *Service) Draft(ctx context.Context) (*Draft, error) {
	b, err := s.st.Meta(ctx, metaDraft)
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(b) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("draft: %w", err)
	}
	var d Draft
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("draft: damaged: %w", err)
	}
	return &d, nil
}

// DropDraft forgets the draft (it was saved or discarded).
func (s *Service) DropDraft(ctx context.Context) error {
	if err := s.st.SetMeta(ctx, map[string][]byte{metaDraft: nil}); err != nil {
		return fmt.Errorf("draft: %w", err)
	}
	return nil
}
