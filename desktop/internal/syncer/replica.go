package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// Replica is what a sync needs of the laptop's store: its identity and
// enrollment, its own operations not yet acknowledged, the pulled pages to
// merge, and the state of the sync. records.Service is one; the syncer
// asks nothing else of it.
type Replica interface {
	// Device is this laptop's identity; Seq the number of its newest
	// operation (its operations are numbered 1, 2, ... without gaps).
	Device() records.Device
	Seq() uint64
	// Enrollment is the server this laptop syncs with
	// (records.ErrNotEnrolled before Enroll); Enroll records one, and
	// starts the pull from the beginning of the server's log.
	Enrollment(ctx context.Context) (*records.Enrollment, error)
	Enroll(ctx context.Context, e records.Enrollment) error
	// PendingEncoded gives this laptop's operations after seq after, in
	// order, in their storage encoding: at most maxOps, and about
	// maxBytes of encodings (at least one), with their size.
	PendingEncoded(ctx context.Context, after uint64, maxOps, maxBytes int) ([]changeset.EncodedOp, int, error)
	// SetAcked records what the server acknowledged (every operation up
	// to acked) and refused; it never moves acked back.
	SetAcked(ctx context.Context, acked uint64, refused []records.Refusal) error
	// ApplyPulled merges a pulled page and moves the cursor to cursor in
	// the same commit; what may not be merged, and what did not decode,
	// is held back. Applying a page again changes nothing.
	ApplyPulled(ctx context.Context, ops []*changeset.Op, unreadable []records.Unreadable, cursor uint64) (records.ApplyResult, error)
	// BulkLoad says whether this sync's pulled pages are to be applied
	// in bulk (a store with no records yet, or a bulk load not caught up);
	// ApplyBulk applies many pages at once, as ApplyPulled does, done
	// saying the pull has caught up with the server. BeginBulkLoad marks
	// the bulk load under way, durably, before its first window is
	// written, so that a crash inside that window resumes it in bulk.
	// ApplyBulk's operations must each have passed Op.Validate (pageOps
	// and decodePage validate every one): it does not check them again.
	BulkLoad(ctx context.Context) (bool, error)
	BeginBulkLoad(ctx context.Context) error
	ApplyBulk(ctx context.Context, ops []*changeset.Op, unreadable []records.Unreadable, cursor uint64, done bool) (records.ApplyResult, error)
	// ReleaseHeld merges what was held back for its clock once this
	// laptop's clock is within reach of it; HoldBackFuture undoes, once,
	// what an older version merged from clocks far ahead; Restamp stamps
	// this laptop's operations from seq from again after what they follow
	// (a clock that was wrong). Each reports what it changed.
	ReleaseHeld(ctx context.Context) (records.ApplyResult, error)
	HoldBackFuture(ctx context.Context) (int, error)
	Restamp(ctx context.Context, from uint64) (int, error)
	// SyncState is the cursor, what is acknowledged and pending, and the
	// last outcome, which NoteSync records.
	SyncState(ctx context.Context) (records.SyncState, error)
	NoteSync(ctx context.Context, at time.Time, syncErr error) error
	// Subscribe announces every save (the loop syncs soon after one).
	Subscribe() (<-chan []records.Changed, func())
}

var _ Replica = (*records.Service)(nil)

// WireFormat is the protocol's form of an operation, which records keeps
// what it holds back in and sizes pages by (records.OpFormat): the app
// opens its records with it.
type WireFormat struct{}

var _ records.OpFormat = WireFormat{}

func (WireFormat) Marshal(op *changeset.Op) ([]byte, error) {
	return json.Marshal(syncproto.ToWire(op))
}

func (WireFormat) Unmarshal(b []byte) (*changeset.Op, error) {
	var w syncproto.WireOp
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	return syncproto.FromWire(w)
}

func (WireFormat) Size(op *changeset.Op) int { return syncproto.WireSize(op) }

// pageOps is the page of an answer as the laptop applies it: a binary
// page's operations (decoded as changeset.Ops, one map each and the
// page's strings shared) that validate, and the others as JSON, with why,
// to be held back as decodePage holds back a JSON page's.
func pageOps(resp *syncproto.SyncResponse) ([]*changeset.Op, []records.Unreadable) {
	if resp.Page == nil {
		return decodePage(resp.Ops)
	}
	ops := make([]*changeset.Op, 0, len(resp.Page))
	var bad []records.Unreadable
	for _, o := range resp.Page {
		if err := o.Validate(); err != nil {
			bad = append(bad, records.Unreadable{Raw: heldRaw(o), Reason: fmt.Sprintf("operation %s/%d: %v", o.Device, o.Seq, err)})
			continue
		}
		ops = append(ops, o)
	}
	return ops, bad
}

// heldRaw is what is kept of a binary page's operation held back: its
// JSON, with a value that is not JSON (a binary page carries any bytes)
// kept as a JSON string of its bytes, so that nothing that came is lost.
func heldRaw(o *changeset.Op) []byte {
	w := syncproto.ToWire(o)
	for name, c := range w.Fields {
		if !json.Valid(c.V) {
			c.V, _ = json.Marshal(string(c.V))
			w.Fields[name] = c
		}
	}
	raw, _ := json.Marshal(w)
	return raw
}

// decodePage converts a pulled page as the server sent it: the operations
// that decode, and the others as they came, with why, to be held back
// rather than fail the pull (so no single operation can stop a laptop's
// pull).
func decodePage(page []syncproto.WireOp) ([]*changeset.Op, []records.Unreadable) {
	ops := make([]*changeset.Op, 0, len(page))
	var bad []records.Unreadable
	for i := range page {
		op, err := syncproto.FromWire(page[i])
		if err != nil {
			raw, _ := json.Marshal(page[i])
			bad = append(bad, records.Unreadable{Raw: raw, Reason: err.Error()})
			continue
		}
		ops = append(ops, op)
	}
	return ops, bad
}
