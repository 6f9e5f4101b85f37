package store

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// TestHistoryGroups: a store of format 1 (a history entry an operation),
// opened by this release, is stamped format 2 and its histories read as
// they were; a bulk load's windows then add groups (history.go), and
// every record's history, read through entries and groups alike, is the
// one a store written a commit an operation gives: the same operations,
// oldest first, each once. An operation withdrawn (held back) or given a
// new clock (restamped) leaves its group; a record's group left empty
// goes.
func TestHistoryGroups(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 9))
	devs := []string{"dev1", "dev10", "dev2"}
	var log []logOp
	for i := range 80 {
		id := fmt.Sprintf("r%03d", i)
		log = append(log, logOp{dev: devs[rng.IntN(3)], at: hlc.Timestamp(1 + rng.IntN(400)), id: id,
			action: changeset.ActionCreate, fields: map[string]string{"summary": `"made"`}})
		for n := rng.IntN(7); n > 0; n-- {
			at := hlc.Timestamp(1 + rng.IntN(1000))
			log = append(log, logOp{dev: devs[rng.IntN(3)], at: at, id: id, action: changeset.ActionUpdate,
				base: hlc.Timestamp(rng.IntN(int(at))), fields: map[string]string{"summary": fmt.Sprintf(`"at %d"`, at)}})
		}
	}
	// Half the log written before the release with groups (format 1), by
	// commits; the rest by a bulk load after it.
	half := len(log) / 2
	for half < len(log) && log[half].id == log[half-1].id {
		half++ // a record's operations on both sides of the release
	}
	half -= 2

	oracle, err := Open(ctx, t.TempDir(), newKey(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer oracle.Close()
	want := commitLog(t, oracle, log)

	dir, key := t.TempDir(), newKey(t)
	s, err := Open(ctx, dir, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	commitLog(t, s, log[:half])
	if err := s.SetMeta(ctx, map[string][]byte{"format": []byte(`{"format":1,"release":"0.6.0"}`)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(ctx, dir, key, Options{}); err != nil {
		t.Fatalf("a store of format 1: %v", err)
	}
	defer func() { s.Close() }()
	if f, _ := s.Format(); f.Format != 2 {
		t.Fatalf("a store of format 1 opened: %+v", f)
	}
	// The rest pulled in bulk.
	rest := want[half:]
	bulkLog(t, s, rest, mergedStates(t, want)[half:])

	groups := 0
	err = s.db.View(func(txn *badger.Txn) error {
		return scanHistory(txn, func(_ []byte, group bool) {
			if group {
				groups++
			}
		})
	})
	if err != nil || groups == 0 {
		t.Fatalf("%d groups written by the bulk load (%v)", groups, err)
	}
	sameHistories(t, s, oracle, want)

	// Withdrawn and restamped: a grouped operation each, as the oracle's.
	var grouped []*changeset.Op
	for _, op := range rest {
		if inGroup(t, s, op) {
			grouped = append(grouped, op)
		}
	}
	if len(grouped) < 3 {
		t.Fatalf("%d operations in groups", len(grouped))
	}
	for i, op := range grouped[:3] {
		var w Write
		switch i {
		case 0, 1:
			w = Write{Op: op, Hold: &Held{Key: fmt.Sprint("k", i), Value: []byte("v")}, Withdraw: true}
		case 2:
			cp := *op
			cp.HLC, w = 5000, Write{Op: &cp, Restamped: op.HLC}
		}
		for _, st := range []*Store{s, oracle} {
			if err := st.Commit(ctx, []Write{w}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if inGroup(t, s, op) {
			t.Fatalf("%s/%d still in its group", op.Device, op.Seq)
		}
	}
	sameHistories(t, s, oracle, want)
}

// mergedStates gives each operation's record as it and the operations
// before it make it.
func mergedStates(t *testing.T, ops []*changeset.Op) []*changeset.State {
	t.Helper()
	cur := map[string]*changeset.State{}
	var out []*changeset.State
	for _, op := range ops {
		st := cur[op.Record]
		if st == nil {
			st = &changeset.State{}
			cur[op.Record] = st
		}
		if _, _, err := st.Apply(op); err != nil {
			t.Fatal(err)
		}
		out = append(out, st.Clone())
	}
	return out
}

// scanHistory calls fn with every history key and whether it is a group's.
func scanHistory(txn *badger.Txn, fn func(k []byte, group bool)) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(spaceHistory)})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().Key()
		_, _, group, ok := parseHistoryKey(k[len(spaceHistory)+len("appeal:"):], nil)
		if !ok {
			return fmt.Errorf("damaged history key %q", k)
		}
		fn(k, group)
	}
	return nil
}

// inGroup says whether op is in one of its record's groups.
func inGroup(t *testing.T, s *Store, op *changeset.Op) bool {
	t.Helper()
	found := false
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: historyPrefix(op.Kind, op.Record)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			_, _, group, _ := parseHistoryKey(it.Item().Key()[len(spaceHistory)+len(op.Kind)+1:], nil)
			if !group {
				continue
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			refs, err := decodeGroup(v, nil, nil)
			if err != nil {
				return err
			}
			for _, r := range refs {
				found = found || r.device == op.Device && r.seq == op.Seq
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// sameHistories checks every record's history in s against oracle's.
func sameHistories(t *testing.T, s, oracle *Store, ops []*changeset.Op) {
	t.Helper()
	ctx := context.Background()
	seen := map[string]bool{}
	for _, op := range ops {
		if seen[op.Record] {
			continue
		}
		seen[op.Record] = true
		got, err := s.History(ctx, "appeal", op.Record)
		if err != nil {
			t.Fatal(err)
		}
		want, err := oracle.History(ctx, "appeal", op.Record)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d operations in its history, want %d", op.Record, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.Device != w.Device || g.Seq != w.Seq || g.HLC != w.HLC {
				t.Fatalf("%s: history[%d] is %s/%d at %d, want %s/%d at %d", op.Record, i, g.Device, g.Seq, g.HLC, w.Device, w.Seq, w.HLC)
			}
		}
	}
}

// A group's value decodes to what was encoded, and a damaged one (cut
// short, a device's length past its end, no device, an unknown first
// byte) is an error, not a panic.
func TestGroupEncoding(t *testing.T) {
	refs := []historyRef{{hlc: 1 << 60, device: "0b1c2d3e4f5a6b7c", seq: 1}, {hlc: 7, device: "d", seq: 1 << 40}}
	v := appendGroup(nil, refs)
	got, err := decodeGroup(v, nil, map[string]string{})
	if err != nil || !slices.Equal(got, refs) {
		t.Fatalf("decoded %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, {2}, v[:len(v)-1], v[:20], append(appendGroup(nil, refs[:1]), bytes.Repeat([]byte{0}, 16)...),
		append(append(appendGroup(nil, nil), make([]byte, 16)...), 5, 'a')} {
		if _, err := decodeGroup(bad, nil, nil); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

func FuzzDecodeGroup(f *testing.F) {
	f.Add(appendGroup(nil, []historyRef{{hlc: 3, device: "dev1", seq: 9}}))
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, v []byte) {
		refs, err := decodeGroup(v, nil, nil)
		if err != nil {
			return
		}
		if again := appendGroup(nil, refs); !bytes.Equal(again, v) {
			t.Fatalf("%q decoded to %+v, encoded again %q", v, refs, again)
		}
	})
}

// History keys parse from the left (an entry's sequence number may end
// in the bytes of a group's mark): entries, groups, and damaged keys.
func TestParseHistoryKey(t *testing.T) {
	pre := len(spaceHistory) + len("appeal:")
	for _, seq := range []uint64{1, 0x3a67, 0x3a3a3a3a3a3a3a3a, 0x67} {
		for _, hl := range []uint64{0x3a3a3a3a3a3a3a3a, 100} {
			k := historyKey("appeal", "r1", hl, "dev1", seq)
			id, ref, group, ok := parseHistoryKey(k[pre:], nil)
			if !ok || group || string(id) != "r1" || ref != (historyRef{hlc: hlc.Timestamp(hl), device: "dev1", seq: seq}) {
				t.Errorf("entry %q: %q %+v %v %v", k, id, ref, group, ok)
			}
			id, ref, group, ok = parseHistoryKey(append(k, groupMark)[pre:], nil)
			if !ok || !group || string(id) != "r1" || ref.seq != seq || ref.device != "dev1" {
				t.Errorf("group %q: %q %+v %v %v", k, id, ref, group, ok)
			}
			for _, bad := range [][]byte{k[:len(k)-1], append(k, 'x'), append(k, groupMark, groupMark)} {
				if _, _, _, ok := parseHistoryKey(bad[pre:], nil); ok {
					t.Errorf("%q parsed", bad)
				}
			}
		}
	}
}

// One WriteBulk writes one group a record, its operations come together
// or apart, and a record's one operation as an entry; History reads them
// in clock order.
func TestOneGroupARecordAWindow(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), newKey(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var writes []Write
	for i, id := range []string{"a", "b", "a", "c", "b", "a"} {
		var st changeset.State
		w := write("dev1", uint64(i+1), hlc.Timestamp(100-i), id, "x", &st)
		w.State, w.IndexRow = nil, nil
		writes = append(writes, w)
	}
	if err := s.WriteBulk(ctx, writes); err != nil {
		t.Fatal(err)
	}
	var keys []string
	err = s.db.View(func(txn *badger.Txn) error {
		return scanHistory(txn, func(k []byte, group bool) { keys = append(keys, fmt.Sprintf("%s %v", k[len("h:appeal:"):][:1], group)) })
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a true", "b true", "c false"}; !slices.Equal(keys, want) {
		t.Fatalf("history keys %q, want %q", keys, want)
	}
	hist, err := s.History(ctx, "appeal", "a")
	if err != nil || len(hist) != 3 || hist[0].Seq != 6 || hist[1].Seq != 3 || hist[2].Seq != 1 {
		t.Fatalf("a's history: %+v %v", hist, err)
	}
}
