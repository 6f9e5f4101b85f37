package server

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
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
)

// harness is a real server (Badger in a temporary directory) behind a real
// HTTP server on 127.0.0.1, and devices that speak the protocol to it.
type harness struct {
	t     testing.TB
	srv   *Server // nil when the server is another process
	url   string
	admin admin.Service
	codec *syncproto.Codec
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessConfig(t, Config{})
}

// newHarnessConfig is newHarness with cfg's settings (its store and
// logger are the harness's).
func newHarnessConfig(t testing.TB, cfg Config) *harness {
	t.Helper()
	ctx := context.Background()
	cfg.DataDir, cfg.Small, cfg.MinFree, cfg.Logger = t.TempDir(), true, 1, slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, srv: s, url: hs.URL, admin: s.Admin(), codec: codec}
}

func (h *harness) council(code, oblast string) {
	h.t.Helper()
	if _, err := h.admin.AddCouncil(context.Background(), domain.Council{Code: code, Name: "Кеңеш " + code, Oblast: oblast}); err != nil {
		h.t.Fatal(err)
	}
}

// device is an enrolled client with its own sequence and clock. It
// speaks through the protocol client (c) the laptops use; rawSync sends
// frames by hand, for what no client sends.
type device struct {
	h     *harness
	c     *syncclient.Client
	id    string
	token string
	role  string
	cncl  string
	seq   uint64
	clock *hlc.Clock
	mu    sync.Mutex
}

func (h *harness) enroll(role, council string) *device {
	h.t.Helper()
	is, err := h.admin.Enroll(context.Background(), auth.IssueRequest{Council: council, Role: role, Name: role + " " + council})
	if err != nil {
		h.t.Fatal(err)
	}
	c, err := syncclient.New(h.url, syncclient.Options{Codec: h.codec, Timeout: time.Minute})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(c.Close)
	d := &device{h: h, c: c, id: domain.NewID(), role: role, cncl: council, clock: hlc.NewClock(0, time.Now)}
	resp, err := c.Enroll(context.Background(), syncproto.EnrollRequest{Code: is.Code, DeviceID: d.id, DeviceName: "test"})
	if err != nil {
		h.t.Fatalf("enroll %s: %v", role, err)
	}
	d.token = resp.Token
	return d
}

func (h *harness) postJSON(path string, v any) (int, []byte) {
	h.t.Helper()
	b, _ := json.Marshal(v)
	resp, err := http.Post(h.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// op makes the device's next operation on a record.
func (d *device) op(kind, record, council string, action changeset.Action, fields map[string]any) syncproto.WireOp {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	o := &changeset.Op{Device: d.id, Seq: d.seq, HLC: d.clock.Now(), Kind: kind, Record: record, Council: council,
		Action: action, Author: d.role, Fields: map[string]changeset.Change{}}
	for k, v := range fields {
		b, _ := json.Marshal(v)
		o.Fields[k] = changeset.Change{Value: b}
	}
	return syncproto.ToWire(o)
}

// rawSync posts a frame and returns the HTTP status and the decoded answer
// (a SyncResponse on 200, else the error body).
func (d *device) rawSync(frame []byte) (int, *syncproto.SyncResponse, *syncproto.ErrorBody) {
	d.h.t.Helper()
	status, resp, eb, err := d.trySync(frame)
	if err != nil {
		d.h.t.Fatal(err)
	}
	return status, resp, eb
}

// trySync is rawSync for a server that may be gone: a transport failure
// is an error, not the end of the test.
func (d *device) trySync(frame []byte) (int, *syncproto.SyncResponse, *syncproto.ErrorBody, error) {
	req, _ := http.NewRequest(http.MethodPost, d.h.url+syncproto.PathSync, bytes.NewReader(frame))
	req.Header.Set("Authorization", "Bearer "+d.token)
	req.Header.Set("Content-Type", syncproto.ContentType)
	req.Header.Set(syncproto.HeaderDicts, "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var eb syncproto.ErrorBody
		if err := json.Unmarshal(body, &eb); err != nil {
			return 0, nil, nil, fmt.Errorf("error body is not JSON: %d %q", resp.StatusCode, body)
		}
		return resp.StatusCode, nil, &eb, nil
	}
	var sr syncproto.SyncResponse
	if err := d.h.codec.DecodeJSON(body, &sr); err != nil {
		return 0, nil, nil, fmt.Errorf("decode reply: %w", err)
	}
	return resp.StatusCode, &sr, nil, nil
}

func (d *device) frame(req *syncproto.SyncRequest) []byte {
	d.h.t.Helper()
	f, err := d.h.codec.EncodeJSON(req, 1)
	if err != nil {
		d.h.t.Fatal(err)
	}
	return f
}

// client is the device's protocol client for the server's address now (a
// server process started again listens elsewhere).
func (d *device) client() *syncclient.Client {
	d.h.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c.URL() != d.h.url {
		c, err := syncclient.New(d.h.url, syncclient.Options{Token: d.token, Codec: d.h.codec, ServerDicts: []uint32{1}, Timeout: time.Minute})
		if err != nil {
			d.h.t.Fatal(err)
		}
		d.h.t.Cleanup(c.Close)
		d.c = c
	}
	return d.c
}

// push sends ops (no pull) and fails the test unless the server answers.
func (d *device) push(ops ...syncproto.WireOp) *syncproto.SyncResponse {
	d.h.t.Helper()
	resp, err := d.client().Sync(context.Background(), &syncproto.SyncRequest{Device: d.id, Ops: ops})
	if err != nil {
		d.h.t.Fatalf("%s push: %v", d.role, err)
	}
	return resp
}

// answerOps are the operations of an answer's page, JSON (Ops) or binary
// (Page, capability 8), as WireOps.
func answerOps(resp *syncproto.SyncResponse) []syncproto.WireOp {
	out := resp.Ops
	for _, o := range resp.Page {
		out = append(out, syncproto.ToWire(o))
	}
	return out
}

// pullAll pulls from cursor 0 to the end and returns what the device sees.
func (d *device) pullAll() []syncproto.WireOp {
	d.h.t.Helper()
	var out []syncproto.WireOp
	cursor := uint64(0)
	for i := 0; i < 1000; i++ {
		resp, err := d.client().Sync(context.Background(), &syncproto.SyncRequest{Device: d.id, Cursor: cursor, Pull: true})
		if err != nil {
			d.h.t.Fatalf("%s pull: %v", d.role, err)
		}
		out = append(out, answerOps(resp)...)
		cursor = resp.Cursor
		if !resp.More {
			return out
		}
	}
	d.h.t.Fatal("pull did not end")
	return nil
}

func appealFields(council string) map[string]any {
	return map[string]any{"council": council, "summary": fmt.Sprintf("Жер тууралуу арыз (%s)", council), "status": "received"}
}
