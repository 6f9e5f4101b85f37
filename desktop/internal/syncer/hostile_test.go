package syncer

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// The malicious-server suite: the real syncer and records service of a
// council's laptop against a fake server on 127.0.0.1 that answers what a
// broken, compromised or impostor server might. Whatever it answers, the
// laptop keeps every record it saved, marks nothing sent that the server
// cannot hold, applies nothing it may not, and says what went wrong.

// fakeServer answers sync requests with answer(req); a nil answer writes
// nothing (the handler has written the response itself).
type fakeServer struct {
	t      *testing.T
	srv    *httptest.Server
	codec  *syncproto.Codec
	mu     sync.Mutex
	reqs   []*syncproto.SyncRequest
	answer func(w http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{t: t, codec: codec}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case syncproto.PathEnroll:
		var req syncproto.EnrollRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(syncproto.EnrollResponse{Proto: syncproto.Proto, ServerID: "fake", Token: "token-" + req.DeviceID,
			Council: "NRN-ATB", Role: domain.RoleSecretary, Name: "Ат-Башы катчысы"})
	case syncproto.PathSync:
		body, _ := io.ReadAll(r.Body)
		// Binary (protocol 2, which this fake says it speaks) or JSON.
		raw, err := f.codec.Decode(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req, err := syncproto.DecodeSyncRequest(raw)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, req)
		answer := f.answer
		f.mu.Unlock()
		resp := answer(w, req)
		if resp == nil {
			return
		}
		resp.Proto = syncproto.Proto
		raw, err = json.Marshal(resp)
		if err != nil {
			f.t.Error(err)
			return
		}
		frame, err := f.codec.Encode(raw, 0)
		if err != nil {
			f.t.Error(err)
			return
		}
		w.Header().Set("Content-Type", syncproto.ContentType)
		w.Write(frame)
	case syncproto.PathHealth:
		w.WriteHeader(http.StatusOK)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeServer) setAnswer(a func(w http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse) {
	f.mu.Lock()
	f.answer = a
	f.mu.Unlock()
}

// honest answers as a real server that holds everything it is sent and
// has one thing to pull: the laptop's council, on its first sync. (The
// fake serves one laptop: what it holds is the last sequence number it
// was sent.)
func honest(_ http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse {
	resp := &syncproto.SyncResponse{Cursor: req.Cursor, Time: time.Now().UnixMilli()}
	heldMu.Lock()
	if n := len(req.Ops); n > 0 {
		heldSeq[req.Device] = max(heldSeq[req.Device], req.Ops[n-1].Seq)
	}
	resp.Acked = heldSeq[req.Device]
	heldMu.Unlock()
	if req.Cursor == 0 {
		resp.Ops = []syncproto.WireOp{councilOp("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")}
		resp.Cursor, resp.Head = 1, 1
	}
	return resp
}

// What the fake servers hold of each laptop (device ids are unique).
var (
	heldMu  sync.Mutex
	heldSeq = map[string]uint64{}
)

// serverDevice is the device id of the operations the fake server makes.
const serverDevice = "0190a5c2-0000-7000-8000-000000000001"

// wireOp is an operation of another device as a server sends it.
func wireOp(device string, seq uint64, at time.Time, kind, record, council string, action changeset.Action, fields map[string]any) syncproto.WireOp {
	w := syncproto.WireOp{Device: device, Seq: seq, HLC: uint64(hlc.New(at.UnixMilli(), 0)), Kind: kind, Record: record,
		Council: council, Action: string(action), Author: "fake", Fields: map[string]syncproto.WireChange{}}
	for k, v := range fields {
		b, _ := json.Marshal(v)
		w.Fields[k] = syncproto.WireChange{V: b}
	}
	return w
}

func councilOp(code, name, oblast string) syncproto.WireOp {
	return wireOp(serverDevice, 1, time.Now().Add(-time.Hour), domain.KindCouncil, code, "", changeset.ActionCreate,
		map[string]any{"name": name, "oblast": oblast})
}

// hostileLaptop is a council laptop enrolled with the fake server.
func hostileLaptop(t *testing.T, f *fakeServer) *laptop {
	t.Helper()
	f.setAnswer(honest)
	l := newLaptop(t, "laptop-of-NRN-ATB")
	if _, _, err := l.sync.Enroll(context.Background(), f.srv.URL, "ABCD-EFGH"); err != nil {
		t.Fatal(err)
	}
	l.council, l.oblast, l.role = "NRN-ATB", "KG-N", domain.RoleSecretary
	return l
}

func (l *laptop) saveAppeal(t *testing.T, summary string) *domain.Appeal {
	t.Helper()
	today := caldate.Today(records.Bishkek)
	a, err := l.svc.CreateAppeal(context.Background(), domain.Appeal{Council: l.council, Channel: "phone", Oblast: l.oblast,
		Category: "health", Anonymous: true, Summary: summary, ReceivedOn: today, RegisteredOn: today})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// pending checks how many of the laptop's operations are still to be sent.
func (l *laptop) wantPending(t *testing.T, want uint64) {
	t.Helper()
	st, err := l.svc.SyncState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != want {
		t.Fatalf("%d operations pending (acked %d of %d), want %d", st.Pending, st.Acked, st.Seq, want)
	}
}

// TestHostileAnswers: answers that cannot be true, or are not a Kenesh
// server's, mark nothing sent and are reported as such; once the server
// answers honestly again, everything is sent.
func TestHostileAnswers(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse
		want   error
	}{
		{"acknowledges far beyond what the laptop made", func(_ http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse {
			return &syncproto.SyncResponse{Acked: 1 << 40, Cursor: req.Cursor}
		}, ErrBadAnswer},
		{"acknowledges one beyond what the laptop made", func(_ http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse {
			return &syncproto.SyncResponse{Acked: req.Ops[len(req.Ops)-1].Seq + 1, Cursor: req.Cursor}
		}, ErrBadAnswer},
		{"refuses an operation it was not sent", func(_ http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse {
			return &syncproto.SyncResponse{Acked: req.Ops[0].Seq, Cursor: req.Cursor,
				Refused: []syncproto.Refusal{{Seq: req.Ops[len(req.Ops)-1].Seq + 5, Code: syncproto.CodeForbidden, Message: "no"}}}
		}, ErrBadAnswer},
		{"answers a web page (a network's login page)", func(w http.ResponseWriter, _ *syncproto.SyncRequest) *syncproto.SyncResponse {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<html><body>Please log in to the Wi-Fi</body></html>")
			return nil
		}, ErrBadAnswer},
		{"answers JSON where a frame belongs", func(w http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(syncproto.SyncResponse{Acked: req.Ops[len(req.Ops)-1].Seq})
			return nil
		}, ErrBadAnswer},
		{"redirects elsewhere, keeping the body", func(w http.ResponseWriter, _ *syncproto.SyncRequest) *syncproto.SyncResponse {
			w.Header().Set("Location", "http://127.0.0.1:1/v1/sync")
			w.WriteHeader(http.StatusTemporaryRedirect)
			return nil
		}, ErrBadAnswer},
		{"answers a frame whose message is not JSON", func(w http.ResponseWriter, _ *syncproto.SyncRequest) *syncproto.SyncResponse {
			codec, _ := syncproto.DefaultCodec()
			frame, _ := codec.Encode([]byte(`{"acked":1,"ops":[{"dv":"x","f":{"summary":{"v":{not json}}}}]}`), 0)
			w.Header().Set("Content-Type", syncproto.ContentType)
			w.Write(frame)
			return nil
		}, syncproto.ErrFrame},
		{"answers a decompression bomb declared small", func(w http.ResponseWriter, _ *syncproto.SyncRequest) *syncproto.SyncResponse {
			w.Header().Set("Content-Type", syncproto.ContentType)
			w.Write(bomb(1000, 64<<20))
			return nil
		}, syncproto.ErrFrame},
		{"answers a frame declaring more than any may hold", func(w http.ResponseWriter, _ *syncproto.SyncRequest) *syncproto.SyncResponse {
			w.Header().Set("Content-Type", syncproto.ContentType)
			w.Write(bomb(1<<31, 1<<20))
			return nil
		}, syncproto.ErrFrame},
		{"answers a frame that is not one", func(w http.ResponseWriter, _ *syncproto.SyncRequest) *syncproto.SyncResponse {
			w.Header().Set("Content-Type", syncproto.ContentType)
			io.WriteString(w, strings.Repeat("KNSH", 100))
			return nil
		}, syncproto.ErrFrame},
		{"answers a frame larger than any may be", func(w http.ResponseWriter, _ *syncproto.SyncRequest) *syncproto.SyncResponse {
			w.Header().Set("Content-Type", syncproto.ContentType)
			w.Write(make([]byte, syncproto.MaxFrameBytes+1<<20))
			return nil
		}, syncproto.ErrFrame},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeServer(t)
			l := hostileLaptop(t, f)
			l.saveAppeal(t, "Дары жок")
			l.saveAppeal(t, "Суу жок")
			f.setAnswer(tc.answer)
			sum, err := l.sync.SyncOnce(context.Background())
			if !errors.Is(err, tc.want) {
				t.Fatalf("sync: %v, want %v", err, tc.want)
			}
			if sum != nil && sum.Sent != 0 {
				t.Fatalf("the summary counts %d sent", sum.Sent)
			}
			l.wantPending(t, 2)
			st, _ := l.svc.SyncState(context.Background())
			if st.LastError == "" || !st.LastOK.IsZero() && st.LastAttempt.Equal(st.LastOK) {
				t.Fatalf("the failure is not in the sync state: %+v", st)
			}
			// The server mends its ways: everything is sent.
			f.setAnswer(honest)
			if _, err := l.sync.SyncOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			l.wantPending(t, 0)
		})
	}
}

// bomb is a frame whose header declares declared bytes and whose zstd data
// inflates to real bytes of zeros (a few KiB on the wire).
func bomb(declared uint32, real int) []byte {
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	out := make([]byte, 16)
	copy(out, "KNF1")
	binary.BigEndian.PutUint32(out[8:], declared)
	return enc.EncodeAll(make([]byte, real), out)
}

// TestServerThatNeverAnswers: a server that accepts the connection and
// then says nothing costs one request timeout, not a hung laptop, and
// nothing is marked sent.
func TestServerThatNeverAnswers(t *testing.T) {
	f := newFakeServer(t)
	l := hostileLaptop(t, f)
	l.saveAppeal(t, "Жол бузулду")
	release := make(chan struct{})
	defer close(release)
	f.setAnswer(func(w http.ResponseWriter, _ *syncproto.SyncRequest) *syncproto.SyncResponse {
		select {
		case <-release:
		case <-time.After(30 * time.Second):
		}
		return nil
	})
	codec := l.sync.codec
	l.sync.newClient = func(e *records.Enrollment) (*syncclient.Client, error) {
		return syncclient.New(e.Server, syncclient.Options{Token: e.Token, Codec: codec, Timeout: 300 * time.Millisecond})
	}
	start := time.Now()
	_, err := l.sync.SyncOnce(context.Background())
	if !errors.Is(err, syncproto.ErrUnreachable) {
		t.Fatalf("sync with a silent server: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the sync took %s", d)
	}
	l.wantPending(t, 1)
}

// pageOf answers honestly for what the laptop pushes, and pulls page once
// (after the council): a server that sends operations it should not.
func pageOf(page ...syncproto.WireOp) func(w http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse {
	return func(w http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse {
		resp := honest(w, req)
		if req.Cursor == 1 {
			resp.Ops, resp.Cursor, resp.Head = page, 1+uint64(len(page)), 1+uint64(len(page))
		}
		return resp
	}
}

// TestHostilePages: a pulled page with operations the laptop may not
// merge (another council's, claiming to be the laptop's own, stamped far in
// the future, malformed, moving a record to another council): each is held
// back and kept, the rest of the page is merged, the pull moves on, and the
// person is told.
func TestHostilePages(t *testing.T) {
	const other = "0190a5c2-0000-7000-8000-0000000000aa"
	now := time.Now()
	appealOf := func(id, council, summary string, at time.Time) syncproto.WireOp {
		return wireOp(other, 1, at, domain.KindAppeal, id, council, changeset.ActionCreate, map[string]any{
			"council": council, "channel": "phone", "oblast": "KG-N", "category": "health", "anonymous": true,
			"summary": summary, "received_on": caldate.Today(records.Bishkek).String(), "status": "received"})
	}
	good := appealOf("0190a5c2-1111-7000-8000-000000000001", "NRN-ATB", "Мектепте жылуулук жок", now)
	tests := []struct {
		name string
		bad  func(l *laptop, mine *domain.Appeal) syncproto.WireOp
		code string
	}{
		{"an appeal of another council", func(*laptop, *domain.Appeal) syncproto.WireOp {
			return appealOf("0190a5c2-1111-7000-8000-000000000002", "OSH-ARA", "Башка кеңештин арызы", now)
		}, records.HeldNotReadable},
		{"an operation claiming to be this laptop's", func(l *laptop, mine *domain.Appeal) syncproto.WireOp {
			w := wireOp(l.svc.Device().ID, 99, now, domain.KindAppeal, mine.ID, "NRN-ATB", changeset.ActionUpdate, map[string]any{"summary": "жасалма"})
			return w
		}, records.HeldForgedOwn},
		{"an edit stamped in the year 9999", func(_ *laptop, mine *domain.Appeal) syncproto.WireOp {
			return wireOp(other, 2, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), domain.KindAppeal, mine.ID, "NRN-ATB", changeset.ActionUpdate,
				map[string]any{"summary": "түбөлүк"})
		}, records.HeldFuture},
		{"an operation with no fields", func(_ *laptop, mine *domain.Appeal) syncproto.WireOp {
			w := wireOp(other, 2, now, domain.KindAppeal, mine.ID, "NRN-ATB", changeset.ActionUpdate, nil)
			return w
		}, records.HeldMalformed},
		{"a field name no record has", func(_ *laptop, mine *domain.Appeal) syncproto.WireOp {
			return wireOp(other, 2, now, domain.KindAppeal, mine.ID, "NRN-ATB", changeset.ActionUpdate, map[string]any{strings.Repeat("ж", 200): "x"})
		}, records.HeldMalformed},
		{"an operation with no device", func(_ *laptop, mine *domain.Appeal) syncproto.WireOp {
			return wireOp("", 2, now, domain.KindAppeal, mine.ID, "NRN-ATB", changeset.ActionUpdate, map[string]any{"summary": "кимдир бирөө"})
		}, records.HeldMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFakeServer(t)
			l := hostileLaptop(t, f)
			mine := l.saveAppeal(t, "Дары жок")
			if _, err := l.sync.SyncOnce(ctx); err != nil {
				t.Fatal(err)
			}
			f.setAnswer(pageOf(tc.bad(l, mine), good))
			sum, err := l.sync.SyncOnce(ctx)
			if !errors.Is(err, records.ErrHeldBack) {
				t.Fatalf("sync: %v, want ErrHeldBack", err)
			}
			if sum.Held != 1 || sum.Received != 1 {
				t.Fatalf("summary %+v, want 1 held back and 1 received", sum)
			}
			st, err := l.svc.SyncState(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Cursor != 3 || st.Held != 1 || st.LastOK.IsZero() || !strings.Contains(st.LastError, "held back") {
				t.Fatalf("sync state %+v: the pull should move on, with one operation held back and the person told", st)
			}
			held, err := l.svc.HeldOps(ctx)
			if err != nil || len(held) != 1 || held[0].Code != tc.code || len(held[0].Op) == 0 {
				t.Fatalf("held back: %+v (%v), want one with code %s", held, err, tc.code)
			}
			// The good operation was merged; the bad one changed nothing.
			if _, err := l.svc.Appeal(ctx, good.Record); err != nil {
				t.Fatalf("the good operation of the page: %v", err)
			}
			got, err := l.svc.Appeal(ctx, mine.ID)
			if err != nil || got.Summary != "Дары жок" {
				t.Fatalf("the laptop's own appeal: %+v, %v", got, err)
			}
			list, _ := l.svc.List(records.Filter{Kind: domain.KindAppeal, Deleted: true})
			if len(list) != 2 {
				t.Fatalf("the laptop lists %d appeals, want its own and the good one", len(list))
			}
			// The next sync pulls nothing new and holds nothing more.
			f.setAnswer(honest)
			if _, err := l.sync.SyncOnce(ctx); err != nil {
				t.Fatal(err)
			}
			// A later edit of the field wins, as a person expects.
			patch, _ := json.Marshal(map[string]string{"summary": "Дары жок, оңдолду"})
			if _, err := l.svc.EditAppeal(ctx, mine.ID, patch); err != nil {
				t.Fatal(err)
			}
			if got, _ := l.svc.Appeal(ctx, mine.ID); got.Summary != "Дары жок, оңдолду" {
				t.Fatalf("a later edit did not win: %q", got.Summary)
			}
		})
	}
}

// TestFirstPullInBulkHoldsBackMalformed: a new laptop's first pull, a
// bulk load, whose pages (JSON and binary) bring malformed operations:
// each is held back with what it came as, the rest is merged. records'
// ApplyBulk does not validate its operations again (the syncer's page
// decoding does), so this is where a malformed one must be stopped.
func TestFirstPullInBulkHoldsBackMalformed(t *testing.T) {
	const other = "0190a5c2-0000-7000-8000-0000000000aa"
	now := time.Now()
	appealOf := func(seq uint64, id string) syncproto.WireOp {
		return wireOp(other, seq, now, domain.KindAppeal, id, "NRN-ATB", changeset.ActionCreate, map[string]any{
			"council": "NRN-ATB", "channel": "phone", "oblast": "KG-N", "category": "health", "anonymous": true,
			"summary": "Мектепте жылуулук жок", "received_on": caldate.Today(records.Bishkek).String(), "status": "received"})
	}
	const goodJSON, goodBinary = "0190a5c2-1111-7000-8000-000000000001", "0190a5c2-1111-7000-8000-000000000002"
	noFields := wireOp(other, 3, now, domain.KindAppeal, goodJSON, "NRN-ATB", changeset.ActionUpdate, nil)
	jsonPage := []syncproto.WireOp{councilOp("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N"), appealOf(1, goodJSON), noFields}
	notJSON := syncproto.OpFromWire(ptr(wireOp(other, 4, now, domain.KindAppeal, goodBinary, "NRN-ATB", changeset.ActionUpdate, map[string]any{"summary": "x"})))
	notJSON.Fields["summary"] = changeset.Change{Value: json.RawMessage(`{`)}
	good := syncproto.OpFromWire(ptr(appealOf(2, goodBinary)))
	noDevice := syncproto.OpFromWire(ptr(wireOp("", 5, now, domain.KindAppeal, goodBinary, "NRN-ATB", changeset.ActionUpdate, map[string]any{"summary": "y"})))
	binaryPage := []*changeset.Op{&good, &notJSON, &noDevice}

	f := newFakeServer(t)
	f.setAnswer(func(w http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse {
		resp := honest(w, req)
		head := uint64(len(jsonPage) + len(binaryPage))
		switch req.Cursor {
		case 0:
			resp.Ops, resp.Cursor, resp.Head, resp.More = jsonPage, uint64(len(jsonPage)), head, true
		case uint64(len(jsonPage)):
			// The second page binary, as protocol 2's server sends it.
			resp.Proto, resp.Cursor, resp.Head = syncproto.Proto, head, head
			raw, err := syncproto.AppendSyncResponse(nil, resp, binaryPage)
			if err != nil {
				t.Error(err)
				return nil
			}
			frame, err := f.codec.Encode(raw, 0)
			if err != nil {
				t.Error(err)
				return nil
			}
			w.Header().Set("Content-Type", syncproto.ContentType)
			w.Write(frame)
			return nil
		}
		return resp
	})
	l := newLaptop(t, "new-laptop-of-NRN-ATB")
	var windows int
	l.sync.svc = countWindows{Replica: l.svc, n: &windows}
	_, _, err := l.sync.Enroll(context.Background(), f.srv.URL, "ABCD-EFGH")
	if err != nil && !errors.Is(err, records.ErrHeldBack) {
		t.Fatal(err)
	}
	ctx := context.Background()
	if windows == 0 {
		t.Fatal("the first pull was not a bulk load")
	}
	held, err := l.svc.HeldOps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 3 {
		t.Fatalf("held back %d operations, want the 3 malformed: %+v", len(held), held)
	}
	for _, h := range held {
		if h.Code != records.HeldMalformed || len(h.Op) == 0 {
			t.Errorf("held back %s as %s (%s), want %s", h.Op, h.Code, h.Message, records.HeldMalformed)
		}
	}
	for _, id := range []string{goodJSON, goodBinary} {
		a, err := l.svc.Appeal(ctx, id)
		if err != nil || a.Summary != "Мектепте жылуулук жок" {
			t.Errorf("the good appeal %s: %+v, %v", id, a, err)
		}
	}
	st, err := l.svc.SyncState(ctx)
	if err != nil || st.Cursor != uint64(len(jsonPage)+len(binaryPage)) || st.Held != 3 {
		t.Fatalf("sync state %+v (%v): the pull should have moved past both pages, 3 held back", st, err)
	}
}

func ptr[T any](v T) *T { return &v }
