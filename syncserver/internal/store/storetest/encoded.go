package storetest

import (
	"bytes"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// EncodedStates (an engine's optional extra: badgerstore has it, pgstore
// does not and passes by the skip) gives a state read ahead as its
// encoding only while it is what the last commit left, and once; a state
// put as its encoding is what every later read gives, in the transaction,
// after its commit and after a restart, whether the record was read
// before or is new.
func testEncodedStates(t *testing.T, h *handle) {
	sa, ahead := h.st.(store.StatesAhead)
	var probe bool
	h.st.Append(ctx, func(w store.LogTx) error { _, probe = w.(store.EncodedStates); return nil })
	if !ahead || !probe {
		t.Skip("the engine gives no state as its encoding: every state is read decoded and put with PutState")
	}
	state := func(id, v string) *changeset.State {
		var s changeset.State
		if _, _, err := s.Apply(newOp("d", 1, domain.KindAppeal, id, "NRN-ATB", v)); err != nil {
			t.Fatal(err)
		}
		return &s
	}
	encode := func(s *changeset.State) []byte {
		b, err := s.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kept, moved, none, fresh := domain.NewID(), domain.NewID(), domain.NewID(), domain.NewID()
	if err := h.st.Append(ctx, func(w store.LogTx) error {
		for _, id := range []string{kept, moved} {
			if err := w.PutState(state(id, "stored")); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	keys := []store.RecordKey{{Kind: domain.KindAppeal, ID: kept}, {Kind: domain.KindAppeal, ID: moved}, {Kind: domain.KindAppeal, ID: none}}
	a := sa.StatesAhead(ctx, keys)
	// moved is put again after it was read ahead: what was read is old.
	if err := h.st.Append(ctx, func(w store.LogTx) error { return w.PutState(state(moved, "moved")) }); err != nil {
		t.Fatal(err)
	}
	op := newOp("d", 2, domain.KindAppeal, kept, "NRN-ATB", "merged")
	given := false
	err := h.st.Append(ctx, func(w store.LogTx) error {
		es := w.(store.EncodedStates)
		if enc, ok := es.EncodedStateAhead(a, domain.KindAppeal, moved); ok {
			if s, err := changeset.DecodeState(enc); err != nil || string(s.Fields["summary"].Value) != `"moved"` {
				t.Errorf("a state put after it was read ahead, given as its encoding: %+v, %v", s, err)
			}
		}
		if enc, ok := es.EncodedStateAhead(a, domain.KindAppeal, none); ok {
			t.Errorf("a record with no state given an encoding: %q", enc)
		}
		enc, ok := es.EncodedStateAhead(a, domain.KindAppeal, kept)
		given = ok
		if ok {
			if want := encode(state(kept, "stored")); !bytes.Equal(enc, want) {
				t.Errorf("the encoding given ahead:\n%q\nwant what AppendBinary writes:\n%q", enc, want)
			}
			if again, ok := es.EncodedStateAhead(a, domain.KindAppeal, kept); ok {
				t.Errorf("a state read ahead given twice: %q", again)
			}
		} else {
			s, err := w.State(domain.KindAppeal, kept)
			if err != nil || s == nil {
				return err
			}
			enc = encode(s)
		}
		merged, _, _, err := changeset.MergeEncoded(nil, enc, op)
		if err != nil {
			return err
		}
		if err := es.PutEncodedState(domain.KindAppeal, kept, merged); err != nil {
			return err
		}
		created := encode(state(fresh, "fresh"))
		if err := es.PutEncodedState(domain.KindAppeal, fresh, created); err != nil {
			return err
		}
		// The caller may reuse what it put.
		for i := range merged {
			merged[i] = 0
		}
		for i := range created {
			created[i] = 0
		}
		for id, want := range map[string]string{kept: `"merged"`, fresh: `"fresh"`} {
			if s, err := w.State(domain.KindAppeal, id); err != nil || s == nil || string(s.Fields["summary"].Value) != want {
				t.Errorf("a state put as its encoding, read in its transaction: %+v, %v; want summary %s", s, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !given {
		t.Log("the engine gave no state ahead as its encoding")
	}
	check := func(when string) {
		t.Helper()
		for id, want := range map[string]string{kept: `"merged"`, fresh: `"fresh"`, moved: `"moved"`} {
			s, err := h.st.State(ctx, domain.KindAppeal, id)
			if err != nil || string(s.Fields["summary"].Value) != want {
				t.Fatalf("%s: state %s: %+v, %v; want summary %s", when, id, s, err, want)
			}
		}
		if s, _ := h.st.State(ctx, domain.KindAppeal, kept); s.Updated != op.HLC || s.Fields["summary"].Device != "d" {
			t.Fatalf("%s: the merged state's clocks: %+v", when, s)
		}
		n := 0
		if err := h.st.EachState(ctx, domain.KindAppeal, func(*changeset.State) error { n++; return nil }); err != nil || n != 3 {
			t.Fatalf("%s: EachState: %d states, %v; want 3", when, n, err)
		}
	}
	check("after the commit")
	// Read ahead again and taken by StateAhead: the merged state.
	if err := h.st.Append(ctx, func(w store.LogTx) error {
		s, err := w.(store.AheadReader).StateAhead(sa.StatesAhead(ctx, keys[:1]), domain.KindAppeal, kept)
		if err != nil || s == nil || string(s.Fields["summary"].Value) != `"merged"` {
			t.Errorf("the merged state read ahead: %+v, %v", s, err)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if h.reopen() {
		check("after a restart")
	}
}
