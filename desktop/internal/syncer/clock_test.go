package syncer

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// laptopWithClock is a laptop whose wall clock the test sets.
func laptopWithClock(t *testing.T, name string, now *atomic.Int64) *laptop {
	t.Helper()
	ctx := context.Background()
	key := make([]byte, 32)
	rand.Read(key)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), name), key, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := records.Init(ctx, st, name); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return time.UnixMilli(now.Load()) }
	svc, err := records.Open(ctx, st, records.Options{Now: clock, Format: WireFormat{}})
	if err != nil {
		t.Fatal(err)
	}
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	sy := New(svc, codec)
	sy.now = clock
	return &laptop{name: name, st: st, svc: svc, sync: sy}
}

// clockJudge answers as the server does (syncserver/internal/ingest): a
// push stops at the first operation dated more than 12 hours ahead of the
// server's clock, or not after the laptop's previous one, with CodeClock
// and what it holds; everything before it is taken.
func clockJudge(w http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse {
	heldMu.Lock()
	acked := heldSeq[req.Device]
	prev := prevHLC[req.Device]
	for _, op := range req.Ops {
		if op.Seq <= acked {
			continue
		}
		t := hlc.Timestamp(op.HLC)
		if t.Time().After(time.Now().Add(12*time.Hour)) || t <= prev {
			heldSeq[req.Device], prevHLC[req.Device] = acked, prev
			heldMu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusConflict)
			json.NewEncoder(w).Encode(syncproto.ErrorBody{Code: syncproto.CodeClock, Acked: acked,
				Message: "this laptop's clock is wrong: set its date, time and time zone"})
			return nil
		}
		acked, prev = op.Seq, t
	}
	heldSeq[req.Device], prevHLC[req.Device] = acked, prev
	heldMu.Unlock()
	resp := &syncproto.SyncResponse{Acked: acked, Cursor: req.Cursor, Time: time.Now().UnixMilli()}
	if req.Cursor == 0 {
		resp.Ops = []syncproto.WireOp{councilOp("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")}
		resp.Cursor, resp.Head = 1, 1
	}
	return resp
}

var prevHLC = map[string]hlc.Timestamp{}

// TestWrongClock: a laptop whose clock says 2099 saves; the server refuses
// for the clock, and the person is told this laptop's clock is wrong,
// with both times; nothing is marked sent. Once the clock is set right,
// the next sync stamps the unsent work again and sends it all.
func TestWrongClock(t *testing.T) {
	ctx := context.Background()
	f := newFakeServer(t)
	var now atomic.Int64
	now.Store(time.Now().UnixMilli())
	l := laptopWithClock(t, "wrong-clock", &now)
	f.setAnswer(clockJudge)
	if _, _, err := l.sync.Enroll(ctx, f.srv.URL, "ABCD-EFGH"); err != nil {
		t.Fatal(err)
	}
	l.council, l.oblast = "NRN-ATB", "KG-N"
	first := l.saveAppeal(t, "Саат туура кезде") // sent while the clock is right
	if _, err := l.sync.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}

	now.Store(time.Date(2099, 3, 1, 8, 0, 0, 0, time.UTC).UnixMilli())
	a := l.saveAppeal(t, "Саат туура эмес кезде")
	patch, _ := json.Marshal(map[string]string{"village": "Ак-Муз"})
	if _, err := l.svc.EditAppeal(ctx, a.ID, patch); err != nil {
		t.Fatal(err)
	}
	_, err := l.sync.SyncOnce(ctx)
	var ce *ClockError
	if !errors.As(err, &ce) || !errors.Is(err, syncproto.ErrClock) {
		t.Fatalf("sync with the clock in 2099: %v, want a ClockError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "clock is wrong") || !strings.Contains(msg, "2099-03-01") || !strings.Contains(msg, time.Now().In(bishkek).Format("2006-01-02")) {
		t.Fatalf("the message should say the clock is wrong and give both times: %s", msg)
	}
	if errCode(err) != syncproto.CodeClock {
		t.Fatalf("the status bar's code: %q", errCode(err))
	}
	l.wantPending(t, 2)

	// The person sets the clock right, and saves once more before the
	// next sync (its hybrid clock still runs after 2099).
	now.Store(time.Now().UnixMilli())
	if _, err := l.svc.EditAppeal(ctx, first.ID, patch); err != nil {
		t.Fatal(err)
	}
	sum, err := l.sync.SyncOnce(ctx)
	if err != nil {
		t.Fatalf("sync with the clock set right: %v", err)
	}
	if sum.Sent != 3 {
		t.Fatalf("summary %+v, want the 3 unsent changes sent", sum)
	}
	l.wantPending(t, 0)
	got, err := l.svc.Appeal(ctx, a.ID)
	if err != nil || got.Village != "Ак-Муз" || got.Meta.CreatedAt.Year() == 2099 {
		t.Fatalf("the appeal after restamping: %+v %v", got, err)
	}
	// And the next save is stamped in real time.
	if _, err := l.svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"village":"Кара-Суу"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.sync.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
}

// A clock far behind the server's (a flat CMOS battery) is said to be
// wrong even when nothing is refused: what this laptop pulls would wait.
func TestClockFarBehindIsReported(t *testing.T) {
	ctx := context.Background()
	f := newFakeServer(t)
	var now atomic.Int64
	now.Store(time.Now().Add(-72 * time.Hour).UnixMilli())
	l := laptopWithClock(t, "slow-clock", &now)
	f.setAnswer(honest)
	_, _, err := l.sync.Enroll(ctx, f.srv.URL, "ABCD-EFGH")
	if !errors.Is(err, syncproto.ErrClock) {
		t.Fatalf("first sync with a clock three days behind: %v", err)
	}
	now.Store(time.Now().UnixMilli())
	if _, err := l.sync.SyncOnce(ctx); err != nil {
		t.Fatalf("with the clock set right: %v", err)
	}
}

// TestWrongClockWithTheServer: the same against the real server, and a
// second laptop of the council ends with the same records.
func TestWrongClockWithTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server")
	}
	ctx := context.Background()
	srv := startServer(t)
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	var now atomic.Int64
	now.Store(time.Now().UnixMilli())
	a := laptopWithClock(t, "wrong-clock", &now)
	a.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
	b := newLaptop(t, "right-clock")
	b.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
	first := a.saveAppeal(t, "Саат туура кезде")
	a.syncOK(t)

	now.Store(time.Date(2099, 3, 1, 8, 0, 0, 0, time.UTC).UnixMilli())
	late := a.saveAppeal(t, "Саат туура эмес кезде")
	patch, _ := json.Marshal(map[string]string{"village": "Ак-Муз"})
	if _, err := a.svc.EditAppeal(ctx, first.ID, patch); err != nil {
		t.Fatal(err)
	}
	if _, err := a.sync.SyncOnce(ctx); !errors.Is(err, syncproto.ErrClock) {
		t.Fatalf("sync with the clock in 2099: %v, want this laptop's clock is wrong", err)
	}
	a.wantPending(t, 2)

	now.Store(time.Now().UnixMilli())
	if sum := a.syncOK(t); sum.Sent != 2 {
		t.Fatalf("with the clock right: %+v, want the 2 changes sent", sum)
	}
	a.wantPending(t, 0)
	b.syncOK(t)
	for _, id := range []string{first.ID, late.ID} {
		ga, err := a.svc.Appeal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		gb, err := b.svc.Appeal(ctx, id)
		if err != nil {
			t.Fatalf("the other laptop: %v", err)
		}
		ja, _ := json.Marshal(ga)
		jb, _ := json.Marshal(gb)
		if string(ja) != string(jb) {
			t.Fatalf("the laptops disagree on %s:\n%s\n%s", id, ja, jb)
		}
	}
}
