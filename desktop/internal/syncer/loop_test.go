package syncer

import (
	"context"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto/synctest"
)

// waitFor reads statuses until ok(status) or the deadline.
func waitFor(t *testing.T, ch <-chan Status, what string, ok func(Status) bool) Status {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case st := <-ch:
			if ok(st) {
				return st
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestLoopSyncsAfterSaveAndWhenTheNetworkReturns(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := startFake(t, synctest.Options{})
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	l := newLaptop(t, "loop-laptop")
	l.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)

	loop := NewLoop(l.sync, LoopOptions{AfterSave: 100 * time.Millisecond, Period: time.Hour, MinBackoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond})
	statuses, stop := loop.Subscribe()
	defer stop()
	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	waitFor(t, statuses, "the first sync", func(s Status) bool { return s.State == StateIdle && !s.LastOK.IsZero() })

	save := func(summary string) {
		today := caldate.Today(records.Bishkek)
		if _, err := l.svc.CreateAppeal(ctx, domain.Appeal{Council: "NRN-ATB", Channel: "phone", Oblast: "KG-N", Category: "health",
			Anonymous: true, Summary: summary, ReceivedOn: today, RegisteredOn: today}); err != nil {
			t.Fatal(err)
		}
	}
	save("Дары жок")
	waitFor(t, statuses, "a sync soon after the save", func(s Status) bool {
		return s.State == StateIdle && s.Pending == 0 && s.Last != nil && s.Last.Sent == 1
	})

	// The server goes away: the loop reports offline and keeps the change.
	srv.Stop()
	save("Суу жок")
	st := waitFor(t, statuses, "offline", func(s Status) bool { return s.State == StateOffline })
	if st.Pending != 1 || st.LastError == "" || st.NextAttempt.IsZero() {
		t.Fatalf("offline status: %+v", st)
	}
	// It comes back: the loop notices without being asked and sends the change.
	srv.Start()
	waitFor(t, statuses, "back in step", func(s Status) bool { return s.State == StateIdle && s.Pending == 0 })

	// Revoked: the loop stops retrying and says why.
	srv.revoke(l.svc.Device().ID)
	save("Жол бузулду")
	st = waitFor(t, statuses, "blocked after revocation", func(s Status) bool { return s.State == StateBlocked })
	if st.Pending != 1 {
		t.Fatalf("a revoked laptop keeps its change: pending %d", st.Pending)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run returned %v", err)
	}
}
