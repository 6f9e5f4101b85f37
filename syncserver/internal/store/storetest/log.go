package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// The store gives sequence numbers 1, 2, 3... in the order operations are
// accepted, across transactions, and keeps each operation as it was.
func testAppendAssignsSequence(t *testing.T, h *handle) {
	st := h.st
	if n := head(t, st); n != 0 {
		t.Fatalf("a new store's head is %d", n)
	}
	a, b := domain.NewID(), domain.NewID()
	r := domain.NewID()
	first := []*changeset.Op{newOp(a, 1, "appeal", r, "NRN-ATB", "1"), newOp(b, 1, "appeal", domain.NewID(), "OSH-ARA", "2"), newOp(a, 2, "appeal", r, "NRN-ATB", "3")}
	if got := accept(t, st, byCouncil, first...); !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Fatalf("first transaction got %v, want [1 2 3]", got)
	}
	second := []*changeset.Op{newOp(b, 2, "council", "NRN-ATB", "", "4")}
	if got := accept(t, st, byCouncil, second...); !slices.Equal(got, []uint64{4}) {
		t.Fatalf("second transaction got %v, want [4]", got)
	}
	if n := head(t, st); n != 4 {
		t.Fatalf("head %d, want 4", n)
	}
	seqs, ops := logged(t, st)
	want := append(first, second...)
	if !slices.Equal(seqs, []uint64{1, 2, 3, 4}) {
		t.Fatalf("the log holds %v", seqs)
	}
	for i := range ops {
		sameOp(t, "log entry", ops[i], want[i])
	}
	if _, after := logged2(t, st, 2); !slices.Equal(after, []uint64{3, 4}) {
		t.Fatalf("EachOp after 2: %v", after)
	}
	err := st.ReadLog(ctx, func(x store.LogReader) error {
		for i, op := range want {
			j, err := x.Judgement(op.Device, op.Seq)
			if err != nil {
				return err
			}
			if j == nil || j.ServerSeq != uint64(i+1) || j.HLC != uint64(op.HLC) || j.Kind != op.Kind || j.Record != op.Record || j.Code != "" {
				t.Errorf("judgement of %s: %+v, want accepted as %d", op.ID(), j, i+1)
			}
		}
		if j, err := x.Judgement(a, 3); err != nil || j != nil {
			t.Errorf("judgement of an operation never pushed: %+v, %v", j, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if acked(t, st, a) != 2 || acked(t, st, b) != 2 || acked(t, st, domain.NewID()) != 0 {
		t.Fatalf("acked: %d and %d, want 2 and 2", acked(t, st, a), acked(t, st, b))
	}
}

func logged2(t testing.TB, st store.Store, after uint64) ([]*changeset.Op, []uint64) {
	t.Helper()
	var ops []*changeset.Op
	var seqs []uint64
	err := st.EachOp(ctx, after, func(seq uint64, op *changeset.Op) error {
		seqs, ops = append(seqs, seq), append(ops, op)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ops, seqs
}

// An Append whose function fails writes nothing: no log entry, head,
// judgement, acknowledgement, state, conflict or clock; its error comes
// back as it is; and the sequence numbers it took are given again.
func testAppendIsAtomic(t *testing.T, h *handle) {
	st := h.st
	dev, rec := domain.NewID(), domain.NewID()
	accept(t, st, byCouncil, newOp(dev, 1, "appeal", rec, "NRN-ATB", "kept"))
	err := st.Append(ctx, func(w store.LogTx) error {
		if _, err := w.Accept(newOp(dev, 2, "appeal", rec, "NRN-ATB", "lost"), store.Index{Council: "NRN-ATB"}); err != nil {
			return err
		}
		if err := w.Refuse(store.Refusal{Device: dev, Seq: 3, HLC: uint64(base) + 3<<16, Kind: "appeal", Record: rec, Code: "forbidden", Message: "m"}); err != nil {
			return err
		}
		if err := w.PutState(&changeset.State{Kind: "appeal", ID: rec, Council: "NRN-ATB", Fields: map[string]changeset.FieldValue{}}); err != nil {
			return err
		}
		if err := w.PutConflict(changeset.Conflict{Kind: "appeal", Record: rec, Field: "summary"}); err != nil {
			return err
		}
		if err := w.SetClock(base + 99); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Append returned %v, want the function's error", err)
	}
	if n := head(t, st); n != 1 {
		t.Fatalf("head %d after a failed Append, want 1", n)
	}
	if seqs, _ := logged(t, st); !slices.Equal(seqs, []uint64{1}) {
		t.Fatalf("the log holds %v after a failed Append", seqs)
	}
	if n := acked(t, st, dev); n != 1 {
		t.Fatalf("acked %d after a failed Append, want 1", n)
	}
	if _, err := st.State(ctx, "appeal", rec); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a state of a failed Append: %v", err)
	}
	n := 0
	st.Conflicts(ctx, func(changeset.Conflict) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d conflicts of a failed Append", n)
	}
	st.Append(ctx, func(w store.LogTx) error {
		if c, err := w.Clock(); err != nil || c != 0 {
			t.Errorf("the clock of a failed Append: %v, %v", c, err)
		}
		return nil
	})
	if got := accept(t, st, byCouncil, newOp(dev, 2, "appeal", rec, "NRN-ATB", "again")); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("the next Append got %v, want [2]", got)
	}
}

// A device's operations are judged only in order: a gap, or one judged
// already, is ErrSequence.
func testDeviceSequence(t *testing.T, h *handle) {
	st := h.st
	dev := domain.NewID()
	accept(t, st, byCouncil, newOp(dev, 1, "appeal", domain.NewID(), "NRN-ATB", "1"))
	for _, tc := range []struct {
		name string
		fn   func(w store.LogTx) error
	}{
		{"accepted again", func(w store.LogTx) error {
			_, err := w.Accept(newOp(dev, 1, "appeal", domain.NewID(), "NRN-ATB", "x"), store.Index{Council: "NRN-ATB"})
			return err
		}},
		{"a gap", func(w store.LogTx) error {
			_, err := w.Accept(newOp(dev, 3, "appeal", domain.NewID(), "NRN-ATB", "x"), store.Index{Council: "NRN-ATB"})
			return err
		}},
		{"refused again", func(w store.LogTx) error {
			return w.Refuse(store.Refusal{Device: dev, Seq: 1, Kind: "appeal", Record: "r", Code: "invalid"})
		}},
		{"refused after a gap", func(w store.LogTx) error {
			return w.Refuse(store.Refusal{Device: dev, Seq: 5, Kind: "appeal", Record: "r", Code: "invalid"})
		}},
		{"twice in one transaction", func(w store.LogTx) error {
			if _, err := w.Accept(newOp(dev, 2, "appeal", domain.NewID(), "NRN-ATB", "x"), store.Index{Council: "NRN-ATB"}); err != nil {
				return err
			}
			_, err := w.Accept(newOp(dev, 2, "appeal", domain.NewID(), "NRN-ATB", "y"), store.Index{Council: "NRN-ATB"})
			return err
		}},
	} {
		if err := st.Append(ctx, tc.fn); !errors.Is(err, store.ErrSequence) {
			t.Errorf("%s: %v, want ErrSequence", tc.name, err)
		}
	}
	if n, a := head(t, st), acked(t, st, dev); n != 1 || a != 1 {
		t.Fatalf("after refused sequences: head %d, acked %d; want 1 and 1", n, a)
	}
}

// The same change set written twice (a laptop's resend after its answer
// was lost, or a crash between commit and answer): the second changes
// nothing, and every operation is in the log once.
func testSameChangeSetTwice(t *testing.T, h *handle) {
	st := h.st
	dev := domain.NewID()
	var set []*changeset.Op
	for i := 1; i <= 20; i++ {
		set = append(set, newOp(dev, uint64(i), "appeal", domain.NewID(), "NRN-ATB", "x"))
	}
	write := func() error {
		return st.Append(ctx, func(w store.LogTx) error {
			for i, op := range set {
				if i%5 == 4 {
					if err := w.Refuse(store.Refusal{Device: dev, Seq: op.Seq, HLC: uint64(op.HLC), Kind: op.Kind, Record: op.Record, Code: "forbidden", Message: "no"}); err != nil {
						return err
					}
					continue
				}
				if _, err := w.Accept(op, store.Index{Council: "NRN-ATB"}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	seqs1, _ := logged(t, st)
	if err := write(); !errors.Is(err, store.ErrSequence) {
		t.Fatalf("the same change set again: %v, want ErrSequence", err)
	}
	if h.reopen() {
		st = h.st
		if err := write(); !errors.Is(err, store.ErrSequence) {
			t.Fatalf("the same change set after a restart: %v, want ErrSequence", err)
		}
	}
	seqs2, ops := logged(t, st)
	if !slices.Equal(seqs1, seqs2) || len(seqs2) != 16 || head(t, st) != 16 || acked(t, st, dev) != 20 {
		t.Fatalf("after the change set twice: log %v (was %v), head %d, acked %d", seqs2, seqs1, head(t, st), acked(t, st, dev))
	}
	seen := map[string]bool{}
	for _, op := range ops {
		if seen[op.ID()] {
			t.Fatalf("%s is in the log twice", op.ID())
		}
		seen[op.ID()] = true
	}
}

// Refused operations are judged (a resend is told again), kept for audit
// as they came, and not logged.
func testRefusals(t *testing.T, h *handle) {
	st := h.st
	dev := domain.NewID()
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	raw := json.RawMessage(`{"dv":"x","sq":1,"k":"appeal","r":"Ат-Башы"}`)
	err := st.Append(ctx, func(w store.LogTx) error {
		if err := w.Refuse(store.Refusal{Device: dev, Seq: 1, HLC: 7, Kind: "appeal", Record: "r1", Code: "forbidden", Message: "кеңеш: not yours", Op: raw, At: at}); err != nil {
			return err
		}
		if _, err := w.Accept(newOp(dev, 2, "appeal", "r2", "NRN-ATB", "x"), store.Index{Council: "NRN-ATB"}); err != nil {
			return err
		}
		return w.Refuse(store.Refusal{Device: dev, Seq: 3, HLC: 9, Kind: "event", Record: "r3", Code: "invalid", Message: "bad", Op: json.RawMessage(`{}`), At: at})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := head(t, st); n != 1 {
		t.Fatalf("head %d: refusals were logged", n)
	}
	var got []store.Refusal
	if err := st.Refusals(ctx, dev, func(r store.Refusal) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Seq != 1 || got[1].Seq != 3 {
		t.Fatalf("refusals: %+v", got)
	}
	r := got[0]
	if r.Device != dev || r.Code != "forbidden" || r.Message != "кеңеш: not yours" || string(r.Op) != string(raw) || !r.At.Equal(at) || r.HLC != 7 || r.Kind != "appeal" || r.Record != "r1" {
		t.Fatalf("refusal read back: %+v", r)
	}
	err = st.ReadLog(ctx, func(x store.LogReader) error {
		j, err := x.Judgement(dev, 3)
		if err != nil {
			return err
		}
		if j == nil || j.ServerSeq != 0 || j.Code != "invalid" || j.Message != "bad" || j.HLC != 9 || j.Kind != "event" || j.Record != "r3" {
			t.Errorf("judgement of a refusal: %+v", j)
		}
		if n, err := x.Acked(dev); err != nil || n != 3 {
			t.Errorf("acked %d, %v; want 3", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Refusals(ctx, domain.NewID(), func(store.Refusal) error { t.Error("another device's refusal"); return nil }); err != nil {
		t.Fatal(err)
	}

	// An operation longer than store.MaxRefusedOp is kept as its summary
	// (store.CutRefusedOp): its head, not the 64 KiB an attacker sent.
	big := json.RawMessage(`{"dv":"` + dev + `","sq":4,"k":"appeal","r":"r4","a":"update","u":"` + strings.Repeat("u", 64<<10) + `","f":{}}`)
	err = st.Append(ctx, func(w store.LogTx) error {
		return w.Refuse(store.Refusal{Device: dev, Seq: 4, HLC: 11, Kind: "appeal", Record: "r4", Code: "invalid", Message: "no fields", Op: big, At: at})
	})
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	if err := st.Refusals(ctx, dev, func(r store.Refusal) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2].Seq != 4 {
		t.Fatalf("refusals: %+v", got)
	}
	r = got[2]
	if want := store.CutRefusedOp(big); len(r.Op) > store.MaxRefusedOp || string(r.Op) != string(want) || r.Code != "invalid" || r.Record != "r4" {
		t.Fatalf("a long operation's refusal read back: %d bytes, %+v; want its summary, %s", len(r.Op), r, want)
	}
	var head struct {
		Kind   string `json:"k"`
		Record string `json:"r"`
		Cut    struct {
			Bytes int `json:"bytes"`
		} `json:"cut"`
	}
	if err := json.Unmarshal(r.Op, &head); err != nil || head.Kind != "appeal" || head.Record != "r4" || head.Cut.Bytes != len(big) {
		t.Fatalf("a long operation's summary: %s (%v)", r.Op, err)
	}
}

// Inside an Append, reads see the transaction's own writes.
func testReadsOwnWrites(t *testing.T, h *handle) {
	dev, rec := domain.NewID(), domain.NewID()
	err := h.st.Append(ctx, func(w store.LogTx) error {
		seq, err := w.Accept(newOp(dev, 1, "appeal", rec, "NRN-ATB", "x"), store.Index{Council: "NRN-ATB"})
		if err != nil {
			return err
		}
		if n, err := w.Acked(dev); err != nil || n != 1 {
			t.Errorf("acked in the transaction: %d, %v", n, err)
		}
		if j, err := w.Judgement(dev, 1); err != nil || j == nil || j.ServerSeq != seq {
			t.Errorf("judgement in the transaction: %+v, %v", j, err)
		}
		st := &changeset.State{Kind: "appeal", ID: rec, Council: "NRN-ATB", Fields: map[string]changeset.FieldValue{
			"summary": {Value: json.RawMessage(`"x"`), HLC: base, Device: dev, Seq: 1}}, Created: base, Updated: base}
		if err := w.PutState(st); err != nil {
			return err
		}
		got, err := w.State("appeal", rec)
		if err != nil || got == nil || string(got.Fields["summary"].Value) != `"x"` {
			t.Errorf("state in the transaction: %+v, %v", got, err)
		}
		if err := w.SetClock(base + 5); err != nil {
			return err
		}
		if c, err := w.Clock(); err != nil || c != base+5 {
			t.Errorf("clock in the transaction: %v, %v", c, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The server's clock is 0 on a new store and what the last Append set
// after that, for every later Append and after a restart.
func testClock(t *testing.T, h *handle) {
	read := func() hlc.Timestamp {
		var c hlc.Timestamp
		err := h.st.Append(ctx, func(w store.LogTx) (err error) { c, err = w.Clock(); return err })
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := read(); c != 0 {
		t.Fatalf("a new store's clock: %v", c)
	}
	if err := h.st.Append(ctx, func(w store.LogTx) error { return w.SetClock(base + 42) }); err != nil {
		t.Fatal(err)
	}
	if c := read(); c != base+42 {
		t.Fatalf("clock %v, want %v", c, base+42)
	}
	if h.reopen() {
		if c := read(); c != base+42 {
			t.Fatalf("clock after a restart %v, want %v", c, base+42)
		}
	}
}

// States are kept whole, replaced by the next put, listed by kind.
func testStates(t *testing.T, h *handle) {
	st := h.st
	mk := func(kind, id, v string) *changeset.State {
		var s changeset.State
		op := newOp(domain.NewID(), 1, kind, id, "NRN-ATB", v)
		if _, _, err := s.Apply(op); err != nil {
			t.Fatal(err)
		}
		return &s
	}
	a1, a2, c1 := mk("appeal", domain.NewID(), "бир"), mk("appeal", domain.NewID(), "эки"), mk("council", "NRN-ATB", "кеңеш")
	err := st.Append(ctx, func(w store.LogTx) error {
		for _, s := range []*changeset.State{a1, a2, c1} {
			if err := w.PutState(s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.State(ctx, "appeal", a1.ID)
	if err != nil || string(got.Fields["summary"].Value) != `"бир"` || got.Council != "NRN-ATB" || got.Created != a1.Created {
		t.Fatalf("state read back: %+v, %v", got, err)
	}
	if _, err := st.State(ctx, "appeal", domain.NewID()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown record: %v, want ErrNotFound", err)
	}
	if _, err := st.State(ctx, "appeal", "a:b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an invalid id: %v, want ErrNotFound", err)
	}
	// Replaced.
	a1.Fields["summary"] = changeset.FieldValue{Value: json.RawMessage(`"үч"`), HLC: base + 1<<16, Device: "d"}
	if err := st.Append(ctx, func(w store.LogTx) error { return w.PutState(a1) }); err != nil {
		t.Fatal(err)
	}
	if got, err := st.State(ctx, "appeal", a1.ID); err != nil || string(got.Fields["summary"].Value) != `"үч"` {
		t.Fatalf("the replaced state: %+v, %v", got, err)
	}
	count := func(kind string) (n int) {
		if err := st.EachState(ctx, kind, func(*changeset.State) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count("appeal") != 2 || count("council") != 1 || count("") != 3 || count("event") != 0 {
		t.Fatalf("EachState: appeal %d, council %d, all %d", count("appeal"), count("council"), count(""))
	}
	// Kinds whose names begin alike are not mixed.
	if err := st.Append(ctx, func(w store.LogTx) error { return w.PutState(mk("appealx", domain.NewID(), "x")) }); err != nil {
		t.Fatal(err)
	}
	if count("appeal") != 2 {
		t.Fatalf("EachState(appeal) counts another kind: %d", count("appeal"))
	}
}

// Conflicts are kept; the same conflict put again is kept once.
func testConflicts(t *testing.T, h *handle) {
	rec := domain.NewID()
	c := changeset.Conflict{Kind: "appeal", Record: rec, Field: "summary",
		Winner: changeset.FieldValue{Value: json.RawMessage(`"a"`), HLC: base + 2, Device: "d2"},
		Loser:  changeset.FieldValue{Value: json.RawMessage(`"b"`), HLC: base + 1, Device: "d1"}}
	other := c
	other.Field = "status"
	for i := 0; i < 2; i++ {
		if err := h.st.Append(ctx, func(w store.LogTx) error {
			if err := w.PutConflict(c); err != nil {
				return err
			}
			return w.PutConflict(other)
		}); err != nil {
			t.Fatal(err)
		}
	}
	var got []changeset.Conflict
	if err := h.st.Conflicts(ctx, func(c changeset.Conflict) error { got = append(got, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d conflicts kept, want 2: %+v", len(got), got)
	}
	for _, g := range got {
		if g.Record != rec || string(g.Loser.Value) != `"b"` || string(g.Winner.Value) != `"a"` {
			t.Fatalf("conflict read back: %+v", g)
		}
	}
}

// Authored: any judged operation of the device, accepted or refused.
func testAuthored(t *testing.T, h *handle) {
	acc, ref, none := domain.NewID(), domain.NewID(), domain.NewID()
	accept(t, h.st, byCouncil, newOp(acc, 1, "appeal", domain.NewID(), "NRN-ATB", "x"))
	if err := h.st.Append(ctx, func(w store.LogTx) error {
		return w.Refuse(store.Refusal{Device: ref, Seq: 1, Kind: "appeal", Record: "r", Code: "forbidden"})
	}); err != nil {
		t.Fatal(err)
	}
	err := h.st.View(ctx, func(x store.DirTx) error {
		for id, want := range map[string]bool{acc: true, ref: true, none: false, "a:b": false} {
			if got, err := x.Authored(id); err != nil || got != want {
				t.Errorf("Authored(%s) = %v, %v; want %v", id, got, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A cancelled context writes nothing.
func testCancelled(t *testing.T, h *handle) {
	c, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	err := h.st.Append(c, func(w store.LogTx) error {
		ran = true
		_, err := w.Accept(newOp(domain.NewID(), 1, "appeal", domain.NewID(), "NRN-ATB", "x"), store.Index{Council: "NRN-ATB"})
		return err
	})
	if err == nil {
		t.Fatalf("Append with a cancelled context succeeded (ran: %v)", ran)
	}
	if n := head(t, h.st); n != 0 {
		t.Fatalf("head %d after a cancelled Append", n)
	}
	if err := h.st.Update(c, func(store.DirTx) error { return nil }); err == nil {
		t.Fatal("Update with a cancelled context succeeded")
	}
}
