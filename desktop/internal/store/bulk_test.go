package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

func TestKVListSorted(t *testing.T) {
	for _, c := range []struct {
		name string
		in   kvList
		want kvList
	}{
		{"empty", nil, nil},
		{"sorted by key", kvList{{k: []byte("s:b"), v: []byte("1")}, {k: []byte("h:a"), v: []byte("2")}},
			kvList{{k: []byte("h:a"), v: []byte("2")}, {k: []byte("s:b"), v: []byte("1")}}},
		{"the last write of a key wins", kvList{{k: []byte("o:1"), v: []byte("old")}, {k: []byte("o:2"), v: []byte("x")}, {k: []byte("o:1"), v: []byte("new")}},
			kvList{{k: []byte("o:1"), v: []byte("new")}, {k: []byte("o:2"), v: []byte("x")}}},
		{"a delete after a set", kvList{{k: []byte("o:1"), v: []byte("v")}, {k: []byte("o:1"), del: true}},
			kvList{{k: []byte("o:1"), del: true}}},
		{"a set after a delete", kvList{{k: []byte("q:1"), del: true}, {k: []byte("q:1"), v: []byte("v")}},
			kvList{{k: []byte("q:1"), v: []byte("v")}}},
		{"many writes of a few keys, the last of each wins", manyWrites(), lastOfEach()},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.in.sorted()
			for i := range got {
				got[i].n = 0 // its place before the sort
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("sorted = %+v, want %+v", got, c.want)
			}
		})
	}
}

// CommitBulk stores what Commit would (states, histories, index rows,
// held operations taking an operation back) and the meta after them, and
// it is all there after reopening; so do a WriteBulk of the operations and
// a CommitBulk of the states and index rows alone (Op nil) after it.
func TestCommitBulk(t *testing.T) {
	t.Run("at once", func(t *testing.T) { testCommitBulk(t, false) })
	t.Run("operations first, then states", func(t *testing.T) { testCommitBulk(t, true) })
}

func testCommitBulk(t *testing.T, split bool) {
	ctx := context.Background()
	dir, key := t.TempDir(), newKey(t)
	s, err := Open(ctx, dir, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if empty, err := s.Empty(ctx); err != nil || !empty {
		t.Fatalf("a new store: Empty = %v, %v", empty, err)
	}
	var r1, r2 changeset.State
	w1 := write("dev1", 1, 100, "r1", "first", &r1)
	w1.State = nil // carried by the record's last write, as records does
	w2 := write("dev1", 2, 200, "r1", "Асанова Гүлнара", &r1)
	w3 := write("dev2", 1, 150, "r2", "withdrawn later", &r2)
	w3.State = nil
	w4 := write("dev2", 2, 160, "r2", "kept", &r2)
	// The same operation held back in the same window: its operation and
	// history entry go.
	hold := Write{Op: w3.Op, Hold: &Held{Key: "dev2-1", Value: []byte(`{}`)}, Withdraw: true}
	meta := map[string][]byte{"sync_cursor": []byte("42")}
	writes := []Write{w1, w3, w2, w4, hold}
	if split {
		var states []Write
		for i, w := range writes {
			if w.State != nil {
				states = append(states, Write{State: w.State, IndexRow: w.IndexRow, SearchText: w.SearchText})
			}
			writes[i].State, writes[i].IndexRow, writes[i].SearchText = nil, nil, nil
		}
		if err := s.WriteBulk(ctx, writes); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitBulk(ctx, []Write{{}}, nil); err == nil {
			t.Fatal("a write of neither an operation nor a state was taken")
		}
		writes = states
	}
	if err := s.CommitBulk(ctx, writes, meta); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store) {
		t.Helper()
		st, err := s.State(ctx, "appeal", "r1")
		if err != nil || string(st.Fields["summary"].Value) != `"Асанова Гүлнара"` {
			t.Fatalf("state of r1: %+v, %v", st, err)
		}
		h, err := s.History(ctx, "appeal", "r1")
		if err != nil || len(h) != 2 || h[0].Seq != 1 || h[1].Seq != 2 {
			t.Fatalf("history of r1: %+v, %v", h, err)
		}
		h, err = s.History(ctx, "appeal", "r2")
		if err != nil || len(h) != 1 || h[0].Seq != 2 {
			t.Fatalf("history of r2 (its first operation held back): %+v, %v", h, err)
		}
		if _, err := s.Op(ctx, "dev2", 1); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the operation held back is still stored: %v", err)
		}
		n, err := s.CountHeld(ctx)
		if err != nil || n != 1 {
			t.Fatalf("%d held, %v", n, err)
		}
		rows := map[string]string{}
		if err := s.EachIndexRow(ctx, func(_, id string, v []byte) error { rows[id] = string(v); return nil }); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rows, map[string]string{"r1": "Асанова Гүлнара", "r2": "kept"}) {
			t.Fatalf("index rows %v", rows)
		}
		if v, err := s.Meta(ctx, "sync_cursor"); err != nil || string(v) != "42" {
			t.Fatalf("cursor %q, %v", v, err)
		}
		if empty, err := s.Empty(ctx); err != nil || empty {
			t.Fatalf("a store with records: Empty = %v, %v", empty, err)
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dir, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(s)
}

// manyWrites writes each of the keys k0-k9 fifty times, in turn, with the
// write's number as its value (enough entries for the sort not to be an
// insertion sort).
func manyWrites() kvList {
	var l kvList
	for i := range 500 {
		l = append(l, kvEntry{k: []byte(fmt.Sprintf("o:k%d", i%10)), v: []byte(strconv.Itoa(i))})
	}
	return l
}

func lastOfEach() kvList {
	var l kvList
	for k := range 10 {
		l = append(l, kvEntry{k: []byte(fmt.Sprintf("o:k%d", k)), v: []byte(strconv.Itoa(490 + k))})
	}
	return l
}

// TestBulkListArena checks that a bulk load's keys and values, made in
// bulkList's arena, are those putWriteTo gives a transaction, and that
// none was overwritten by what came after it: operations and states of
// every size (small, larger than an operation's or a state's first room,
// larger than a chunk), over several chunks, with index rows.
func TestBulkListArena(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), newKey(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var writes []Write
	for i := range 3000 {
		var st changeset.State
		title := fmt.Sprintf("Асанова %d ", i)
		switch i % 100 {
		case 7:
			title += strings.Repeat("кеңеш ", 400) // past opRoom and stateRoom
		case 42:
			title += strings.Repeat("кеңеш ", 30_000) // past a chunk
		}
		w := write(fmt.Sprintf("dev%d", i%3), uint64(i+1), hlc.Timestamp(1000+i), fmt.Sprintf("r%d", i/2), title, &st)
		if i%2 == 0 {
			w.State, w.IndexRow = nil, nil
		} else {
			w.SearchText = []byte(strings.ToLower(title))
		}
		writes = append(writes, w)
	}
	var plain collect
	list := bulkList{kvList: make(kvList, 0, bulkEntries(writes))}
	err = s.db.View(func(txn *badger.Txn) error {
		for _, w := range writes {
			if err := putWriteTo(txn, &plain, w); err != nil {
				return err
			}
			if err := putWriteTo(txn, &list, w); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A bulk list's history is in its groups (TestBulkHistoryGroups), a
	// transaction's an entry an operation.
	var history []historyRef
	plainRest := slices.DeleteFunc(slices.Clone(plain), func(e kvEntry) bool {
		if !bytes.HasPrefix(e.k, []byte(spaceHistory)) {
			return false
		}
		_, ref, group, ok := parseHistoryKey(e.k[len(spaceHistory)+len("appeal:"):], nil)
		if !ok || group || !bytes.Equal(e.v, opKey(ref.device, ref.seq)) {
			t.Fatalf("a transaction's history entry %q = %q", e.k, e.v)
		}
		history = append(history, ref)
		return true
	})
	if len(list.kvList) != len(plainRest) || len(list.kvList) != bulkEntries(writes) {
		t.Fatalf("%d entries in the arena's list, %d written to a plain sink (but the history), %d expected", len(list.kvList), len(plainRest), bulkEntries(writes))
	}
	for i, e := range list.kvList {
		if !bytes.Equal(e.k, plainRest[i].k) || !bytes.Equal(e.v, plainRest[i].v) || e.del != plainRest[i].del {
			t.Fatalf("entry %d: %q = %.40q, want %q = %.40q", i, e.k, e.v, plainRest[i].k, plainRest[i].v)
		}
	}
	var grouped []historyRef
	for _, r := range list.groups.refs {
		grouped = append(grouped, r.historyRef)
	}
	if !slices.Equal(grouped, history) {
		t.Fatalf("the bulk list's groups hold %d operations, not the %d of the history entries", len(grouped), len(history))
	}
}

// collect is a sink that is not a bulkList: putWriteTo gives it keys and
// values of their own, as it gives a transaction.
type collect kvList

func (c *collect) Set(k, v []byte) error {
	*c = append(*c, kvEntry{k: k, v: v})
	return nil
}

func (c *collect) Delete(k []byte) error {
	*c = append(*c, kvEntry{k: k, del: true})
	return nil
}

// sorted gives what a stable sort by key keeping the last write of each
// key gives, whatever the order of what comes: spaces interleaved, each
// in order or not, keys written several times, empty keys.
func TestKVListSortedIsAStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	spaces := []string{"o:", "h:", "s:", "i:", "t:", "q:", ""}
	for round := range 2000 {
		var in kvList
		ordered := round%2 == 0 // each space's keys in order, as a window's usually are
		next := map[string]int{}
		for i := range 1 + r.IntN(200) {
			sp := spaces[r.IntN(len(spaces))]
			n := r.IntN(50)
			if ordered {
				next[sp] += r.IntN(3) // sometimes the same key again
				n = next[sp]
			}
			e := kvEntry{k: []byte(fmt.Sprintf("%s%03d", sp, n)), v: []byte(strconv.Itoa(i))}
			if sp == "" && r.IntN(4) == 0 {
				e.k = []byte{}
			}
			e.del = r.IntN(10) == 0
			in = append(in, e)
		}
		want := slices.Clone(in)
		slices.SortStableFunc(want, func(a, b kvEntry) int { return bytes.Compare(a.k, b.k) })
		var last kvList
		for i, e := range want {
			if i+1 < len(want) && bytes.Equal(e.k, want[i+1].k) {
				continue
			}
			last = append(last, e)
		}
		got := slices.Clone(in).sorted()
		for i := range got {
			got[i].n = 0
		}
		if !reflect.DeepEqual(got, last) {
			t.Fatalf("round %d: sorted(%+v)\n= %+v\nwant %+v", round, in, got, last)
		}
	}
}
