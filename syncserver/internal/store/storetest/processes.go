package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// The cases of several server processes on one database (Suite.Second):
// what one process writes, every other reads at once, and the log's
// numbers and pull order hold across them as within one.

// second opens another store on the handle's data, closed when the test
// ends, or skips the test for an engine of one process.
func (h *handle) second(t *testing.T) store.Store {
	t.Helper()
	if h.s.Second == nil {
		t.Skip("the engine serves one process")
	}
	st := h.s.Second(t, h.st)
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close the second store: %v", err)
		}
	})
	return st
}

// slowWriter is writer with a pause inside each Append, after its numbers
// were taken and before it commits: the window in which another process's
// later numbers could commit first, were numbers given freely.
func slowWriter(st store.Store, dev, council string, r *rand.Rand) ([]uint64, error) {
	var got []uint64
	seq := uint64(0)
	for i := 0; i < changeSets; i++ {
		var ops []*changeset.Op
		for j := 0; j < perSet; j++ {
			seq++
			ops = append(ops, newOp(dev, seq, "appeal", domain.NewID(), council, fmt.Sprint(seq)))
		}
		pause := time.Duration(r.IntN(1500)) * time.Microsecond
		var seqs []uint64
		err := st.Append(ctx, func(w store.LogTx) error {
			seqs = seqs[:0]
			for _, op := range ops {
				s, err := w.Accept(op, byCouncil(op))
				if err != nil {
					return err
				}
				seqs = append(seqs, s)
			}
			time.Sleep(pause)
			return nil
		})
		if err != nil {
			return got, err
		}
		got = append(got, seqs...)
	}
	return got, nil
}

// Two processes append at once while readers on a third pull page after
// page: the numbers run 1..n without a gap across both, a change set's
// are consecutive, and every reader sees every operation it may see, once,
// in server order. A reader whose cursor passed a number another process
// had taken but not yet committed would lose that operation for ever.
func testProcessesShareTheLog(t *testing.T, h *handle) {
	other, reading := h.second(t), h.second(t)
	writers := []store.Store{h.st, other}
	devs := []string{domain.NewID(), domain.NewID()}
	councils := []string{"NRN-ATB", ""}
	scopes := []store.Scope{{All: true}, {Council: "NRN-ATB", Global: true}, {Global: true}}
	got := make([][]uint64, len(writers))
	errs := make([]error, len(writers))
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = slowWriter(writers[i], devs[i], councils[i], rand.New(rand.NewPCG(uint64(i), 15)))
		}()
	}
	done := make(chan struct{})
	seen := make([][]string, len(scopes))
	rerrs := make([]error, len(scopes))
	var rg sync.WaitGroup
	for i, scope := range scopes {
		rg.Add(1)
		go func() {
			defer rg.Done()
			cursor := uint64(0)
			for {
				finished := false
				select {
				case <-done:
					finished = true
				default:
				}
				p, err := reading.Pull(ctx, scope, "", cursor, store.PullLimits{MaxBytes: 1 << 20, MaxOps: 5})
				if err != nil {
					rerrs[i] = err
					return
				}
				if p.Cursor < cursor || p.Head < p.Cursor {
					rerrs[i] = fmt.Errorf("cursor %d, then page cursor %d with head %d", cursor, p.Cursor, p.Head)
					return
				}
				seen[i] = append(seen[i], ids(p.Ops)...)
				cursor = p.Cursor
				if finished && !p.More {
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	rg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	_, ops := logged(t, reading)
	for i, scope := range scopes {
		if rerrs[i] != nil {
			t.Fatalf("%+v: %v", scope, rerrs[i])
		}
		var want []string
		for _, op := range ops {
			if scope.All || op.Council == scope.Council || op.Council == "" && scope.Global {
				want = append(want, op.ID())
			}
		}
		if !slices.Equal(seen[i], want) {
			t.Fatalf("%+v: a reader on a third process saw %d operations, the log holds %d it may see: missed, doubled or out of order",
				scope, len(seen[i]), len(want))
		}
	}
	total := uint64(len(writers) * changeSets * perSet)
	all := slices.Concat(got...)
	slices.Sort(all)
	for i, s := range all {
		if s != uint64(i+1) {
			t.Fatalf("numbers given by two processes: %v; want 1..%d, each once", all, total)
		}
	}
	for i, seqs := range got {
		for k := 0; k < len(seqs); k += perSet {
			if seqs[k+perSet-1]-seqs[k] != perSet-1 {
				t.Fatalf("process %d's change set %d was given %v: another process's Append ran inside it", i, k/perSet, seqs[k:k+perSet])
			}
		}
	}
	for _, st := range []store.Store{h.st, other, reading} {
		if n := head(t, st); n != total {
			t.Fatalf("a process reads head %d, want %d", n, total)
		}
	}
}

// One device's change sets written through two processes at once (a
// laptop's sync sent again to another process behind a load balancer):
// each is written once, the other process is told ErrSequence.
func testProcessesOneDevice(t *testing.T, h *handle) {
	stores := []store.Store{h.st, h.second(t)}
	dev := domain.NewID()
	var sets [][]*changeset.Op
	seq := uint64(0)
	for i := 0; i < changeSets; i++ {
		var ops []*changeset.Op
		for j := 0; j < perSet; j++ {
			seq++
			ops = append(ops, newOp(dev, seq, "appeal", domain.NewID(), "NRN-ATB", fmt.Sprint(seq)))
		}
		sets = append(sets, ops)
	}
	var mu sync.Mutex
	won := make([]int, len(sets))
	var failed error
	var wg sync.WaitGroup
	for _, st := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, ops := range sets {
				err := st.Append(ctx, func(w store.LogTx) error {
					for _, op := range ops {
						if _, err := w.Accept(op, store.Index{Council: "NRN-ATB"}); err != nil {
							return err
						}
					}
					return nil
				})
				mu.Lock()
				switch {
				case err == nil:
					won[i]++
				case !errors.Is(err, store.ErrSequence):
					failed = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
	for i, n := range won {
		if n != 1 {
			t.Fatalf("change set %d was written %d times by two processes", i, n)
		}
	}
	_, ops := logged(t, stores[1])
	for i, op := range ops {
		if op.Seq != uint64(i+1) {
			t.Fatalf("log entry %d is %s", i+1, op.ID())
		}
	}
	if len(ops) != int(seq) || acked(t, stores[1], dev) != seq {
		t.Fatalf("the log holds %d operations, acked %d; want %d", len(ops), acked(t, stores[1], dev), seq)
	}
}

// What one process writes of the directory, the clock and the projection,
// another reads at once: nothing is kept in a process's memory.
func testProcessesShareTheRest(t *testing.T, h *handle) {
	a, b := h.st, h.second(t)
	idA, err := a.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if idB, err := b.Identity(ctx); err != nil || idB != idA {
		t.Fatalf("two processes' identities: %+v and %+v (%v)", idA, idB, err)
	}
	d := &store.Device{ID: domain.NewID(), Name: "ноутбук", Role: "secretary", Council: "NRN-ATB", Enrolled: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	putDevice(t, a, d, "tok")
	got, err := b.DeviceByToken(ctx, sum("tok"))
	if err != nil || got.ID != d.ID || got.Revoked {
		t.Fatalf("a device enrolled by one process, looked up by the other: %+v, %v", got, err)
	}
	// Revoked by the other: seen by the first at its next request, after
	// it found the device (an engine may keep it).
	if got, err := a.DeviceByToken(ctx, sum("tok")); err != nil || got.ID != d.ID || got.Revoked {
		t.Fatalf("a device enrolled by one process, looked up by it: %+v, %v", got, err)
	}
	err = b.Update(ctx, func(x store.DirTx) error {
		cur, err := x.Device(d.ID)
		if err != nil || cur == nil {
			return fmt.Errorf("device: %+v, %v", cur, err)
		}
		now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
		cur.Revoked, cur.RevokedAt = true, &now
		return x.PutDevice(cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	// (An engine that keeps tokens in memory sees it within the
	// notification's delivery: wait for that.)
	if c, ok := a.(store.DirectoryCatcher); ok {
		if err := c.CatchUpDirectory(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := a.DeviceByToken(ctx, sum("tok")); err != nil || !got.Revoked {
		t.Fatalf("revoked by one process, the other still finds %+v, %v", got, err)
	}
	if err := a.Update(ctx, func(x store.DirTx) error { return x.PutCode(sum("code"), &store.Code{Role: "central", Name: "n"}) }); err != nil {
		t.Fatal(err)
	}
	err = b.View(ctx, func(x store.DirTx) error {
		c, err := x.Code(sum("code"))
		if err == nil && (c == nil || c.Name != "n") {
			err = fmt.Errorf("a code made by one process, read by the other: %+v", c)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	if err := a.SetSeen(ctx, map[string]time.Time{d.ID: at}); err != nil {
		t.Fatal(err)
	}
	ds, err := b.Devices(ctx)
	if err != nil || len(ds) != 1 || ds[0].LastSeen == nil || !ds[0].LastSeen.Equal(at) {
		t.Fatalf("last seen, written by one process, read by the other: %+v, %v", ds, err)
	}
	// The server's clock and the projection.
	if err := a.Append(ctx, func(w store.LogTx) error {
		if err := w.SetClock(base + 77); err != nil {
			return err
		}
		if err := w.SetPublicRule(5); err != nil {
			return err
		}
		return w.PutPublicAppeal(publicAppeal(domain.NewID(), "NRN-ATB-2026-K7QH-0001"))
	}); err != nil {
		t.Fatal(err)
	}
	err = b.Append(ctx, func(w store.LogTx) error {
		c, err := w.Clock()
		if err != nil || c != base+77 {
			return fmt.Errorf("the clock one process set, read by the other: %v, %v", c, err)
		}
		if r, err := w.PublicRule(); err != nil || r != 5 {
			return fmt.Errorf("the public rule one process set, read by the other: %d, %v", r, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := version(t, b); v.N != 1 {
		t.Fatalf("the projection's version one process moved, read by the other: %+v", v)
	}
	var clock hlc.Timestamp
	if err := b.Append(ctx, func(w store.LogTx) (err error) { clock, err = w.Clock(); return err }); err != nil || clock != base+77 {
		t.Fatalf("clock %v, %v", clock, err)
	}
}

// fill sets every exported field of the struct v points at to a value
// that is not its zero, so that a field an engine forgets to keep shows.
func fill(t testing.TB, v any, n int) {
	t.Helper()
	rv := reflect.ValueOf(v).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f, name := rv.Field(i), rv.Type().Field(i).Name
		if !f.CanSet() {
			continue
		}
		switch f.Interface().(type) {
		case string:
			f.SetString(fmt.Sprintf("%s-%d", name, n+i))
		case bool:
			f.SetBool(true)
		case uint64:
			f.SetUint(uint64(n + i + 1))
		case time.Time:
			f.Set(reflect.ValueOf(time.Date(2026, 12, 3, 9, n, i, 123456000, time.UTC)))
		case *time.Time:
			tm := time.Date(2026, 12, 4, 9, n, i, 654321000, time.UTC)
			f.Set(reflect.ValueOf(&tm))
		case []byte:
			f.SetBytes([]byte(fmt.Sprintf("%32d", n+i))[:32])
		default:
			t.Fatalf("storetest cannot fill %s's field %s (%s): teach fill its type", rv.Type(), name, f.Type())
		}
	}
}

// Every field of a device and of a code is kept: an engine with columns
// of its own must keep a field added to these types.
func testFieldsKept(t *testing.T, h *handle) {
	var d store.Device
	fill(t, &d, 1)
	d.ID = domain.NewID()
	d.Acked, d.LastSeen = 0, nil // kept apart: by the log and SetSeen
	d.TokenHash = nil            // bound by SetToken
	var c store.Code
	fill(t, &c, 2)
	c.Device = domain.NewID()
	err := h.st.Update(ctx, func(x store.DirTx) error {
		if err := x.SetToken(&d, sum("fields")); err != nil {
			return err
		}
		if err := x.PutDevice(&d); err != nil {
			return err
		}
		return x.PutCode(sum("fields"), &c)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = h.st.View(ctx, func(x store.DirTx) error {
		got, err := x.Device(d.ID)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, &d) {
			t.Errorf("device read back:\n%+v\nwant\n%+v", got, &d)
		}
		gc, err := x.Code(sum("fields"))
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(gc, &c) {
			t.Errorf("code read back:\n%+v\nwant\n%+v", gc, &c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Prefetch (an engine's optional extra) changes nothing of what an
// Append's reads return: the transaction's own writes, what the store
// holds, and nothing for what it does not hold.
func testPrefetch(t *testing.T, h *handle) {
	var probe bool
	h.st.Append(ctx, func(w store.LogTx) error { _, probe = w.(store.Prefetcher); return nil })
	if !probe {
		t.Skip("the engine reads without round trips")
	}
	kept, mine, none := domain.NewID(), domain.NewID(), domain.NewID()
	state := func(id, v string) *changeset.State {
		var s changeset.State
		s.Apply(newOp("d", 1, domain.KindAppeal, id, "NRN-ATB", v))
		return &s
	}
	sub, other := domain.NewID(), domain.NewID()
	project(t, h.st, func(w store.LogTx) error {
		for _, id := range []string{kept, mine} {
			if err := w.PutState(state(id, "stored")); err != nil {
				return err
			}
			if err := w.PutPublicAppeal(publicAppeal(id, "NRN-ATB-2026-K7QH-000"+id[len(id)-1:])); err != nil {
				return err
			}
		}
		return w.PutTracking(&store.Tracking{Submission: sub, Council: "NRN-ATB", Status: domain.SubmissionRegistered, Appeal: kept})
	})
	project(t, h.st, func(w store.LogTx) error {
		// Written before the prefetch: the writes win.
		if err := w.PutState(state(mine, "mine")); err != nil {
			return err
		}
		if err := w.DeletePublicAppeal(mine); err != nil {
			return err
		}
		if err := w.PutTracking(&store.Tracking{Submission: other, Council: "NRN-ATB", Status: domain.SubmissionMerged, Appeal: kept}); err != nil {
			return err
		}
		keys := []store.RecordKey{{Kind: domain.KindAppeal, ID: kept}, {Kind: domain.KindAppeal, ID: mine}, {Kind: domain.KindAppeal, ID: none},
			{Kind: domain.KindAppeal, ID: kept}, {Kind: "council", ID: "NRN-ATB"}, {Kind: "a:b", ID: "c"}}
		for range 2 {
			if err := w.(store.Prefetcher).Prefetch(keys); err != nil {
				return err
			}
		}
		for id, want := range map[string]string{kept: `"stored"`, mine: `"mine"`} {
			if s, err := w.State(domain.KindAppeal, id); err != nil || s == nil || string(s.Fields["summary"].Value) != want {
				t.Errorf("state after a prefetch: %+v, %v; want summary %s", s, err, want)
			}
		}
		if s, err := w.State(domain.KindAppeal, none); err != nil || s != nil {
			t.Errorf("a record never stored, after a prefetch: %+v, %v", s, err)
		}
		if p, err := w.PublicAppeal(kept); err != nil || p == nil {
			t.Errorf("a published appeal after a prefetch: %+v, %v", p, err)
		}
		if p, err := w.PublicAppeal(mine); err != nil || p != nil {
			t.Errorf("an appeal taken off in the transaction, after a prefetch: %+v, %v", p, err)
		}
		ts, err := w.TrackingsOfAppeal(kept)
		want := []string{sub, other}
		slices.Sort(want)
		var got []string
		for _, tr := range ts {
			got = append(got, tr.Submission)
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("trackings after a prefetch: %v, %v; want %v", got, err, want)
		}
		// Writes after the prefetch are read back too.
		if err := w.PutState(state(kept, "later")); err != nil {
			return err
		}
		if s, err := w.State(domain.KindAppeal, kept); err != nil || string(s.Fields["summary"].Value) != `"later"` {
			t.Errorf("a write after the prefetch: %+v, %v", s, err)
		}
		return nil
	})
}
