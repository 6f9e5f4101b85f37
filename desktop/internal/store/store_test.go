package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/badgerdb"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

func newKey(t *testing.T) []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func write(dev string, seq uint64, ts hlc.Timestamp, id, title string, st *changeset.State) Write {
	op := &changeset.Op{Device: dev, Seq: seq, HLC: ts, Kind: "appeal", Record: id, Action: changeset.ActionUpdate,
		Fields: map[string]changeset.Change{"summary": {Value: json.RawMessage(`"` + title + `"`)}}}
	if _, _, err := st.Apply(op); err != nil {
		panic(err)
	}
	cp := *st
	return Write{Op: op, State: &cp, IndexRow: []byte(title)}
}

func TestCommitReadReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := newKey(t)
	s, err := Open(ctx, dir, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var st changeset.State
	secret := "Асанова Гүлнара Төлөнбаевна"
	if err := s.Commit(ctx, []Write{write("dev1", 1, 100, "r1", secret, &st)}, map[string][]byte{"seq": []byte("1")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, []Write{write("dev1", 2, 200, "r1", "second", &st)}, map[string][]byte{"seq": []byte("2")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	if _, err := Open(ctx, dir, newKey(t), Options{}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("open with another key: %v, want ErrWrongKey", err)
	}
	s, err = Open(ctx, dir, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(ctx, dir, key, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}

	got, err := s.State(ctx, "appeal", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if v := string(got.Fields["summary"].Value); v != `"second"` {
		t.Fatalf("state summary %s", v)
	}
	if _, err := s.State(ctx, "appeal", "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing record: %v", err)
	}
	hist, err := s.History(ctx, "appeal", "r1")
	if err != nil || len(hist) != 2 || hist[0].Seq != 1 || hist[1].Seq != 2 {
		t.Fatalf("history %v %v", hist, err)
	}
	var seqs []uint64
	if err := s.Ops(ctx, "dev1", 1, func(o *changeset.Op) error { seqs = append(seqs, o.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 1 || seqs[0] != 2 {
		t.Fatalf("ops after 1: %v", seqs)
	}
	if v, err := s.Meta(ctx, "seq"); err != nil || string(v) != "2" {
		t.Fatalf("meta seq %q %v", v, err)
	}
	rows := 0
	if err := s.EachIndexRow(ctx, func(kind, id string, v []byte) error {
		if kind != "appeal" || id != "r1" || string(v) != "second" {
			t.Fatalf("index row %s %s %q", kind, id, v)
		}
		rows++
		return nil
	}); err != nil || rows != 1 {
		t.Fatalf("index rows %d %v", rows, err)
	}
	s.Sync()

	// Nothing readable on disk: the appellant's name must not appear in any file.
	for _, needle := range [][]byte{[]byte(secret), []byte("Гүлнара")} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if bytes.Contains(b, needle) {
				t.Errorf("%s contains %q in plaintext", p, needle)
			}
			return nil
		})
	}
}

func TestDiskFullIsAnErrorNotACrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := newKey(t)
	s, err := Open(ctx, dir, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var st changeset.State
	if err := s.Commit(ctx, []Write{write("dev1", 1, 100, "r1", "saved before", &st)}, nil); err != nil {
		t.Fatal(err)
	}
	// Pretend the disk has less free space than the reserve.
	free, err := badgerdb.FreeBytes(dir)
	if err != nil {
		t.Skipf("cannot read free space here: %v", err)
	}
	s.minFree = free + 1<<40
	err = s.Commit(ctx, []Write{write("dev1", 2, 200, "r1", "not saved", &st)}, nil)
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("commit on a full disk: %v, want ErrDiskFull", err)
	}
	s.Close()
	if _, err := Open(ctx, dir, key, Options{MinFree: free + 1<<40}); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("open on a full disk: %v, want ErrDiskFull", err)
	}
	s, err = Open(ctx, dir, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.State(ctx, "appeal", "r1")
	if err != nil || string(got.Fields["summary"].Value) != `"saved before"` {
		t.Fatalf("after a refused save: %v %v", got, err)
	}
}

// A store written before operations and states were stored in the binary
// encoding holds them as JSON: they still read, next to new ones.
func TestReadsOperationsAndStatesStoredAsJSON(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), newKey(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var old changeset.State
	w := write("dev1", 1, 100, "old", "Төлөнбаева", &old)
	ob, _ := json.Marshal(w.Op)
	sb, _ := json.Marshal(w.State)
	err = s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(opKey("dev1", 1), ob); err != nil {
			return err
		}
		return txn.Set(stateKey("appeal", "old"), sb)
	})
	if err != nil {
		t.Fatal(err)
	}
	var st changeset.State
	if err := s.Commit(ctx, []Write{write("dev1", 2, 200, "new", "Үсөнова", &st)}, nil); err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	if err := s.Ops(ctx, "dev1", 0, func(op *changeset.Op) error { seqs = append(seqs, op.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 2 || seqs[0] != 1 || seqs[1] != 2 {
		t.Fatalf("operations read: %v, want [1 2]", seqs)
	}
	got, err := s.State(ctx, "appeal", "old")
	if err != nil || string(got.Fields["summary"].Value) != `"Төлөнбаева"` {
		t.Fatalf("old state: %+v, %v", got, err)
	}
	n := 0
	if err := s.EachState(ctx, "appeal", func(*changeset.State) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("EachState: %d states, %v", n, err)
	}
}

// TestOpsKeptAcrossSlabs: the operations Ops hands out are kept by its
// caller (a change set), and they share slabs of copied values and
// interned strings; every one kept must still be the operation stored,
// however many slabs the read went through and whatever was read after it.
func TestOpsKeptAcrossSlabs(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), newKey(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var writes []Write
	for i := range 300 {
		var st changeset.State
		id := fmt.Sprintf("r%d", i/3) // three operations a record
		// Values of every size up to past a slab, so that slabs fill at
		// every place and one value is larger than a slab.
		v := strings.Repeat(string(rune('a'+i%26)), (i*997)%(opsSlab/4))
		if i == 150 {
			v = strings.Repeat("ж", opsSlab)
		}
		w := write("dev1", uint64(i+1), hlc.Timestamp(1000+i), id, v, &st)
		w.Op.Author = fmt.Sprintf("user%d", i%4)
		if i%7 == 0 {
			w.Op.Fields["note/"+id] = changeset.Change{Value: json.RawMessage(`{"n":` + fmt.Sprint(i) + `}`), Base: hlc.Timestamp(i),
				Settles: []changeset.Version{{HLC: hlc.Timestamp(i + 1), Device: "dev2"}}}
		}
		writes = append(writes, w)
	}
	for i := 0; i < len(writes); i += 5 {
		if err := s.Commit(ctx, writes[i:i+5], nil); err != nil {
			t.Fatal(err)
		}
	}
	var kept []*changeset.Op
	if err := s.Ops(ctx, "dev1", 10, func(op *changeset.Op) error { kept = append(kept, op); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(kept) != len(writes)-10 {
		t.Fatalf("read %d operations after 10, want %d", len(kept), len(writes)-10)
	}
	for i, op := range kept {
		want, _ := writes[i+10].Op.AppendBinary(nil)
		got, _ := op.AppendBinary(nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("operation %d read as %+v, stored %+v", i+11, op, writes[i+10].Op)
		}
		one, err := s.Op(ctx, "dev1", op.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := one.AppendBinary(nil); !bytes.Equal(b, got) {
			t.Fatalf("operation %d: Ops and Op read it differently", op.Seq)
		}
	}
	// EncodedOps reads the same operations, each kept past its call (a
	// copy of what it is given: its encoding lives on in the slab).
	var encs []changeset.EncodedOp
	if err := s.EncodedOps(ctx, "dev1", 10, func(e *changeset.EncodedOp) error { encs = append(encs, *e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(encs) != len(kept) {
		t.Fatalf("EncodedOps read %d operations after 10, want %d", len(encs), len(kept))
	}
	for i := range encs {
		want, _ := kept[i].AppendBinary(nil)
		got, _ := encs[i].Op().AppendBinary(nil)
		if !bytes.Equal(got, want) || encs[i].Head.Seq != kept[i].Seq || encs[i].Size() != len(want) {
			t.Fatalf("operation %d: EncodedOps read %+v, Ops %+v", kept[i].Seq, encs[i].Head, kept[i])
		}
	}
}

func TestSettle(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), newKey(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Several memtables' worth of writes: tables on level 0.
	val := bytes.Repeat([]byte("x"), 16<<10)
	for i := range 60 {
		meta := map[string][]byte{}
		for j := range 16 {
			meta[fmt.Sprintf("m%03d-%02d", i, j)] = val
		}
		if err := s.SetMeta(ctx, meta); err != nil {
			t.Fatal(err)
		}
	}
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.Settle(wait, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if s.compacting() {
		t.Fatalf("settled, but a level is over its target: %s", s.db.LevelsToString())
	}
	if v, err := s.Meta(ctx, "m059-15"); err != nil || !bytes.Equal(v, val) {
		t.Fatalf("a value after settling: %d bytes, %v", len(v), err)
	}
	done, stop := context.WithCancel(ctx)
	stop()
	if err := s.Settle(done, time.Millisecond); !errors.Is(err, context.Canceled) {
		t.Fatalf("settle with its context cancelled: %v", err)
	}
}
