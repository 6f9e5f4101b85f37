package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
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
			Council: "NRN-ATB", Role: syncproto.RoleSecretary, Name: "Ат-Башы катчысы"})
	case syncproto.PathSync:
		body, _ := io.ReadAll(r.Body)
		var req syncproto.SyncRequest
		if err := f.codec.DecodeJSON(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, &req)
		answer := f.answer
		f.mu.Unlock()
		resp := answer(w, &req)
		if resp == nil {
			return
		}
		resp.Proto = syncproto.Proto
		frame, err := f.codec.EncodeJSON(resp, 0)
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
// has one thing to pull: the laptop's council, on its first sync.
func honest(_ http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse {
	resp := &syncproto.SyncResponse{Cursor: req.Cursor, Time: time.Now().UnixMilli()}
	if n := len(req.Ops); n > 0 {
		resp.Acked = req.Ops[n-1].Seq
	}
	if req.Cursor == 0 {
		resp.Ops = []syncproto.WireOp{councilOp("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")}
		resp.Cursor, resp.Head = 1, 1
	}
	return resp
}

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
	l.council, l.oblast, l.role = "NRN-ATB", "KG-N", syncproto.RoleSecretary
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
	l.sync.newClient = func(e *records.Enrollment) (*Client, error) {
		return NewClient(e.Server, ClientOptions{Token: e.Token, Codec: codec, Timeout: 300 * time.Millisecond})
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
