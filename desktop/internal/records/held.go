package records

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/policy"
)

// MaxAhead is how far ahead of this laptop's clock a pulled operation's
// clock may be and still be merged: the bound hlc.Clock.Observe follows.
//
// Why a pulled operation from further ahead is held back rather than
// clamped: the merge must give the same record on every replica, whatever
// their clocks. Clamping to "now + MaxAhead" would give each laptop its
// own value for the operation's clock (each clamps at its own now), so
// laptops would pick different winners for the same field and never
// agree again. Holding back is a decision about *when* to merge, not
// *how*: an operation is merged, exactly as it came, once this laptop's
// clock is within MaxAhead of it, so replicas that hold the same
// operations hold the same records. An honest server refuses operations
// that far ahead (the protocol's clock refusal), so what it sends is within the
// bound and nothing waits; what does wait comes from a malicious server or
// from data taken in before servers refused it. An operation stamped
// 9999-12-31 then waits forever instead of freezing its fields forever
// (it would win against every later edit and against a person's
// resolution). It is kept, not dropped, and counted in SyncState.
const MaxAhead = hlc.DefaultMaxDrift

// Why a pulled operation was held back (HeldOp.Code).
const (
	HeldFuture      = "future_clock"  // stamped more than MaxAhead ahead of this laptop's clock; merged once it is not
	HeldNotReadable = "not_readable"  // for a council (or kind) this laptop may not read
	HeldForgedOwn   = "forged_own"    // claims to be this laptop's own, but this laptop never made it
	HeldMalformed   = "malformed"     // does not decode or is not a valid operation
	HeldCouncil     = "council_moved" // would move a record to another council, which is fixed at creation
)

// HeldOp is a pulled operation this laptop did not merge, kept as the
// server sent it (Options.Format), with the reason.
type HeldOp struct {
	Op      json.RawMessage `json:"op"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	At      time.Time       `json:"at"`
}

// ErrHeldBack means a pull brought operations this laptop did not merge
// (see HeldOp): the rest of the pull was merged, and the user should tell
// the administrator, since an honest server sends none.
var ErrHeldBack = errors.New("the server sent changes this laptop does not accept; they were set aside, not applied")

// held is a pulled operation to hold back, with its key.
type held struct {
	key string
	op  HeldOp
}

// heldOf holds back op, or raw (an operation as the server sent it, which
// did not decode) when op is nil.
func (s *Service) heldOf(op *changeset.Op, raw json.RawMessage, code, msg string) held {
	if op != nil {
		if b, err := s.wire.Marshal(op); err == nil && json.Valid(b) {
			raw = b
		}
	}
	if !json.Valid(raw) {
		q, _ := json.Marshal(string(raw)) // kept as text, whatever it was
		raw = q
	}
	key := ""
	if op != nil && validKeyPart(op.Device) {
		key = op.Device + "/" + strconv.FormatUint(op.Seq, 10)
	} else {
		sum := sha256.Sum256(raw)
		key = "x/" + hex.EncodeToString(sum[:])
	}
	return held{key: key, op: HeldOp{Op: raw, Code: code, Message: msg, At: s.now().UTC()}}
}

func validKeyPart(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' || s[i] == 0 {
			return false
		}
	}
	return s != "" && len(s) <= 256
}

// Unreadable is a pulled operation that did not decode: as the server sent
// it, and why it could not be read.
type Unreadable struct {
	Raw    json.RawMessage
	Reason string
}

// ApplyPulled applies a pulled page (ApplyRemote): the operations that
// decoded, and those that did not, which are held back with the rest of
// what the page may not change instead of failing the pull, so no single
// operation can stop a laptop from pulling.
func (s *Service) ApplyPulled(ctx context.Context, ops []*changeset.Op, unreadable []Unreadable, cursor uint64) (ApplyResult, error) {
	bad := make([]held, 0, len(unreadable))
	for _, u := range unreadable {
		bad = append(bad, s.heldOf(nil, u.Raw, HeldMalformed, u.Reason))
	}
	return s.applyPulled(ctx, ops, bad, cursor)
}

// vet decides whether a pulled operation may be merged here; a non-empty
// code says why not. cur is the record's state on this laptop (nil if it
// has none). valid says op has passed Op.Validate already (ApplyBulk's
// operations): it is not validated again.
func (s *Service) vet(ctx context.Context, op *changeset.Op, cur *changeset.State, valid bool) (code, msg string) {
	if !valid {
		if err := op.Validate(); err != nil {
			return HeldMalformed, err.Error()
		}
	}
	if !validKeyPart(op.Device) || !validKeyPart(op.Kind) || !validKeyPart(op.Record) || op.Council != "" && !validKeyPart(op.Council) {
		return HeldMalformed, fmt.Sprintf("operation %s: its device, kind, record or council is empty, over 256 bytes, or holds ':'", op.ID())
	}
	if op.Device == s.dev.ID {
		mine, err := s.st.Op(ctx, op.Device, op.Seq)
		if err == nil && mine.HLC == op.HLC && mine.Kind == op.Kind && mine.Record == op.Record {
			return "", "" // our own, held already (skipped by the caller)
		}
		return HeldForgedOwn, fmt.Sprintf("operation %s claims to be this laptop's, but this laptop did not make it", op.ID())
	}
	if s.tooFarAhead(op.HLC) {
		return HeldFuture, fmt.Sprintf("operation %s is stamped %s, more than %s ahead of this laptop's clock (%s)", op.ID(),
			op.HLC.Time().Format(time.RFC3339), MaxAhead, s.now().UTC().Format(time.RFC3339))
	}
	if s.writer != nil {
		if !policy.MayRead(*s.writer, op.Kind, op.Council) {
			return HeldNotReadable, fmt.Sprintf("operation %s is for %s %s of council %q, which this laptop may not read", op.ID(), op.Kind, op.Record, op.Council)
		}
		if cur != nil && !policy.MayRead(*s.writer, cur.Kind, cur.Council) {
			return HeldNotReadable, fmt.Sprintf("operation %s changes %s %s of council %q, which this laptop may not read", op.ID(), op.Kind, op.Record, cur.Council)
		}
	}
	if cur != nil && cur.Council != "" && op.Council != "" && op.Council != cur.Council {
		return HeldCouncil, fmt.Sprintf("operation %s would move %s %s from council %s to %s", op.ID(), op.Kind, op.Record, cur.Council, op.Council)
	}
	return "", ""
}

// tooFarAhead reports whether t is more than MaxAhead ahead of this
// laptop's clock (in milliseconds: a Duration overflows for year 9999).
func (s *Service) tooFarAhead(t hlc.Timestamp) bool {
	return t.Millis()-s.now().UnixMilli() > MaxAhead.Milliseconds()
}

// HeldOps lists the pulled operations held back, oldest first by key.
func (s *Service) HeldOps(ctx context.Context) ([]HeldOp, error) {
	var out []HeldOp
	err := s.st.EachHeld(ctx, func(_ string, v []byte) error {
		var h HeldOp
		if err := json.Unmarshal(v, &h); err != nil {
			return fmt.Errorf("damaged held operation: %w", err)
		}
		out = append(out, h)
		return nil
	})
	return out, err
}

// ReleaseHeld merges the operations held back for their clock that this
// laptop's clock has now come within MaxAhead of (its own clock was
// behind, or time has passed).
func (s *Service) ReleaseHeld(ctx context.Context) (ApplyResult, error) {
	var ops []*changeset.Op
	keys := map[*changeset.Op]string{}
	err := s.st.EachHeld(ctx, func(key string, v []byte) error {
		var h HeldOp
		if json.Unmarshal(v, &h) != nil || h.Code != HeldFuture {
			return nil
		}
		op, err := s.wire.Unmarshal(h.Op)
		if err != nil {
			return nil
		}
		if !s.tooFarAhead(op.HLC) {
			ops = append(ops, op)
			keys[op] = key
		}
		return nil
	})
	if err != nil || len(ops) == 0 {
		return ApplyResult{}, err
	}
	return s.applyRemoteChunk(ctx, ops, nil, keys, 0, false)
}

// metaFutureChecked marks a store whose merged records were checked once
// for values from clocks far ahead (HoldBackFuture).
const metaFutureChecked = "future_checked"

// HoldBackFuture undoes, once per store, what versions before held-back
// operations merged: another device's operation stamped more than
// MaxAhead ahead of this laptop's clock (9999-12-31, say) froze its fields,
// winning against every later edit and a person's resolution. Each such
// operation is taken out of its record's history and held back (HeldOp,
// HeldFuture: merged, unchanged, if the clock ever comes within reach of
// it), and the record is merged again from the rest, with its conflicts.
// It returns how many records it changed.
func (s *Service) HoldBackFuture(ctx context.Context) (int, error) {
	if _, err := s.st.Meta(ctx, metaFutureChecked); err == nil {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type rec struct{ kind, id string }
	var found []rec
	err := s.st.EachState(ctx, "", func(st *changeset.State) error {
		for _, f := range st.Fields {
			if f.Device != s.dev.ID && s.tooFarAhead(f.HLC) {
				found = append(found, rec{st.Kind, st.ID})
				break
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var writes []store.Write
	var rows []*index.Row
	var changed []Changed
	for _, r := range found {
		hist, err := s.st.History(ctx, r.kind, r.id)
		if err != nil {
			return 0, err
		}
		var keep []*changeset.Op
		for i := range hist {
			op := &hist[i]
			if op.Device != s.dev.ID && s.tooFarAhead(op.HLC) {
				h := s.heldOf(op, nil, HeldFuture, fmt.Sprintf("operation %s is stamped %s, more than %s ahead of this laptop's clock: merged by an older version, held back now",
					op.ID(), op.HLC.Time().Format(time.RFC3339), MaxAhead))
				b, _ := json.Marshal(h.op)
				writes = append(writes, store.Write{Op: op, Hold: &store.Held{Key: h.key, Value: b}, Withdraw: true})
				continue
			}
			keep = append(keep, op)
		}
		if len(keep) == 0 {
			s.log.Warn("a record made only by operations from far ahead is left as it is", "kind", r.kind, "id", r.id)
			continue
		}
		st, conflicts, err := merge(keep)
		if err != nil {
			return 0, err
		}
		row, err := s.rowFor(st)
		if err != nil {
			return 0, err
		}
		// Its last kept operation, written again unchanged, carries the
		// record merged anew.
		writes = append(writes, store.Write{Op: keep[len(keep)-1], State: st, IndexRow: row.Marshal(), SearchText: []byte(row.Search),
			ReplaceConflicts: true, Conflicts: conflicts})
		rows = append(rows, row)
		changed = append(changed, Changed{Kind: r.kind, ID: r.id})
	}
	s.bulkNew = nil // states written beside a bulk load (see Service)
	if err := s.st.Commit(ctx, writes, map[string][]byte{metaFutureChecked: []byte(s.now().UTC().Format(time.RFC3339))}); err != nil {
		return 0, fmt.Errorf("hold back operations from far ahead: %w", err)
	}
	s.awaitIndexing()
	if err := s.ix.Put(rows...); err != nil {
		s.log.Error("index update failed after holding back operations", "err", err)
	}
	s.notify.send(changed)
	if len(changed) > 0 {
		s.log.Warn("records frozen by operations from far ahead were merged again without them", "records", len(changed))
	}
	return len(changed), nil
}
