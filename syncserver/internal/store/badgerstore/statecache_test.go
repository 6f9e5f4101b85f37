package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// summaryOf reads the appeal's state in w and returns its summary ("" if
// there is no state).
func summaryOf(w store.LogTx, id string) (string, error) {
	s, err := w.State("appeal", id)
	if err != nil || s == nil {
		return "", err
	}
	return string(s.Fields["summary"].Value), nil
}

// rewrite is an append's function that reads the appeal's state, checks
// it holds want, and writes it again with summary next.
func rewrite(id, want, next string, seq uint64) func(store.LogTx) error {
	return func(w store.LogTx) error {
		got, err := summaryOf(w, id)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("read %s, want %s", got, want)
		}
		s, err := w.State("appeal", id)
		if err != nil {
			return err
		}
		if s == nil {
			s = &changeset.State{}
		}
		if err := s.Merge(groupOp("dev", seq, id, next)); err != nil {
			return err
		}
		return w.PutState(s)
	}
}

// kept says whether the cache holds the appeal's state, and whether as
// dirty and marked rewritten.
func kept(st *Store, id string) (held, dirty, rewritten bool) {
	c := &st.states
	c.mu.Lock()
	defer c.mu.Unlock()
	key := stateKey("appeal", id)
	_, held = c.m[string(key)]
	rewritten, dirty = c.dirty[string(key)]
	return held, dirty, rewritten
}

// inBadger says whether Badger holds a state of the appeal.
func inBadger(t *testing.T, st *Store, id string) bool {
	t.Helper()
	var ok bool
	if err := st.view(context.Background(), func(x *txn) (err error) { _, ok, err = x.get(stateKey("appeal", id)); return err }); err != nil {
		t.Fatal(err)
	}
	return ok
}

// The states an append rewrote, or created alone, are read by the next
// appends from memory, and an append always reads what the log's last
// commit left: a state another function of its group put, not one a
// failed function put, not one written without being read first. A
// record created with a later operation is written with its commit and
// not kept; one created alone is kept until its window, and forgotten
// then unless rewritten since.
func TestStateCache(t *testing.T) {
	ctx := context.Background()
	st := openGroupStore(t)
	// Created with a later operation in the same append: written, not kept.
	done := domain.NewID()
	if err := st.Append(ctx, func(w store.LogTx) error { return w.PutState(blind(done, "v2", 2)) }); err != nil {
		t.Fatal(err)
	}
	if held, _, _ := kept(st, done); held || !inBadger(t, st, done) {
		t.Fatalf("a record created with its later operation: held %v, in Badger %v; want written, not kept", held, inBadger(t, st, done))
	}
	// Created alone: kept as dirty, not in Badger yet.
	id := domain.NewID()
	if err := st.Append(ctx, rewrite(id, "", "v1", 1)); err != nil {
		t.Fatal(err)
	}
	if held, dirty, rewritten := kept(st, id); !held || !dirty || rewritten || inBadger(t, st, id) {
		t.Fatalf("a record created alone: held %v, dirty %v, rewritten %v, in Badger %v; want dirty, not rewritten, not in Badger",
			held, dirty, rewritten, inBadger(t, st, id))
	}
	if err := st.flushStates(); err != nil {
		t.Fatal(err)
	}
	if held, _, _ := kept(st, id); held || st.states.dirtySize != 0 || st.states.size != 0 || !inBadger(t, st, id) {
		t.Fatalf("a created state after its window: held %v, %d bytes (%d dirty), in Badger %v; want written and forgotten",
			held, st.states.size, st.states.dirtySize, inBadger(t, st, id))
	}
	if s, err := st.State(ctx, "appeal", id); err != nil || s == nil || string(s.Fields["summary"].Value) != `"v1"` {
		t.Fatalf("the state its window wrote: %+v, %v", s, err)
	}
	// Rewritten: kept, after its window too.
	if err := st.Append(ctx, rewrite(id, `"v1"`, "v2", 2)); err != nil {
		t.Fatal(err)
	}
	if held, dirty, rewritten := kept(st, id); !held || !dirty || !rewritten {
		t.Fatalf("the rewritten state: held %v, dirty %v, rewritten %v", held, dirty, rewritten)
	}
	if err := st.flushStates(); err != nil {
		t.Fatal(err)
	}
	if held, dirty, _ := kept(st, id); !held || dirty {
		t.Fatalf("the rewritten state after its window: held %v, dirty %v; want kept clean", held, dirty)
	}
	hits := st.states.hits.Load()
	// One group: a function that rewrites it and fails, one that rewrites
	// it, one that reads what that one put.
	fns := []func(store.LogTx) error{
		func(w store.LogTx) error {
			if err := rewrite(id, `"v2"`, "failed", 3)(w); err != nil {
				return err
			}
			return errFail
		},
		rewrite(id, `"v2"`, "v3", 4),
		func(w store.LogTx) error {
			got, err := summaryOf(w, id)
			if err == nil && got != `"v3"` {
				err = fmt.Errorf("the function before's state is not seen: %s", got)
			}
			return err
		},
	}
	results := appendTogether(t, st, nil, fns...)
	if !errors.Is(results[0], errFail) || results[1] != nil || results[2] != nil {
		t.Fatalf("results: %v", results)
	}
	if st.states.hits.Load() == hits {
		t.Fatal("the group read no state from the cache")
	}
	if err := st.Append(ctx, rewrite(id, `"v3"`, "v4", 5)); err != nil {
		t.Fatal(err)
	}
	// Put without being read: not kept, and the state kept before is
	// dropped.
	if err := st.Append(ctx, func(w store.LogTx) error { return w.PutState(blind(id, "v5", 6)) }); err != nil {
		t.Fatal(err)
	}
	if len(st.states.m) != 0 {
		t.Fatalf("a state put without being read is still kept: %d entries", len(st.states.m))
	}
	// One group: a function rewrites it (read first), the next writes it
	// without reading it. What the commit holds is the second's.
	fns = []func(store.LogTx) error{
		rewrite(id, `"v5"`, "v6", 7),
		func(w store.LogTx) error { return w.PutState(blind(id, "v7", 8)) },
	}
	results = appendTogether(t, st, nil, fns...)
	if results[0] != nil || results[1] != nil {
		t.Fatalf("results: %v", results)
	}
	if err := st.Append(ctx, rewrite(id, `"v7"`, "v8", 9)); err != nil {
		t.Fatal(err)
	}
	if s, err := st.State(ctx, "appeal", id); err != nil || string(s.Fields["summary"].Value) != `"v8"` {
		t.Fatalf("the state stored: %+v, %v", s, err)
	}
}

// blind is a state of the appeal with summary, made without reading it:
// its creation and a later operation (not created alone).
func blind(id, summary string, seq uint64) *changeset.State {
	var s changeset.State
	create := groupOp("dev", seq, id, "created")
	create.HLC--
	s.Merge(create)
	step := groupOp("dev", seq, id, summary)
	step.Action = changeset.ActionUpdate
	s.Merge(step)
	return &s
}

// The cache holds what its bound allows, forgetting states at random.
func TestStateCacheBound(t *testing.T) {
	c := stateCache{limit: 16 << 10}
	v := make([]byte, 100)
	for i := range 1000 {
		c.keep(fmt.Sprintf("s:appeal:%04d", i), v)
		if c.size > c.limit {
			t.Fatalf("%d bytes held, bound %d", c.size, c.limit)
		}
	}
	size := 0
	for k, v := range c.m {
		size += len(k) + len(v) + entryOverhead
	}
	if size != c.size || len(c.m) < 80 {
		t.Fatalf("%d entries of %d bytes, counted %d", len(c.m), size, c.size)
	}
	// A state put again, larger, when the cache is full: others make
	// room, not the one replaced (whatever the map's order).
	for range 20 {
		c := stateCache{limit: 2 * (3 + 100 + entryOverhead)}
		c.put("s:a", make([]byte, 100), 3+100+entryOverhead)
		c.put("s:b", make([]byte, 100), 3+100+entryOverhead)
		c.put("s:a", make([]byte, 150), 3+150+entryOverhead)
		if len(c.m) != 1 || len(c.m["s:a"]) != 150 || c.size != 3+150+entryOverhead {
			t.Fatalf("%d entries, %d bytes of s:a, counted %d", len(c.m), len(c.m["s:a"]), c.size)
		}
	}
	if c.get([]byte("s:appeal:0999")) == nil {
		t.Fatal("the last state kept is not there")
	}
	c.drop([]byte("s:appeal:0999"))
	if c.get([]byte("s:appeal:0999")) != nil {
		t.Fatal("a dropped state is still there")
	}
	// Larger than a sixteenth of the bound: not kept, and what was kept
	// of it before goes.
	c.keep("s:appeal:big", v)
	c.keep("s:appeal:big", make([]byte, 2<<10))
	if c.get([]byte("s:appeal:big")) != nil {
		t.Fatal("a state over the bound for one was kept, or the one before it stayed")
	}
}

// aheadSummary reads the appeal's state in an append through StateAhead
// of a, and returns its summary.
func aheadSummary(t *testing.T, st *Store, a store.Ahead, id string) string {
	t.Helper()
	var got string
	err := st.Append(context.Background(), func(w store.LogTx) error {
		s, err := w.(store.AheadReader).StateAhead(a, "appeal", id)
		if err == nil && s != nil {
			got = string(s.Fields["summary"].Value)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// States read ahead of an append are given to it only while they are
// what the last commit left, and each once.
func TestStatesAhead(t *testing.T) {
	ctx := context.Background()
	st := openGroupStore(t)
	id, other := domain.NewID(), domain.NewID()
	for _, r := range []string{id, other} {
		if err := st.Append(ctx, rewrite(r, "", "v1", 1)); err != nil {
			t.Fatal(err)
		}
	}
	keys := []store.RecordKey{{Kind: "appeal", ID: id}, {Kind: "appeal", ID: other}}
	// Not in the cache (created alone, then written by a window): read
	// from Badger and kept.
	if err := st.flushStates(); err != nil {
		t.Fatal(err)
	}
	if len(st.states.m) != 0 {
		t.Fatalf("the cache holds %d states after the window, want none", len(st.states.m))
	}
	a := st.StatesAhead(ctx, keys).(*ahead)
	if len(a.m) != 2 || len(st.states.m) != 2 {
		t.Fatalf("read ahead %d states, the cache holds %d; want 2, 2", len(a.m), len(st.states.m))
	}
	hits := st.states.hits.Load()
	if got := aheadSummary(t, st, a, id); got != `"v1"` || st.states.hits.Load() != hits+1 {
		t.Fatalf("read %s (%d hits), want the state read ahead", got, st.states.hits.Load()-hits)
	}
	if len(a.m) != 1 {
		t.Fatal("a state read ahead is given more than once")
	}
	// A commit rewrites the other after it was read ahead: the append
	// reads the commit's.
	if err := st.Append(ctx, rewrite(other, `"v1"`, "v2", 2)); err != nil {
		t.Fatal(err)
	}
	if got := aheadSummary(t, st, a, other); got != `"v2"` {
		t.Fatalf("read %s, want the state committed after the read ahead", got)
	}
	// A state read from Badger before an append put and committed it
	// (its count moved) is not kept.
	key := stateKey("appeal", id)
	_, gen := st.states.lookup(key)
	if err := st.Append(ctx, func(w store.LogTx) error { return w.PutState(blind(id, "v3", 3)) }); err != nil {
		t.Fatal(err)
	}
	if st.states.admit(key, []byte("old bytes"), gen) != nil {
		t.Fatal("a state read before a commit of it was kept after it")
	}
	if got := aheadSummary(t, st, st.StatesAhead(ctx, keys[:1]), id); got != `"v3"` {
		t.Fatalf("read %s, want v3", got)
	}
}

// A read ahead by another push while an append has put a state but not
// committed it puts the last commit's state back in the cache: the append
// still reads its own put.
func TestStatesAheadDuringAnAppend(t *testing.T) {
	ctx := context.Background()
	st := openGroupStore(t)
	id := domain.NewID()
	if err := st.Append(ctx, rewrite(id, "", "v1", 1)); err != nil {
		t.Fatal(err)
	}
	keys := []store.RecordKey{{Kind: "appeal", ID: id}}
	err := st.Append(ctx, func(w store.LogTx) error {
		mine := st.StatesAhead(ctx, keys) // this push's, before its turn
		if err := rewrite(id, `"v1"`, "v2", 2)(w); err != nil {
			return err
		}
		other := st.StatesAhead(ctx, keys) // another push's, meanwhile
		if a := other.(*ahead); len(a.m) != 1 {
			return fmt.Errorf("the other push read ahead %d states, want the last commit's", len(a.m))
		}
		for _, a := range []store.Ahead{nil, mine, other} {
			s, err := w.(store.AheadReader).StateAhead(a, "appeal", id)
			if err != nil {
				return err
			}
			if got := string(s.Fields["summary"].Value); got != `"v2"` {
				return fmt.Errorf("read %s, want this append's own put", got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A record with no state when read ahead (a new one, as most of an
// ordinary push's are) is not looked for in Badger again in the append
// while no append put its state since; one put since, by a commit or by
// the append itself, is read as put.
func TestStatesAheadOfNewRecords(t *testing.T) {
	ctx := context.Background()
	st := openGroupStore(t)
	fresh, committed, own := domain.NewID(), domain.NewID(), domain.NewID()
	keys := []store.RecordKey{{Kind: "appeal", ID: fresh}, {Kind: "appeal", ID: committed}, {Kind: "appeal", ID: own}}
	a := st.StatesAhead(ctx, keys).(*ahead)
	if len(a.m) != 3 {
		t.Fatalf("read ahead %d records, want 3 (none of them has a state)", len(a.m))
	}
	if err := st.Append(ctx, rewrite(committed, "", "v1", 1)); err != nil {
		t.Fatal(err)
	}
	hits := st.states.hits.Load()
	if got := aheadSummary(t, st, a, fresh); got != "" || st.states.hits.Load() != hits+1 {
		t.Fatalf("read %q (%d hits), want no state, from the read ahead", got, st.states.hits.Load()-hits)
	}
	if got := aheadSummary(t, st, a, committed); got != `"v1"` {
		t.Fatalf("read %q, want the state committed after the read ahead", got)
	}
	err := st.Append(ctx, func(w store.LogTx) error {
		if err := rewrite(own, "", "v1", 2)(w); err != nil {
			return err
		}
		s, err := w.(store.AheadReader).StateAhead(a, "appeal", own)
		if err != nil {
			return err
		}
		if s == nil || string(s.Fields["summary"].Value) != `"v1"` {
			return fmt.Errorf("read %v, want this append's own put", s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkKeepPuts: a spread backlog's group committed, 1,500 states
// rewritten among 20,000 kept dirty (appeal-sized, 1.4 KB).
func BenchmarkKeepPuts(b *testing.B) {
	c := &stateCache{limit: stateCacheBytes}
	keys := make([]string, 20_000)
	enc := make([]byte, 1400)
	w := &logTx{}
	for i := range keys {
		keys[i] = string(stateKey("appeal", domain.NewID()))
		w.statePuts = append(w.statePuts, statePut{key: keys[i], enc: enc, read: true})
	}
	c.keepPuts(w)
	groups := make([]*logTx, 16)
	for g := range groups {
		groups[g] = &logTx{}
		for i := range 1500 {
			k := keys[(g*7919+i*13)%len(keys)]
			groups[g].statePuts = append(groups[g].statePuts, statePut{key: k, enc: enc, read: true})
		}
	}
	b.ResetTimer()
	for i := range b.N {
		c.keepPuts(groups[i%len(groups)])
	}
}

// Keeping a group's states counts what the cache holds and what of it is
// dirty, whether a state is new to it, replaced (in place) or dropped.
func TestKeepPutsCounts(t *testing.T) {
	c := &stateCache{limit: 1 << 20}
	if k := string(stateKey("appeal", domain.NewID())); c.genOf(k) != c.gen([]byte(k)) {
		t.Fatal("a key's count is not the same from its string and its bytes")
	}
	group := func(puts ...statePut) *logTx { return &logTx{statePuts: puts} }
	val := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
	c.keepPuts(group(statePut{"s:a:1", val(100, 1), true, false}, statePut{"s:a:2", val(200, 2), true, false}, statePut{"s:a:3", val(50, 3), true, false}))
	c.keep("s:a:4", val(70, 4)) // clean
	c.keepPuts(group(statePut{"s:a:1", val(300, 5), true, false}, statePut{"s:a:2", val(10, 6), false, false}, statePut{"s:a:4", val(20, 7), true, false},
		statePut{"s:a:1", val(40, 8), true, false}, statePut{"s:a:5", val(30, 9), false, true}))
	size, dirty := 0, 0
	for k, v := range c.m {
		size += len(k) + len(v) + entryOverhead
		if _, ok := c.dirty[k]; ok {
			dirty += len(k) + len(v) + entryOverhead
		}
	}
	for k := range c.dirty {
		if _, ok := c.m[k]; !ok {
			t.Fatalf("%s dirty but not held", k)
		}
	}
	if size != c.size || dirty != c.dirtySize {
		t.Fatalf("held %d bytes (%d dirty), counted %d (%d)", size, dirty, c.size, c.dirtySize)
	}
	want := map[string][]byte{"s:a:1": val(40, 8), "s:a:3": val(50, 3), "s:a:4": val(20, 7), "s:a:5": val(30, 9)}
	// Rewritten ones are kept once written, the created one is not, and
	// it is listed to be written once old.
	for k, rewritten := range c.dirty {
		if rewritten != (k != "s:a:5") {
			t.Fatalf("%s dirty, marked rewritten %v", k, rewritten)
		}
	}
	if len(c.created) != 1 || c.created[0].key != "s:a:5" {
		t.Fatalf("created states listed: %v", c.created)
	}
	if len(c.m) != len(want) || len(c.dirty) != len(want) {
		t.Fatalf("%d held, %d dirty, want %d each", len(c.m), len(c.dirty), len(want))
	}
	for k, v := range want {
		if !bytes.Equal(c.m[k], v) {
			t.Fatalf("%s holds %d bytes of %d, want %d of %d", k, len(c.m[k]), c.m[k][0], len(v), v[0])
		}
	}
}
