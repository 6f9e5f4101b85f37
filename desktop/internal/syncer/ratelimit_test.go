package syncer

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto/synctest"
)

// backlog starts a fake server (o) holding one council and enrols a
// secretary's laptop of it (name) that then made the records of d, none
// synced yet; pending is how many operations wait to be sent.
func backlog(t *testing.T, o synctest.Options, name string, d demo.Options) (srv *fakeSync, l *laptop, pending uint64) {
	t.Helper()
	srv = startFake(t, o)
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	l = newLaptop(t, name)
	l.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
	if _, err := demo.Generate(context.Background(), l.svc, d); err != nil {
		t.Fatal(err)
	}
	return srv, l, l.svc.Seq()
}

// A laptop with a long backlog meets the server's per-device rate limit:
// the sync waits as the server asks and finishes, instead of failing, even
// when it waits more often than it may in a row (each request that gets
// through starts the count again).
func TestSyncWaitsWhenRateLimited(t *testing.T) {
	_, l, pending := backlog(t, synctest.Options{Rate: 0.5, Burst: 1}, "busy-laptop", demo.Options{Appeals: 300, Events: 20, Seed: 3})
	// About 1,500 operations take at least three requests (change sets of
	// 500, then 1,000), and the bucket holds one: the second and third
	// must wait, one wait in a row each.
	l.sync.rateWaits = 1
	sum, err := l.sync.SyncOnce(context.Background())
	if err != nil {
		t.Fatalf("sync under the rate limit: %v (summary %+v)", err, sum)
	}
	if sum.Acked != pending || sum.Requests < 3 {
		t.Fatalf("summary %+v, want %d acknowledged in 3 requests or more", sum, pending)
	}
}

// A server past its bound on the bytes of requests at once answers busy
// (503 with Retry-After) and takes nothing: the sync waits as asked and
// sends again, and everything the laptop made is acknowledged by the end
// of the same sync, with no error.
func TestSyncWaitsWhenServerBusy(t *testing.T) {
	var busy atomic.Int32 // syncs still to turn away
	srv, l, pending := backlog(t, synctest.Options{Busy: func() bool { return busy.Add(-1) >= 0 }}, "turned-away", demo.Options{Appeals: 20, Events: 2, Seed: 5})
	busy.Store(2)
	sum, err := l.sync.SyncOnce(context.Background())
	if err != nil {
		t.Fatalf("sync with the server busy twice: %v (summary %+v)", err, sum)
	}
	if busy.Load() >= 0 {
		t.Fatalf("the server was asked %d times fewer than it was busy", busy.Load()+1)
	}
	if sum.Acked != pending || srv.Acked(l.svc.Device().ID) != pending {
		t.Fatalf("summary %+v, the server holds %d; want all %d acknowledged", sum, srv.Acked(l.svc.Device().ID), pending)
	}
}

// A server refuses a change set of more operations than its bound on the
// memory of requests lets it take at once (413, too_large), taking
// nothing: the laptop sends half as many, down to what the server takes,
// and everything it made is acknowledged by the end of the same sync,
// including a backlog pushed with requests in flight; a change set the
// server took is never larger than one it refused.
func TestSyncSendsFewerWhenTooLarge(t *testing.T) {
	const most = 40 // the most operations the fake server takes at once
	var refused, largest atomic.Int64
	var sizesMu sync.Mutex
	var sizes []int
	srv := startFake(t, synctest.Options{TooLarge: func(ops int) bool {
		if ops > most {
			refused.Add(1)
			sizesMu.Lock()
			sizes = append(sizes, ops)
			sizesMu.Unlock()
			return true
		}
		for n := largest.Load(); int64(ops) > n && !largest.CompareAndSwap(n, int64(ops)); n = largest.Load() {
		}
		return false
	}})
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	l := newLaptop(t, "too-large")
	l.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
	ctx := context.Background()
	if _, err := demo.Generate(ctx, l.svc, demo.Options{Appeals: 300, Events: 20, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	pending := l.svc.Seq()
	if pending <= pushOps {
		t.Fatalf("%d operations: the test needs a backlog of more than one change set (%d)", pending, pushOps)
	}
	sum, err := l.sync.SyncOnce(ctx)
	if err != nil {
		t.Fatalf("sync with a server that takes at most %d operations at once: %v (summary %+v)", most, err, sum)
	}
	if sum.Acked != pending || srv.Acked(l.svc.Device().ID) != pending {
		t.Fatalf("summary %+v, the server holds %d; want all %d acknowledged", sum, srv.Acked(l.svc.Device().ID), pending)
	}
	// 500 -> 250 -> 125 -> 62 -> 31 operations: four refusals, whatever
	// the pipelined push had in flight besides, then none. (Before the
	// pipelined push halved too, the loop sent again as many as its
	// flights were refused for: 8 refusals in 12 runs of 15, 500, 250,
	// 125 and 62 five times.)
	if r := refused.Load(); r < 4 || r > 4+pushWindow {
		sizesMu.Lock()
		defer sizesMu.Unlock()
		t.Errorf("%d change sets refused as too large (of %v operations); want 4 to %d", r, sizes, 4+pushWindow)
	}
	if n := largest.Load(); n > most || n < most/2 {
		t.Errorf("the largest change set taken had %d operations; want %d to %d", n, most/2, most)
	}
}
