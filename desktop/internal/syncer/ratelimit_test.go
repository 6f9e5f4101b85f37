package syncer

import (
	"context"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// A laptop with a long backlog meets the server's per-device rate limit:
// the sync waits as the server asks and finishes, instead of failing.
func TestSyncWaitsWhenRateLimited(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server")
	}
	srv := startServer(t, "--rate", "0.5", "--burst", "1")
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	l := newLaptop(t, "busy-laptop")
	l.enroll(t, srv, "NRN-ATB", "KG-N", syncproto.RoleSecretary, srv.URL)
	ctx := context.Background()
	if _, err := demo.Generate(ctx, l.svc, demo.Options{Appeals: 300, Events: 20, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	pending := l.svc.Seq()
	// About 1,500 operations take at least two requests (the first change
	// set holds 500), and the bucket holds one: the second must wait.
	sum, err := l.sync.SyncOnce(ctx)
	if err != nil {
		t.Fatalf("sync under the rate limit: %v (summary %+v)", err, sum)
	}
	if sum.Acked != pending {
		t.Fatalf("summary %+v, want %d acknowledged", sum, pending)
	}
}
