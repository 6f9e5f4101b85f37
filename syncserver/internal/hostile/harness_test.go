package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/server"
	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// target is a real server (Badger in a temporary directory) behind a real
// HTTP server on 127.0.0.1.
type target struct {
	t     testing.TB
	cfg   server.Config
	srv   *server.Server
	hs    *httptest.Server
	url   string
	dir   string
	admin admin.Service
	codec *syncproto.Codec
	logs  *syncBuffer
}

// syncBuffer collects the server's log for tests that look at it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a server with cfg (DataDir, Small, MinFree and Logger are set
// here) and the councils NRN-ATB and OSH-ARA.
func start(t testing.TB, cfg server.Config) *target {
	t.Helper()
	logs := &syncBuffer{}
	cfg.DataDir = t.TempDir()
	cfg.Small, cfg.MinFree = true, 1
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{t: t, cfg: cfg, dir: cfg.DataDir, codec: codec, logs: logs}
	tg.open()
	t.Cleanup(tg.close)
	tg.council("NRN-ATB", "KG-N")
	tg.council("OSH-ARA", "KG-O")
	return tg
}

func (tg *target) open() {
	tg.t.Helper()
	s, err := server.New(context.Background(), tg.cfg)
	if err != nil {
		tg.t.Fatal(err)
	}
	tg.srv, tg.hs = s, httptest.NewServer(s.Handler())
	tg.url, tg.admin = tg.hs.URL, s.Admin()
}

func (tg *target) close() {
	if tg.srv != nil {
		tg.hs.Close()
		tg.srv.Close()
		tg.srv = nil
	}
}

// offline stops the server, runs fn on its store, and starts it again:
// what an older version of the server could have left in its store.
func (tg *target) offline(fn func(st store.Store)) {
	tg.t.Helper()
	tg.close()
	st, _, err := server.OpenStore(context.Background(), tg.dir, serverkey.Location{Path: tg.dir + ".key"}, badgerstore.Options{Small: true, MinFree: 1})
	if err != nil {
		tg.t.Fatal(err)
	}
	fn(st)
	if err := st.Close(); err != nil {
		tg.t.Fatal(err)
	}
	tg.open()
}

func (tg *target) council(code, oblast string) {
	tg.t.Helper()
	if _, err := tg.admin.AddCouncil(context.Background(), domain.Council{Code: code, Name: "Кеңеш " + code, Oblast: oblast}); err != nil {
		tg.t.Fatal(err)
	}
}

// code issues an enrollment code.
func (tg *target) code(req auth.IssueRequest) string {
	tg.t.Helper()
	if req.Name == "" && req.Device == "" {
		req.Name = req.Role + " " + req.Council
	}
	is, err := tg.admin.Enroll(context.Background(), req)
	if err != nil {
		tg.t.Fatal(err)
	}
	return is.Code
}

// laptop is a device speaking the protocol by hand.
type laptop struct {
	tg      *target
	id      string
	token   string
	role    string
	council string
	name    string // the name the administrator gave it
	seq     uint64
	clock   *hlc.Clock
	mu      sync.Mutex
}

// enroll makes a new device of role in council and enrolls it.
func (tg *target) enroll(role, council string) *laptop {
	tg.t.Helper()
	l := &laptop{tg: tg, id: domain.NewID(), role: role, council: council, clock: hlc.NewClock(0, time.Now)}
	l.name = role + " " + council
	code := tg.code(auth.IssueRequest{Role: role, Council: council, Name: l.name})
	status, body := tg.enrollRaw(syncproto.EnrollRequest{Proto: syncproto.Proto, Code: code, DeviceID: l.id, DeviceName: "laptop " + l.name})
	if status != http.StatusOK {
		tg.t.Fatalf("enroll %s: %d %s", role, status, body)
	}
	var resp syncproto.EnrollResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		tg.t.Fatal(err)
	}
	l.token = resp.Token
	return l
}

// enrollRaw posts an enrollment request and returns the status and body.
func (tg *target) enrollRaw(req syncproto.EnrollRequest) (int, []byte) {
	tg.t.Helper()
	b, _ := json.Marshal(req)
	resp, err := http.Post(tg.url+syncproto.PathEnroll, "application/json", bytes.NewReader(b))
	if err != nil {
		tg.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// op makes the laptop's next operation, as an honest laptop would.
func (l *laptop) op(kind, record string, action changeset.Action, fields map[string]any) syncproto.WireOp {
	return l.opAt(0, kind, record, action, fields)
}

// opAt makes the laptop's next operation with the clock reading at (its
// own clock when 0).
func (l *laptop) opAt(at hlc.Timestamp, kind, record string, action changeset.Action, fields map[string]any) syncproto.WireOp {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	if at == 0 {
		at = l.clock.Now()
	}
	o := &changeset.Op{Device: l.id, Seq: l.seq, HLC: at, Kind: kind, Record: record, Council: l.council,
		Action: action, Author: "laptop " + l.name, Fields: map[string]changeset.Change{}}
	for k, v := range fields {
		o.Fields[k] = changeset.Change{Value: marshal(l.tg.t, v)}
	}
	return syncproto.ToWire(o)
}

// appeal returns the fields of a new appeal of council.
func appeal(council string) map[string]any {
	return map[string]any{"council": council, "summary": "Жер тууралуу арыз", "status": "received",
		"reg_no": council + "-2026-K7QH-0001", "appellant": map[string]string{"name": "Токтогулов Эрмек"}}
}

// state pulls everything as a central laptop and returns the last value of
// each field of record (by clock, then device: the merge's rule), and
// whether the record was seen at all.
func (tg *target) state(central *laptop, record string) (map[string]string, bool) {
	tg.t.Helper()
	ops, err := central.pullAll()
	if err != nil {
		tg.t.Fatal(err)
	}
	type write struct {
		t   uint64
		dev string
		v   string
	}
	last := map[string]write{}
	seen := false
	for _, o := range ops {
		if o.Record != record {
			continue
		}
		seen = true
		for f, c := range o.Fields {
			if w, ok := last[f]; !ok || o.HLC > w.t || o.HLC == w.t && o.Device > w.dev {
				last[f] = write{o.HLC, o.Device, string(c.V)}
			}
		}
	}
	out := map[string]string{}
	for f, w := range last {
		out[f] = w.v
	}
	return out, seen
}

// reply is what the server answered.
type reply struct {
	status int
	resp   *syncproto.SyncResponse
	err    *syncproto.ErrorBody
}

func (r reply) String() string {
	if r.err != nil {
		return fmt.Sprintf("%d %s: %s", r.status, r.err.Code, r.err.Message)
	}
	return fmt.Sprintf("%d acked %d, %d refused, %d ops", r.status, r.resp.Acked, len(r.resp.Refused), len(r.resp.Ops))
}

// post sends a body to the sync endpoint with the laptop's token.
func (l *laptop) post(body []byte) (reply, error) {
	req, _ := http.NewRequest(http.MethodPost, l.tg.url+syncproto.PathSync, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Content-Type", syncproto.ContentType)
	req.Header.Set(syncproto.HeaderDicts, "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	if resp.StatusCode != http.StatusOK {
		var eb syncproto.ErrorBody
		if err := json.Unmarshal(data, &eb); err != nil {
			return reply{}, fmt.Errorf("error %d without a JSON body: %q", resp.StatusCode, data)
		}
		return reply{status: resp.StatusCode, err: &eb}, nil
	}
	var sr syncproto.SyncResponse
	if err := l.tg.codec.DecodeJSON(data, &sr); err != nil {
		return reply{}, fmt.Errorf("reply: %w", err)
	}
	return reply{status: resp.StatusCode, resp: &sr}, nil
}

// send posts raw JSON as the payload of a valid frame.
func (l *laptop) send(payload []byte) reply {
	l.tg.t.Helper()
	frame, err := l.tg.codec.Encode(payload, 1)
	if err != nil {
		l.tg.t.Fatal(err)
	}
	r, err := l.post(frame)
	if err != nil {
		l.tg.t.Fatal(err)
	}
	return r
}

// sync sends a request.
func (l *laptop) sync(req syncproto.SyncRequest) reply {
	l.tg.t.Helper()
	req.Proto = syncproto.Proto
	if req.Device == "" {
		req.Device = l.id
	}
	return l.send(marshal(l.tg.t, req))
}

// push sends ops without pulling.
func (l *laptop) push(ops ...syncproto.WireOp) reply {
	l.tg.t.Helper()
	return l.sync(syncproto.SyncRequest{Ops: ops})
}

// mustPush pushes and fails the test unless the server answers 200.
func (l *laptop) mustPush(ops ...syncproto.WireOp) *syncproto.SyncResponse {
	l.tg.t.Helper()
	r := l.push(ops...)
	if r.status != http.StatusOK {
		l.tg.t.Fatalf("%s push: %s", l.role, r)
	}
	return r.resp
}

// pullAll pulls from cursor 0 to the end and returns what the laptop sees,
// or the first refusal.
func (l *laptop) pullAll() ([]syncproto.WireOp, error) {
	l.tg.t.Helper()
	var out []syncproto.WireOp
	cursor := uint64(0)
	for i := 0; i < 10_000; i++ {
		r := l.sync(syncproto.SyncRequest{Cursor: cursor, Pull: true, MaxPull: syncproto.MaxPullBytes})
		if r.status != http.StatusOK {
			return out, fmt.Errorf("%s pull from %d: %s", l.role, cursor, r)
		}
		out = append(out, r.resp.Ops...)
		cursor = r.resp.Cursor
		if !r.resp.More {
			return out, nil
		}
	}
	return out, fmt.Errorf("%s: the pull did not end", l.role)
}

// records returns the record ids among ops.
func records(ops []syncproto.WireOp) map[string]bool {
	out := map[string]bool{}
	for _, o := range ops {
		out[o.Record] = true
	}
	return out
}

// refusedCode returns the code of the refusal of seq in r ("" if none).
func refusedCode(r reply, seq uint64) syncproto.Code {
	if r.resp == nil {
		return ""
	}
	for _, f := range r.resp.Refused {
		if f.Seq == seq {
			return f.Code
		}
	}
	return ""
}

// marshal encodes v as a laptop does: without HTML escaping.
func marshal(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
