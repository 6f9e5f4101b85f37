package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

const (
	metaEnrollment = "enrollment"
	metaSyncNote   = "sync_note"
	metaRefused    = "sync_refused"
)

// ErrNotEnrolled means the store has no server yet.
var ErrNotEnrolled = errors.New("this laptop is not enrolled with a sync server yet (keneshctl enroll --server URL --code CODE)")

// Enrollment binds this store to a sync server. The token sits in the
// encrypted store like every record.
type Enrollment struct {
	Server   string    `json:"server"`
	ServerID string    `json:"server_id"`
	Token    string    `json:"token"`
	Council  string    `json:"council,omitempty"`
	Role     string    `json:"role"`
	Name     string    `json:"name"`
	Dicts    []uint32  `json:"dicts,omitempty"`
	At       time.Time `json:"enrolled_at"`
}

// Enrollment returns the store's enrollment, or ErrNotEnrolled.
func (s *Service) Enrollment(ctx context.Context) (*Enrollment, error) {
	b, err := s.st.Meta(ctx, metaEnrollment)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotEnrolled
	}
	if err != nil {
		return nil, err
	}
	var e Enrollment
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("enrollment is damaged: %w", err)
	}
	return &e, nil
}

// Enroll stores an enrollment; the enrolled council becomes the default of
// new records. A new server starts from the beginning of its log.
func (s *Service) Enroll(ctx context.Context, e Enrollment) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	meta := map[string][]byte{metaEnrollment: b, MetaSyncCursor: []byte("0"), MetaSyncAcked: []byte("0")}
	if e.Council != "" {
		meta[metaHomeCouncil] = []byte(e.Council)
	}
	if err := s.st.SetMeta(ctx, meta); err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	s.mu.Lock()
	if e.Council != "" {
		s.home = e.Council
	}
	s.writer = &policy.Device{Role: e.Role, Council: e.Council}
	if e.Name != "" {
		s.author = e.Name
	}
	s.mu.Unlock()
	return nil
}

// Refusal is an operation of this laptop the server judged and refused.
// Fields, when the server named fields of the record at fault, says which
// and why, with a field error code a user interface translates.
type Refusal struct {
	Seq     uint64              `json:"seq"`
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Fields  []domain.FieldError `json:"fields,omitempty"`
	At      time.Time           `json:"at"`
}

// SyncState is what the laptop knows of its syncing.
type SyncState struct {
	Cursor      uint64    `json:"cursor"`
	Acked       uint64    `json:"acked"`
	Seq         uint64    `json:"seq"`
	Pending     uint64    `json:"pending"`
	LastOK      time.Time `json:"last_ok,omitzero"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Refused     []Refusal `json:"refused,omitempty"`
	// Held counts the pulled operations held back, not merged (HeldOps).
	Held int `json:"held,omitempty"`
}

type syncNote struct {
	LastOK      time.Time `json:"last_ok,omitzero"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

// SyncState reads the sync state.
func (s *Service) SyncState(ctx context.Context) (SyncState, error) {
	var st SyncState
	var err error
	if st.Cursor, err = s.metaUint(ctx, MetaSyncCursor); err != nil {
		return st, err
	}
	if st.Acked, err = s.metaUint(ctx, MetaSyncAcked); err != nil {
		return st, err
	}
	st.Seq = s.Seq()
	if st.Seq > st.Acked {
		st.Pending = st.Seq - st.Acked
	}
	if b, err := s.st.Meta(ctx, metaSyncNote); err == nil {
		var n syncNote
		if json.Unmarshal(b, &n) == nil {
			st.LastOK, st.LastAttempt, st.LastError = n.LastOK, n.LastAttempt, n.LastError
		}
	}
	st.Refused, _ = s.keptRefusals(ctx)
	if st.Held, err = s.st.CountHeld(ctx); err != nil {
		return st, err
	}
	return st, nil
}

// keptRefusals reads the refusals this laptop keeps (SetAcked writes
// them), oldest first; none when it keeps none. A list that does not
// decode reads as none (SyncState showed it so from the start).
func (s *Service) keptRefusals(ctx context.Context) ([]Refusal, error) {
	b, err := s.st.Meta(ctx, metaRefused)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the refusals kept: %w", err)
	}
	var list []Refusal
	_ = json.Unmarshal(b, &list)
	return list, nil
}

// refusedSeqs is the set of the refused operations' sequence numbers
// (all of this laptop's).
func refusedSeqs(list []Refusal) map[uint64]bool {
	seqs := make(map[uint64]bool, len(list))
	for _, r := range list {
		seqs[r.Seq] = true
	}
	return seqs
}

// SetAcked records what the server acknowledged and what it refused.
func (s *Service) SetAcked(ctx context.Context, acked uint64, refused []Refusal) error {
	meta := map[string][]byte{MetaSyncAcked: []byte(strconv.FormatUint(acked, 10))}
	if len(refused) > 0 {
		cur, _ := s.SyncState(ctx)
		all := append(cur.Refused, refused...)
		if len(all) > 1000 { // the newest are what a person acts on
			all = all[len(all)-1000:]
		}
		b, _ := json.Marshal(all)
		meta[metaRefused] = b
		defer s.recreate.forget() // after the write: read again from it
	}
	return s.st.SetMeta(ctx, meta)
}

// NoteSync records the outcome of a sync attempt (err nil: success).
func (s *Service) NoteSync(ctx context.Context, at time.Time, syncErr error) error {
	var n syncNote
	if b, err := s.st.Meta(ctx, metaSyncNote); err == nil {
		_ = json.Unmarshal(b, &n)
	}
	n.LastAttempt = at
	switch {
	case syncErr == nil:
		n.LastOK, n.LastError = at, ""
	case errors.Is(syncErr, ErrHeldBack):
		n.LastOK, n.LastError = at, syncErr.Error() // synced, with a warning
	default:
		n.LastError = syncErr.Error()
	}
	b, _ := json.Marshal(n)
	return s.st.SetMeta(ctx, map[string][]byte{metaSyncNote: b})
}

// PendingOps returns this device's operations after seq after, at most
// maxOps of them and about maxBytes on the wire: the next change set to
// push, and its size (OpFormat.Size, computed rather than encoded:
// encoding each operation to measure it was a fifth of the laptop's CPU in
// a long push).
func (s *Service) PendingOps(ctx context.Context, after uint64, maxOps, maxBytes int) ([]*changeset.Op, int, error) {
	var out []*changeset.Op
	size := 0
	errFull := errors.New("full")
	err := s.st.Ops(ctx, s.Device().ID, after, func(op *changeset.Op) error {
		n := s.wire.Size(op)
		if len(out) > 0 && (len(out) >= maxOps || size+n > maxBytes) {
			return errFull
		}
		size += n
		out = append(out, op)
		return nil
	})
	if err != nil && !errors.Is(err, errFull) {
		return nil, 0, err
	}
	return out, size, nil
}

// PendingEncoded is PendingOps with the operations left in their storage
// encoding (changeset.EncodedOp), what a push writes to its body from,
// and the change set cut by the encodings' sizes: at most maxOps, and
// about maxBytes of encodings (at least one). Decoding each operation
// into a map of its fields, and sizing it as JSON (OpFormat.Size), was a
// quarter of a long push's laptop CPU. The binary body is smaller than
// the encodings (names and ids written once), the JSON body at most a
// few tens of bytes a field larger.
func (s *Service) PendingEncoded(ctx context.Context, after uint64, maxOps, maxBytes int) ([]changeset.EncodedOp, int, error) {
	var out []changeset.EncodedOp
	size := 0
	errFull := errors.New("full")
	err := s.st.EncodedOps(ctx, s.Device().ID, after, func(e *changeset.EncodedOp) error {
		n := e.Size()
		if len(out) > 0 && (len(out) >= maxOps || size+n > maxBytes) {
			return errFull
		}
		if out == nil {
			out = make([]changeset.EncodedOp, 0, min(maxOps, 1<<12))
		}
		size += n
		out = append(out, *e)
		return nil
	})
	if err != nil && !errors.Is(err, errFull) {
		return nil, 0, err
	}
	return out, size, nil
}
