package syncer

import (
	"context"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto/synctest"
)

// A laptop with a long backlog meets the server's per-device rate limit:
// the sync waits as the server asks and finishes, instead of failing, even
// when it waits more often than it may in a row (each request that gets
// through starts the count again).
func TestSyncWaitsWhenRateLimited(t *testing.T) {
	srv := startFake(t, synctest.Options{Rate: 0.5, Burst: 1})
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	l := newLaptop(t, "busy-laptop")
	l.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
	ctx := context.Background()
	if _, err := demo.Generate(ctx, l.svc, demo.Options{Appeals: 300, Events: 20, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	pending := l.svc.Seq()
	// About 1,500 operations take at least three requests (change sets of
	// 500, then 1,000), and the bucket holds one: the second and third
	// must wait, one wait in a row each.
	l.sync.rateWaits = 1
	sum, err := l.sync.SyncOnce(ctx)
	if err != nil {
		t.Fatalf("sync under the rate limit: %v (summary %+v)", err, sum)
	}
	if sum.Acked != pending || sum.Requests < 3 {
		t.Fatalf("summary %+v, want %d acknowledged in 3 requests or more", sum, pending)
	}
}
