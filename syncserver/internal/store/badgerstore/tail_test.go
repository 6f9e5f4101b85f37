package badgerstore

import (
	"context"
	"reflect"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// TestPullTail: operations of the log's tail are decoded once and then
// served to every laptop's pull from the store's cache, the same
// operations and encodings as read from Badger; operations further than
// store.TailOps from the head are not kept (a first pull of the whole log does
// not push the tail out).
func TestPullTail(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir(), Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ops []*changeset.Op
	seqs := map[string]uint64{}
	appendOps := func(n int) {
		t.Helper()
		err := st.Append(ctx, func(w store.LogTx) error {
			for i := range n {
				dev := []string{"AAAA", "BBBB", "CCCC"}[i%3]
				seqs[dev]++
				op := v1TestOp(dev, seqs[dev], "appeal", "NRN-ATB")
				if _, err := w.Accept(op, store.Index{Council: op.Council}); err != nil {
					return err
				}
				ops = append(ops, op)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	appendOps(store.TailOps)
	appendOps(30)
	appendOps(30)
	head := uint64(len(ops))

	// want is what a pull must give: the log's operations after after,
	// but exclude's.
	want := func(exclude string, after uint64) []*changeset.Op {
		var w []*changeset.Op
		for i, op := range ops {
			if uint64(i+1) > after && op.Device != exclude {
				w = append(w, op)
			}
		}
		return w
	}
	pull := func(scope store.Scope, exclude string, after uint64) *store.Page {
		t.Helper()
		p, err := st.Pull(ctx, scope, exclude, after, store.PullLimits{MaxBytes: 1 << 30, MaxOps: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if p.Cursor != head || p.More {
			t.Fatalf("pull after %d: cursor %d, more %v; want %d, false", after, p.Cursor, p.More, head)
		}
		return p
	}
	council := store.Scope{Council: "NRN-ATB"}
	after := head - 60
	first := pull(council, "AAAA", after)
	if !reflect.DeepEqual(first.Ops, want("AAAA", after)) {
		t.Fatal("the first pull of the tail is not the log's operations")
	}
	for seq := after + 1; seq <= head; seq++ {
		if got := st.tail.Get(seq); (got != nil) != (ops[seq-1].Device != "AAAA") {
			t.Fatalf("operation %d cached: %v", seq, got != nil)
		}
	}
	// Other laptops of the council: the cached operations, and the
	// excluded laptop's read from Badger.
	for _, dev := range []string{"BBBB", "CCCC", ""} {
		p := pull(council, dev, after)
		if !reflect.DeepEqual(p.Ops, want(dev, after)) {
			t.Fatalf("pull excluding %q after the cache was filled: not the log's operations", dev)
		}
	}
	if all := pull(store.Scope{All: true}, "", after); !reflect.DeepEqual(all.Ops, want("", after)) {
		t.Fatal("central staff's pull of the tail: not the log's operations")
	}
	// The storage encoding (no Size, no Encode) of a cached operation is
	// still the log's.
	again := pull(council, "AAAA", after)
	if len(again.Encoded) != len(first.Encoded) || !reflect.DeepEqual(again.Encoded, first.Encoded) {
		t.Fatal("the encodings of cached operations differ from the log's")
	}
	for i, enc := range again.Encoded {
		op, err := changeset.DecodeOp(enc)
		if err != nil || !reflect.DeepEqual(op, again.Ops[i]) {
			t.Fatalf("encoding %d: %v, %+v", i, err, op)
		}
	}

	// A size named by the pull that decoded an operation is kept with it:
	// pulls naming the same Size do not ask it again; others do.
	calls := 0
	size := func(op *changeset.Op) int { calls++; return len(op.Author) }
	sized := func(name string, dev string) *store.Page {
		t.Helper()
		p, err := st.Pull(ctx, council, dev, head, store.PullLimits{MaxBytes: 1 << 30, MaxOps: 1 << 20, Size: size, SizeName: name})
		if err != nil {
			t.Fatal(err)
		}
		wantBytes := 0
		for _, op := range want(dev, head) {
			wantBytes += len(op.Author)
		}
		if !reflect.DeepEqual(p.Ops, want(dev, head)) || p.Bytes != wantBytes || p.Encoded != nil {
			t.Fatalf("sized pull (%q, excluding %q): %d operations, %d bytes; want %d, %d", name, dev, len(p.Ops), p.Bytes, len(want(dev, head)), wantBytes)
		}
		return p
	}
	appendOps(30)
	sized("n", "AAAA")
	if calls != 20 {
		t.Errorf("the first pull asked Size %d times; want 20", calls)
	}
	calls = 0
	sized("n", "BBBB") // AAAA's operations are read now
	if calls != 10 {
		t.Errorf("the second pull asked Size %d times; want 10", calls)
	}
	calls = 0
	sized("n", "CCCC")
	if calls != 0 {
		t.Errorf("a pull naming the same Size asked it %d times; want 0", calls)
	}
	sized("m", "CCCC")
	sized("", "CCCC")
	if calls != 40 {
		t.Errorf("pulls naming another Size or none asked it %d times; want 40", calls)
	}
	head = uint64(len(ops))

	// A pull of the whole log keeps only the tail.
	whole := pull(store.Scope{All: true}, "", 0)
	if !reflect.DeepEqual(whole.Ops, ops) {
		t.Fatal("the pull of the whole log is not the log")
	}
	for _, seq := range []uint64{1, 2, head - store.TailOps} {
		if st.tail.Get(seq) != nil {
			t.Errorf("operation %d cached, %d from the head", seq, head-seq)
		}
	}
	if st.tail.Get(head-store.TailOps+1) == nil || st.tail.Get(head) == nil {
		t.Error("the tail's first and last operations not cached")
	}
}
