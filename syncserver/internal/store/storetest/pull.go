package storetest

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// pullWorld is a log of two councils' laptops, the server's own council
// records and a record only central staff see:
//
//	1 A (NRN-ATB)   2 B (OSH-ARA)   3 S council (global)   4 A (NRN-ATB)
//	5 B (OSH-ARA)   6 C (no index: central staff only)     7 A (NRN-ATB)
type pullWorld struct {
	a, b, c, s string
	ops        []*changeset.Op // in server order
}

func newPullWorld(t testing.TB, st store.Store) *pullWorld {
	w := &pullWorld{a: domain.NewID(), b: domain.NewID(), c: domain.NewID(), s: domain.NewID()}
	w.ops = []*changeset.Op{
		newOp(w.a, 1, "appeal", domain.NewID(), "NRN-ATB", "a1"),
		newOp(w.b, 1, "appeal", domain.NewID(), "OSH-ARA", "b1"),
		newOp(w.s, 1, "council", "TLS-BKR", "", "s1"),
		newOp(w.a, 2, "appeal", domain.NewID(), "NRN-ATB", "a2"),
		newOp(w.b, 2, "event", domain.NewID(), "OSH-ARA", "b2"),
		newOp(w.c, 1, "appeal", domain.NewID(), "NRN-ATB", "c1"),
		newOp(w.a, 3, "appeal", domain.NewID(), "NRN-ATB", "a3"),
	}
	// Two transactions, so that the indexes are written across commits.
	ix := func(op *changeset.Op) store.Index {
		if op.Device == w.c {
			return store.Index{}
		}
		return byCouncil(op)
	}
	accept(t, st, ix, w.ops[:3]...)
	accept(t, st, ix, w.ops[3:]...)
	return w
}

func pullAll(t testing.TB, st store.Store, scope store.Scope, exclude string, after uint64, lim store.PullLimits) (*store.Page, []uint64) {
	t.Helper()
	p, err := st.Pull(ctx, scope, exclude, after, lim)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, op := range p.Ops {
		seqs = append(seqs, seqOf(op))
	}
	return p, seqs
}

// seqOf reads the test's own numbering back from the value ("a2" is A's second).
var worldSeq = map[string]uint64{`"a1"`: 1, `"b1"`: 2, `"s1"`: 3, `"a2"`: 4, `"b2"`: 5, `"c1"`: 6, `"a3"`: 7}

func seqOf(op *changeset.Op) uint64 { return worldSeq[string(op.Fields["summary"].Value)] }

// Each scope sees what it may see, in server order, without the device's
// own operations; a council's scope never sees another council's.
func testPullScopes(t *testing.T, h *handle) {
	w := newPullWorld(t, h.st)
	lim := store.PullLimits{MaxBytes: 1 << 20}
	for _, tc := range []struct {
		name    string
		scope   store.Scope
		exclude string
		want    []uint64
	}{
		{"central staff", store.Scope{All: true}, "", []uint64{1, 2, 3, 4, 5, 6, 7}},
		{"central staff, not its own", store.Scope{All: true}, w.c, []uint64{1, 2, 3, 4, 5, 7}},
		{"a council's laptop", store.Scope{Council: "NRN-ATB", Global: true}, "", []uint64{1, 3, 4, 7}},
		{"a council's laptop, not its own", store.Scope{Council: "NRN-ATB", Global: true}, w.a, []uint64{3}},
		{"the other council", store.Scope{Council: "OSH-ARA", Global: true}, w.b, []uint64{3}},
		{"a trainer", store.Scope{Global: true}, "", []uint64{3}},
		{"the server's own records, not to itself", store.Scope{Global: true}, w.s, nil},
		{"a council without records", store.Scope{Council: "TLS-BKR"}, "", nil},
		{"nothing", store.Scope{}, "", nil},
	} {
		p, got := pullAll(t, h.st, tc.scope, tc.exclude, 0, lim)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: pulled %v, want %v", tc.name, got, tc.want)
		}
		if p.Cursor != 7 || p.Head != 7 || p.More {
			t.Errorf("%s: cursor %d, head %d, more %v; want 7, 7, false (nothing visible left: the cursor goes to the head)", tc.name, p.Cursor, p.Head, p.More)
		}
		for i, op := range p.Ops {
			sameOp(t, tc.name, op, w.ops[got[i]-1])
		}
	}
}

// Paging through with a small page gives exactly what one large page
// gives, in order, each operation once.
func testPullPages(t *testing.T, h *handle) {
	newPullWorld(t, h.st)
	for _, scope := range []store.Scope{{All: true}, {Council: "NRN-ATB", Global: true}, {Council: "OSH-ARA", Global: true}} {
		_, whole := pullAll(t, h.st, scope, "", 0, store.PullLimits{MaxBytes: 1 << 20})
		for _, per := range []int{1, 2, 3} {
			var got []uint64
			cursor, pages := uint64(0), 0
			for {
				p, seqs := pullAll(t, h.st, scope, "", cursor, store.PullLimits{MaxBytes: 1 << 20, MaxOps: per})
				if len(p.Ops) > per {
					t.Fatalf("%+v: a page of %d operations with MaxOps %d", scope, len(p.Ops), per)
				}
				if p.Cursor < cursor {
					t.Fatalf("%+v: the cursor went back from %d to %d", scope, cursor, p.Cursor)
				}
				got = append(got, seqs...)
				cursor = p.Cursor
				if pages++; !p.More || pages > 20 {
					break
				}
			}
			if !slices.Equal(got, whole) || cursor != 7 {
				t.Errorf("%+v in pages of %d: %v ending at %d, want %v ending at 7", scope, per, got, cursor, whole)
			}
		}
	}
}

// A page's bytes, encoding, withheld operations and scan limit.
func testPullLimits(t *testing.T, h *handle) {
	w := newPullWorld(t, h.st)
	encode := func(op *changeset.Op) ([]byte, error) { return json.Marshal(op) }
	one, _ := encode(w.ops[0])

	// The first operation always comes, whatever MaxBytes says.
	p, got := pullAll(t, h.st, store.Scope{All: true}, "", 0, store.PullLimits{MaxBytes: 1, Encode: encode})
	if !slices.Equal(got, []uint64{1}) || !p.More || p.Cursor != 1 {
		t.Fatalf("a page of 1 byte: %v, more %v, cursor %d; want [1], true, 1", got, p.More, p.Cursor)
	}
	if len(p.Encoded) != 1 || string(p.Encoded[0]) != string(one) || p.Bytes != len(one) {
		t.Fatalf("the page's encoding: %q (%d bytes), want %q", p.Encoded, p.Bytes, one)
	}
	// Bytes: two operations fit, the third does not.
	two, _ := encode(w.ops[1])
	p, got = pullAll(t, h.st, store.Scope{All: true}, "", 0, store.PullLimits{MaxBytes: len(one) + len(two), Encode: encode})
	if !slices.Equal(got, []uint64{1, 2}) || !p.More || p.Cursor != 2 {
		t.Fatalf("a page of two operations' bytes: %v, more %v, cursor %d", got, p.More, p.Cursor)
	}
	// Without Encode, the engine's own encoding, counted.
	p, _ = pullAll(t, h.st, store.Scope{All: true}, "", 0, store.PullLimits{MaxBytes: 1 << 20})
	total := 0
	for _, e := range p.Encoded {
		total += len(e)
	}
	if len(p.Encoded) != 7 || total != p.Bytes || total == 0 {
		t.Fatalf("the stored encoding: %d operations, %d bytes counted as %d", len(p.Encoded), total, p.Bytes)
	}
	// With Size (a caller that encodes the page whole), pages are sized
	// by it, MaxOpBytes compares with it, and nothing is encoded.
	size := func(op *changeset.Op) int { b, _ := encode(op); return len(b) }
	p, got = pullAll(t, h.st, store.Scope{All: true}, "", 0, store.PullLimits{MaxBytes: len(one) + len(two), Size: size})
	if !slices.Equal(got, []uint64{1, 2}) || !p.More || p.Cursor != 2 || p.Encoded != nil || p.Bytes != len(one)+len(two) {
		t.Fatalf("a page sized by Size: %v, more %v, cursor %d, %d encoded, %d bytes", got, p.More, p.Cursor, len(p.Encoded), p.Bytes)
	}
	p, got = pullAll(t, h.st, store.Scope{All: true}, "", 0, store.PullLimits{MaxBytes: 1 << 20, Size: size, MaxOpBytes: len(one)})
	if !slices.Contains(got, 1) || len(got)+len(p.Withheld) != 7 || p.Cursor != 7 {
		t.Fatalf("MaxOpBytes with Size: pulled %v, withheld %v, cursor %d", got, p.Withheld, p.Cursor)
	}
	// Names: each operation's field names, sorted, beside it (twice: an
	// engine that keeps the operations it decoded gives them from there
	// the second time); not asked, none.
	if p.Names != nil {
		t.Fatalf("names not asked for, %d given", len(p.Names))
	}
	for range 2 {
		p, _ = pullAll(t, h.st, store.Scope{All: true}, w.b, 0, store.PullLimits{MaxBytes: 1 << 20, Size: size, SizeName: "json", Names: true})
		if len(p.Names) != len(p.Ops) || len(p.Changes) != len(p.Ops) || len(p.Ops) == 0 {
			t.Fatalf("names of %d operations and changes of %d for %d", len(p.Names), len(p.Changes), len(p.Ops))
		}
		for i, op := range p.Ops {
			want := slices.Sorted(maps.Keys(op.Fields))
			if !slices.Equal(p.Names[i], want) {
				t.Fatalf("operation %s's names: %q, want %q", op.ID(), p.Names[i], want)
			}
			if p.Changes[i] == nil {
				continue // not kept so: the caller looks them up
			}
			if len(p.Changes[i]) != len(want) {
				t.Fatalf("operation %s: %d changes for %d fields", op.ID(), len(p.Changes[i]), len(want))
			}
			for j, name := range want {
				if !reflect.DeepEqual(p.Changes[i][j], op.Fields[name]) {
					t.Fatalf("operation %s's change %q: %+v, want %+v", op.ID(), name, p.Changes[i][j], op.Fields[name])
				}
			}
		}
	}
	// An operation that cannot be encoded, or is over MaxOpBytes, is
	// withheld and passed, never a failed pull.
	bad := errors.New("cannot encode")
	p, got = pullAll(t, h.st, store.Scope{All: true}, "", 0, store.PullLimits{MaxBytes: 1 << 20, Encode: func(op *changeset.Op) ([]byte, error) {
		if op.Device == w.b {
			return nil, bad
		}
		return encode(op)
	}})
	if !slices.Equal(got, []uint64{1, 3, 4, 6, 7}) || !slices.Equal(p.Withheld, []string{w.ops[1].ID(), w.ops[4].ID()}) || p.Cursor != 7 {
		t.Fatalf("withheld for their encoding: pulled %v, withheld %v, cursor %d", got, p.Withheld, p.Cursor)
	}
	p, got = pullAll(t, h.st, store.Scope{Council: "NRN-ATB", Global: true}, "", 0, store.PullLimits{MaxBytes: 1 << 20, Encode: encode, MaxOpBytes: 10})
	if len(got) != 0 || len(p.Withheld) != 4 || p.Cursor != 7 {
		t.Fatalf("all over MaxOpBytes: pulled %v, withheld %v, cursor %d", got, p.Withheld, p.Cursor)
	}
	// MaxScan bounds what is looked at, visible or not: here the device's
	// own first operation, then the page stops with nothing.
	p, got = pullAll(t, h.st, store.Scope{All: true}, "", 0, store.PullLimits{MaxBytes: 1 << 20, MaxScan: 1})
	if !slices.Equal(got, []uint64{1}) || !p.More {
		t.Fatalf("MaxScan 1: %v, more %v", got, p.More)
	}
	p, got = pullAll(t, h.st, store.Scope{All: true}, w.a, 0, store.PullLimits{MaxBytes: 1 << 20, MaxScan: 1})
	if len(got) != 0 || !p.More || p.Cursor != 1 {
		t.Fatalf("MaxScan 1 over the device's own operation: %v, more %v, cursor %d; want nothing, true, 1", got, p.More, p.Cursor)
	}
}

// Cursors: an empty log, the head, and a cursor from before a restore.
func testPullCursor(t *testing.T, h *handle) {
	p, got := pullAll(t, h.st, store.Scope{All: true}, "", 0, store.PullLimits{MaxBytes: 1 << 20})
	if len(got) != 0 || p.Cursor != 0 || p.Head != 0 || p.More {
		t.Fatalf("an empty log: %+v", p)
	}
	newPullWorld(t, h.st)
	p, got = pullAll(t, h.st, store.Scope{All: true}, "", 7, store.PullLimits{MaxBytes: 1 << 20})
	if len(got) != 0 || p.Cursor != 7 || p.More {
		t.Fatalf("at the head: %v, cursor %d, more %v", got, p.Cursor, p.More)
	}
	p, got = pullAll(t, h.st, store.Scope{All: true}, "", 1000, store.PullLimits{MaxBytes: 1 << 20})
	if len(got) != 0 || p.Cursor != 7 || p.Head != 7 {
		t.Fatalf("a cursor past the head: %v, cursor %d; want it back at the head, 7", got, p.Cursor)
	}
	p, got = pullAll(t, h.st, store.Scope{Council: "NRN-ATB", Global: true}, "", 3, store.PullLimits{MaxBytes: 1 << 20})
	if !slices.Equal(got, []uint64{4, 7}) || p.Cursor != 7 {
		t.Fatalf("after 3: %v, cursor %d", got, p.Cursor)
	}
}
