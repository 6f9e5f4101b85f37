package syncer

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/synctest"
)

// bulkSource is a fake server holding two councils' laptops' demo records,
// with concurrent edits of one appeal (a conflict to pull), in several
// pages.
func bulkSource(t *testing.T) (*fakeSync, []*laptop) {
	t.Helper()
	ctx := context.Background()
	srv := startFake(t, synctest.Options{})
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	srv.addCouncil("JA-ARV", "Араван коомдук кеңеши", "KG-J")
	a := newLaptop(t, "atbashy")
	a.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
	b := newLaptop(t, "aravan")
	b.enroll(t, srv, "JA-ARV", "KG-J", domain.RoleSecretary, srv.URL)
	a2 := newLaptop(t, "atbashy-2")
	a2.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
	for i, l := range []*laptop{a, b} {
		if _, err := demo.Generate(ctx, l.svc, demo.Options{Appeals: 150, Events: 10, Seed: uint64(i + 1)}); err != nil {
			t.Fatal(err)
		}
		l.sync.syncOK(t)
	}
	// Both Ат-Башы laptops change one appeal's summary offline.
	a2.sync.syncOK(t)
	list, err := a.svc.List(records.Filter{Kind: domain.KindAppeal})
	if err != nil || len(list) == 0 {
		t.Fatalf("%d appeals: %v", len(list), err)
	}
	for _, l := range []*laptop{a, a2} {
		ap, err := l.svc.Appeal(ctx, list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.svc.EditAppeal(ctx, ap.ID, json.RawMessage(`{"summary": "Жер участогу боюнча `+l.name+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	a.sync.syncOK(t)
	a2.sync.syncOK(t)
	return srv, []*laptop{a, b, a2}
}

// openAt opens (or makes, with init) a laptop's store in dir.
func openAt(t *testing.T, dir string, key []byte, name string, init bool) *laptop {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, key, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if init {
		if _, err := records.Init(ctx, st, name); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := records.Open(ctx, st, records.Options{Format: WireFormat{}})
	if err != nil {
		t.Fatal(err)
	}
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	return &laptop{name: name, st: st, svc: svc, sync: New(svc, codec)}
}

// pulled is what a central laptop holds after pulling everything: every
// record of both councils, each record's history, the open conflicts and
// what its index finds.
type pulled struct {
	appeals, events map[string]string
	history         map[string]int
	conflicts       []changeset.Conflict
	found           int
}

func pulledBy(t *testing.T, l *laptop) pulled {
	t.Helper()
	ctx := context.Background()
	p := pulled{appeals: snapshot(t, l, domain.KindAppeal, ""), events: snapshot(t, l, domain.KindEvent, ""), history: map[string]int{}}
	for id := range p.appeals {
		h, err := l.svc.History(ctx, domain.KindAppeal, id)
		if err != nil {
			t.Fatal(err)
		}
		p.history[id] = len(h)
	}
	// Every conflict held (a central laptop lists only those it may
	// resolve).
	err := l.st.Conflicts(ctx, func(c changeset.Conflict) error {
		p.conflicts = append(p.conflicts, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.found, err = l.svc.Count(records.Filter{Kind: domain.KindAppeal, Text: "жер"}); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p pulled) diff(t *testing.T, name string, want pulled) {
	t.Helper()
	if len(p.appeals) != len(want.appeals) || len(p.events) != len(want.events) {
		t.Fatalf("%s holds %d appeals and %d events, want %d and %d", name, len(p.appeals), len(p.events), len(want.appeals), len(want.events))
	}
	for id, w := range want.appeals {
		if p.appeals[id] != w {
			t.Fatalf("%s: appeal %s is\n%s\nwant\n%s", name, id, p.appeals[id], w)
		}
		if p.history[id] != want.history[id] {
			t.Fatalf("%s: appeal %s has %d operations in its history, want %d", name, id, p.history[id], want.history[id])
		}
	}
	for id, w := range want.events {
		if p.events[id] != w {
			t.Fatalf("%s: event %s is\n%s\nwant\n%s", name, id, p.events[id], w)
		}
	}
	if !reflect.DeepEqual(p.conflicts, want.conflicts) || len(want.conflicts) == 0 {
		t.Fatalf("%s: conflicts %+v, want %+v (not none)", name, p.conflicts, want.conflicts)
	}
	if p.found != want.found || want.found == 0 {
		t.Fatalf("%s: the index finds %d appeals with 'жер', want %d (not none)", name, p.found, want.found)
	}
}

// A new central laptop's first pull is a bulk load, in several windows,
// and holds exactly what a laptop that applied the same pages one by one
// holds: records, histories, conflicts, index. Afterwards the laptop is
// out of the bulk load, and what arrives next is applied page by page.
func TestFirstPullInBulk(t *testing.T) {
	ctx := context.Background()
	srv, src := bulkSource(t)

	one := newLaptop(t, "page-by-page")
	one.sync.bulkOps = 0 // no bulk load: today's path, for reference
	one.sync.pullMost = 16 << 10
	one.enroll(t, srv, "", "", domain.RoleCentral, srv.URL)
	want := pulledBy(t, one)

	bulk := newLaptop(t, "bulk")
	bulk.sync.bulkOps, bulk.sync.pullMost = 200, 16<<10
	if ok, err := bulk.svc.BulkLoad(ctx); err != nil || !ok {
		t.Fatalf("an empty laptop: BulkLoad = %v, %v; want true", ok, err)
	}
	var windows int
	bulk.sync.svc = countWindows{Replica: bulk.svc, n: &windows}
	var relaxed, restored, restoredAt int
	bulk.sync.BulkMemory = func() func() {
		relaxed++
		return func() { restored, restoredAt = restored+1, windows }
	}
	bulk.enroll(t, srv, "", "", domain.RoleCentral, srv.URL)
	if windows < 3 {
		t.Fatalf("the first pull took %d bulk windows, want several", windows)
	}
	if relaxed != 1 || restored != 1 || restoredAt != windows {
		t.Fatalf("BulkMemory called %d times, its restore %d times after %d of %d windows; want once, after all", relaxed, restored, restoredAt, windows)
	}
	pulledBy(t, bulk).diff(t, "the bulk-loaded laptop", want)
	if ok, err := bulk.svc.BulkLoad(ctx); err != nil || ok {
		t.Fatalf("after the first pull: BulkLoad = %v, %v; want false", ok, err)
	}
	st, err := bulk.svc.SyncState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ost, err := one.svc.SyncState(ctx)
	if err != nil || st.Cursor != ost.Cursor || st.Cursor == 0 {
		t.Fatalf("cursor after the bulk load %d, page by page %d (%v)", st.Cursor, ost.Cursor, err)
	}

	// The next change arrives page by page.
	a := src[0]
	list, err := a.svc.List(records.Filter{Kind: domain.KindAppeal})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.EditAppeal(ctx, list[1].ID, json.RawMessage(`{"summary": "Мектептин жолу"}`)); err != nil {
		t.Fatal(err)
	}
	a.sync.syncOK(t)
	before := windows
	bulk.sync.syncOK(t)
	one.sync.syncOK(t)
	if windows != before || relaxed != 1 {
		t.Fatalf("a sync after the bulk load applied %d windows in bulk, BulkMemory called %d times", windows-before, relaxed)
	}
	pulledBy(t, bulk).diff(t, "the bulk-loaded laptop after one more sync", pulledBy(t, one))
}

// countWindows counts ApplyBulk's calls.
type countWindows struct {
	Replica
	n *int
}

func (c countWindows) ApplyBulk(ctx context.Context, ops []*changeset.Op, bad []records.Unreadable, cursor uint64, done bool) (records.ApplyResult, error) {
	*c.n++
	return c.Replica.ApplyBulk(ctx, ops, bad, cursor, done)
}

var errCrash = errors.New("the laptop lost its power")

// crashing stops a bulk load at its window number at: before writing any
// of it, having written its first half (the cursor not moved), as a
// power cut between the window's writes and its cursor leaves it, or,
// with opsTo, having written the window's operations and histories to
// that store but none of their records' states and index rows (the
// first of a window's two parts, records.ApplyBulk).
type crashing struct {
	Replica
	at, calls int
	half      bool
	opsTo     *store.Store
}

func (c *crashing) ApplyBulk(ctx context.Context, ops []*changeset.Op, bad []records.Unreadable, cursor uint64, done bool) (records.ApplyResult, error) {
	c.calls++
	if c.calls < c.at {
		return c.Replica.ApplyBulk(ctx, ops, bad, cursor, done)
	}
	if c.calls == c.at && c.half {
		st, err := c.Replica.SyncState(ctx)
		if err != nil {
			return records.ApplyResult{}, err
		}
		if _, err := c.Replica.ApplyBulk(ctx, ops[:len(ops)/2], nil, st.Cursor, false); err != nil {
			return records.ApplyResult{}, err
		}
	}
	if c.calls == c.at && c.opsTo != nil {
		writes := make([]store.Write, len(ops))
		for i, op := range ops {
			writes[i] = store.Write{Op: op}
		}
		if err := c.opsTo.WriteBulk(ctx, writes); err != nil {
			return records.ApplyResult{}, err
		}
	}
	return records.ApplyResult{}, errCrash
}

// A bulk load stopped between windows, or in the middle of one, goes on
// from where it stopped when the laptop starts again, and ends holding
// exactly what a laptop that applied the pages one by one holds: nothing
// lost, no operation twice in a history.
func TestBulkLoadResumesAfterACrash(t *testing.T) {
	ctx := context.Background()
	srv, _ := bulkSource(t)
	one := newLaptop(t, "page-by-page")
	one.sync.bulkOps = 0
	one.enroll(t, srv, "", "", domain.RoleCentral, srv.URL)
	want := pulledBy(t, one)

	for _, c := range []struct {
		name      string
		at        int
		half, ops bool
	}{
		{"before its first window", 1, false, false},
		{"between windows", 3, false, false},
		{"half-way through a window", 3, true, false},
		{"half-way through its first window", 1, true, false},
		{"with a window's operations written, not their states", 3, false, true},
		{"with its first window's operations written, not their states", 1, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "laptop")
			key := make([]byte, 32)
			rand.Read(key)
			l := openAt(t, dir, key, "central", true)
			l.sync.bulkOps, l.sync.pullMost = 200, 16<<10
			cr := &crashing{Replica: l.svc, at: c.at, half: c.half}
			if c.ops {
				cr.opsTo = l.st
			}
			l.sync.svc = cr
			var relaxed, restored int
			l.sync.BulkMemory = func() func() {
				relaxed++
				return func() { restored++ }
			}
			_, _, err := l.sync.Enroll(ctx, srv.URL, srv.enrollCode("", domain.RoleCentral, "central"))
			if !errors.Is(err, errCrash) {
				t.Fatalf("enroll: %v, want the crash", err)
			}
			if relaxed != 1 || restored != 1 {
				t.Fatalf("a bulk load that failed: BulkMemory called %d times, its restore %d times; want once each", relaxed, restored)
			}
			if err := l.st.Close(); err != nil {
				t.Fatal(err)
			}

			l = openAt(t, dir, key, "central", false)
			// Also stopped in its first window's writes, the store holding
			// operations: the marker (m:bulk_load) was written before them,
			// and the pull goes on in bulk.
			if ok, err := l.svc.BulkLoad(ctx); err != nil || !ok {
				t.Fatalf("after the crash: BulkLoad = %v, %v; want true", ok, err)
			}
			l.sync.bulkOps, l.sync.pullMost = 200, 16<<10
			l.sync.syncOK(t)
			pulledBy(t, l).diff(t, fmt.Sprintf("the laptop that crashed %s", c.name), want)
			if ok, err := l.svc.BulkLoad(ctx); err != nil || ok {
				t.Fatalf("after the pull: BulkLoad = %v, %v; want false", ok, err)
			}
		})
	}
}

// A laptop that made records of its own before its first sync (a
// council's laptop used before it was enrolled) pulls page by page.
func TestNoBulkLoadWithRecords(t *testing.T) {
	ctx := context.Background()
	srv := startFake(t, synctest.Options{})
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	l := newLaptop(t, "used-offline")
	if _, err := demo.Generate(ctx, l.svc, demo.Options{Appeals: 3, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	if ok, err := l.svc.BulkLoad(ctx); err != nil || ok {
		t.Fatalf("a laptop with records of its own: BulkLoad = %v, %v; want false", ok, err)
	}
}
