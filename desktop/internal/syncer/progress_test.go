package syncer

import (
	"context"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/synctest"
)

func TestProgress(t *testing.T) {
	for _, c := range []struct {
		name                          string
		acked, acked0, total, cursor0 uint64
		resp                          syncproto.SyncResponse
		done, all                     uint64
	}{
		{"nothing to do", 5, 5, 0, 10, syncproto.SyncResponse{Cursor: 10, Head: 10}, 0, 0},
		{"push half way", 150, 100, 100, 0, syncproto.SyncResponse{}, 50, 100},
		{"push done, more saved meanwhile", 230, 100, 100, 0, syncproto.SyncResponse{}, 100, 100},
		{"resent after the server lost some (acked went back)", 90, 100, 100, 0, syncproto.SyncResponse{}, 0, 100},
		{"pull half way", 0, 0, 0, 1000, syncproto.SyncResponse{Cursor: 1500, Head: 2000, More: true}, 500, 1000},
		{"pull done", 0, 0, 0, 1000, syncproto.SyncResponse{Cursor: 2000, Head: 2000}, 1000, 1000},
		{"push and pull", 150, 100, 100, 1000, syncproto.SyncResponse{Cursor: 1500, Head: 2000, More: true}, 550, 1100},
		{"an older server (no head)", 0, 0, 0, 1000, syncproto.SyncResponse{Cursor: 1500, More: true}, 0, 0},
		{"a server restored from a backup (head behind the cursor)", 0, 0, 0, 3000, syncproto.SyncResponse{Cursor: 2000, Head: 2000}, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			done, all := progress(c.acked, c.acked0, c.total, c.cursor0, &c.resp)
			if done != c.done || all != c.all {
				t.Fatalf("progress = %d of %d, want %d of %d", done, all, c.done, c.all)
			}
		})
	}
}

// A new laptop's first sync, which pulls its council's records in several
// pages, reports progress that only grows and ends complete.
func TestFirstSyncReportsProgress(t *testing.T) {
	ctx := context.Background()
	srv := startFake(t, synctest.Options{})
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	a := newLaptop(t, "first-laptop")
	a.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
	if _, err := demo.Generate(ctx, a.svc, demo.Options{Appeals: 300, Events: 20, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.sync.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}

	b := newLaptop(t, "second-laptop")
	var calls [][2]uint64
	b.sync.Progress = func(done, total uint64) { calls = append(calls, [2]uint64{done, total}) }
	b.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
	if len(calls) < 2 {
		t.Fatalf("progress reported %d times (%v), want once a page, several pages", len(calls), calls)
	}
	for i, c := range calls {
		if c[1] == 0 || c[0] > c[1] || (i > 0 && c[0] < calls[i-1][0]) {
			t.Fatalf("progress %v: call %d does not grow within its total", calls, i+1)
		}
	}
	if last := calls[len(calls)-1]; last[0] != last[1] {
		t.Fatalf("progress ends at %d of %d", last[0], last[1])
	}
}
