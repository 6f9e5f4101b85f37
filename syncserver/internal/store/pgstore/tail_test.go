package pgstore

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// TestPullTail: a process keeps the operations of the log's tail its
// pulls decoded, whoever appended them, and its later pulls give the
// log's operations and sizes from them; a size is asked once a name.
func TestPullTail(t *testing.T) {
	ctx := context.Background()
	st, other := twoProcesses(t)
	var ops []*changeset.Op
	err := other.Append(ctx, func(w store.LogTx) error {
		for i := range 30 {
			dev := []string{"AAAA", "BBBB", "CCCC"}[i%3]
			op := testOp(dev, uint64(i/3+1), fmt.Sprintf("r%d", i))
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
	want := func(exclude string) []*changeset.Op {
		var w []*changeset.Op
		for _, op := range ops {
			if op.Device != exclude {
				w = append(w, op)
			}
		}
		return w
	}
	calls := 0
	lim := store.PullLimits{MaxBytes: 1 << 30, MaxOps: 1 << 20, Size: func(op *changeset.Op) int { calls++; return len(op.Record) }, SizeName: "n"}
	for _, dev := range []string{"AAAA", "BBBB", "CCCC", ""} {
		p, err := st.Pull(ctx, store.Scope{Council: "NRN-ATB"}, dev, 0, lim)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Ops, want(dev)) || p.Cursor != uint64(len(ops)) || p.More {
			t.Fatalf("pull excluding %q: %d operations, cursor %d, more %v", dev, len(p.Ops), p.Cursor, p.More)
		}
		wantBytes := 0
		for _, op := range want(dev) {
			wantBytes += len(op.Record)
		}
		if p.Bytes != wantBytes {
			t.Errorf("pull excluding %q: %d bytes, want %d", dev, p.Bytes, wantBytes)
		}
	}
	// The first pull did not read AAAA's operations (its own); the second
	// read them: 20 + 10 sizes asked.
	if calls != 30 {
		t.Errorf("Size asked %d times; want 30", calls)
	}
	for seq := uint64(1); seq <= uint64(len(ops)); seq++ {
		if e := st.tail.Get(seq); e == nil || !reflect.DeepEqual(e.Op, ops[seq-1]) {
			t.Errorf("operation %d not kept as it was logged", seq)
		}
		if other.tail.Get(seq) != nil {
			t.Errorf("operation %d kept by the process that did not pull it", seq)
		}
	}
	// The storage encoding of a kept operation is still the log's.
	p, err := st.Pull(ctx, store.Scope{All: true}, "", 0, store.PullLimits{MaxBytes: 1 << 30, MaxOps: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for i, enc := range p.Encoded {
		op, err := changeset.DecodeOp(enc)
		if err != nil || !reflect.DeepEqual(op, ops[i]) {
			t.Fatalf("encoding %d: %v, %+v", i, err, op)
		}
	}
}

// TestPullFromTail: near the log's head, a pull whose operations the tail
// holds reads the rows without them (a row whose operations were since
// damaged in the database is not read), and one whose operations it
// lacks reads them; either way the page is the log's, chunk after chunk,
// with each device's own left out.
func TestPullFromTail(t *testing.T) {
	ctx := context.Background()
	st, other := twoProcesses(t)
	var ops []*changeset.Op
	appendOps := func(n int) {
		t.Helper()
		err := other.Append(ctx, func(w store.LogTx) error {
			for range n {
				i := len(ops)
				dev := []string{"AAAA", "BBBB", "CCCC"}[i/4%3] // rows of up to four
				op := testOp(dev, uint64(i/12*4+i%4+1), fmt.Sprintf("r%d", i))
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
	check := func(what string, after uint64, exclude string, maxOps int) {
		t.Helper()
		lim := store.PullLimits{MaxBytes: 1 << 30, MaxOps: maxOps, Size: func(op *changeset.Op) int { return len(op.Record) }, SizeName: "n"}
		var got []*changeset.Op
		for cursor := after; ; {
			p, err := st.Pull(ctx, store.Scope{Council: "NRN-ATB"}, exclude, cursor, lim)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			got = append(got, p.Ops...)
			cursor = p.Cursor
			if !p.More {
				break
			}
		}
		var want []*changeset.Op
		for _, op := range ops[after:] {
			if op.Device != exclude {
				want = append(want, op)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: pulled %d operations, want %d", what, len(got), len(want))
		}
	}
	appendOps(24)
	check("first pull", 0, "AAAA", 1000)
	check("from the tail", 0, "BBBB", 1000)
	appendOps(24) // the tail lacks these
	check("the tail lacks some", 5, "CCCC", 7)
	check("from the tail, in chunks", 3, "", 5)

	// Every operation is now in the tail: damaged rows in the database
	// are not read.
	if _, err := st.pool.Exec(ctx, `UPDATE log SET ops = ops[1:1] WHERE last > 24`); err != nil {
		t.Fatal(err)
	}
	check("from the tail, rows damaged", 20, "AAAA", 1000)
	check("from the tail, rows damaged, in chunks", 0, "", 3)
}
