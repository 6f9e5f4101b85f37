package syncclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
)

func codec(t *testing.T) *syncproto.Codec {
	t.Helper()
	c, err := syncproto.DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A client enrolls, then syncs with the token and the best dictionary
// both sides have, saying its protocol and capability versions.
func TestEnrollThenSync(t *testing.T) {
	cd := codec(t)
	var gotReq syncproto.SyncRequest
	var gotBinary bool
	var gotEnroll syncproto.EnrollRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case syncproto.PathEnroll:
			if r.Header.Get("Authorization") != "" {
				t.Error("enrollment carries a token")
			}
			json.Unmarshal(body, &gotEnroll)
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(syncproto.EnrollResponse{Proto: 1, Token: "tok", Role: domain.RoleSecretary, Dicts: []uint32{1, 99}})
		case syncproto.PathSync:
			if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Type") != syncproto.ContentType || r.Header.Get(syncproto.HeaderDicts) != "1" {
				t.Errorf("headers %v", r.Header)
			}
			if dict := uint32(body[7]); dict != 1 {
				t.Errorf("the request is compressed with dictionary %d", dict)
			}
			raw, err := cd.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			gotBinary = syncproto.IsBinaryRequest(raw)
			req, err := syncproto.DecodeSyncRequest(raw)
			if err != nil {
				t.Fatal(err)
			}
			gotReq = *req
			out, _ := cd.EncodeJSON(syncproto.SyncResponse{Proto: 2, Acked: 0, Cursor: 5, Time: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC).UnixMilli()}, 1)
			w.Header().Set("Content-Type", syncproto.ContentType)
			w.Write(out)
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	er, err := c.Enroll(context.Background(), syncproto.EnrollRequest{Code: "C", DeviceID: "d"})
	if err != nil || er.Token != "tok" {
		t.Fatalf("enroll: %v %+v", err, er)
	}
	// Protocol 1 until the server says more: a server of protocol 1
	// refuses requests of protocol 2.
	if gotEnroll.Proto != 1 || gotEnroll.Cap != syncproto.CurrentCapability {
		t.Errorf("enrollment says %+v", gotEnroll)
	}
	if c.Dict() != 1 {
		t.Errorf("dictionary %d, want 1 (99 is not this side's)", c.Dict())
	}
	resp, err := c.Sync(context.Background(), &syncproto.SyncRequest{Device: "d", Pull: true})
	if err != nil || resp.Cursor != 5 {
		t.Fatalf("sync: %v %+v", err, resp)
	}
	// The enrollment's answer said protocol 1: JSON, protocol 1.
	if gotReq.Proto != 1 || gotBinary || gotReq.Cap != syncproto.CurrentCapability || gotReq.Device != "d" {
		t.Errorf("the request says %+v (binary: %v)", gotReq, gotBinary)
	}
	// The sync's answer said protocol 2: the next request is binary.
	if _, err := c.Sync(context.Background(), &syncproto.SyncRequest{Device: "d", Pull: true}); err != nil {
		t.Fatal(err)
	}
	if gotReq.Proto != syncproto.Proto || !gotBinary || gotReq.Cap != syncproto.CurrentCapability || gotReq.Device != "d" || !gotReq.Pull {
		t.Errorf("the second request says %+v (binary: %v)", gotReq, gotBinary)
	}
	if got := c.ServerTime(); !got.Equal(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("server time %v", got)
	}
	if tr := c.Traffic(); tr.Up < 100 || tr.Down < 100 {
		t.Errorf("traffic %+v", tr)
	}
}

// Every answer but a sync frame is an error that says what it is: the
// protocol's error body (with its code, acknowledgement, fields and wait),
// or, from what is not a Kenesh server, a code from the HTTP status or an
// impossible answer.
func TestAnswers(t *testing.T) {
	cd := codec(t)
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter)
		check  func(t *testing.T, err error)
	}{
		{"a refusal with fields", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"code":"invalid","message":"council is not valid","fields":[{"field":"oblast","code":"unknown_code"}]}`))
		}, func(t *testing.T, err error) {
			var ve *domain.ValidationError
			if !errors.Is(err, syncproto.ErrInvalid) || !errors.As(err, &ve) || ve.Fields[0].Field != "oblast" {
				t.Errorf("%v", err)
			}
		}},
		{"a gap", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"code":"gap","message":"m","acked":7}`))
		}, func(t *testing.T, err error) {
			var e *syncproto.Error
			if !errors.As(err, &e) || e.Code != syncproto.CodeGap || e.Acked != 7 {
				t.Errorf("%v", err)
			}
		}},
		{"paced", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
		}, func(t *testing.T, err error) {
			var e *syncproto.Error
			if !errors.As(err, &e) || e.Code != syncproto.CodeRateLimited || e.RetryAfter != 3*time.Second {
				t.Errorf("%v", err)
			}
		}},
		{"a proxy's 502", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<html>bad gateway</html>"))
		}, func(t *testing.T, err error) {
			if !errors.Is(err, syncproto.ErrUnavailable) {
				t.Errorf("%v", err)
			}
		}},
		{"too old", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusUpgradeRequired)
			b, _ := json.Marshal(syncproto.CheckProto(0).(*syncproto.Error).Body())
			w.Write(b)
		}, func(t *testing.T, err error) {
			var e *syncproto.Error
			if !errors.Is(err, syncproto.ErrProtocol) || !errors.As(err, &e) || e.MinProto != syncproto.MinProto || e.Proto != syncproto.Proto {
				t.Errorf("%v", err)
			}
		}},
		{"a login page", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>log in to the Wi-Fi</html>"))
		}, func(t *testing.T, err error) {
			if !errors.Is(err, ErrBadAnswer) {
				t.Errorf("%v", err)
			}
		}},
		{"a redirect", func(w http.ResponseWriter) {
			w.Header().Set("Location", "http://elsewhere.example/")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}, func(t *testing.T, err error) {
			if !errors.Is(err, ErrBadAnswer) || !strings.Contains(err.Error(), "elsewhere.example") {
				t.Errorf("%v", err)
			}
		}},
		{"a damaged frame", func(w http.ResponseWriter) {
			out, _ := cd.EncodeJSON(syncproto.SyncResponse{Proto: 1, Cursor: 5}, 0)
			out[len(out)-1] ^= 0xff
			w.Header().Set("Content-Type", syncproto.ContentType)
			w.Write(out)
		}, func(t *testing.T, err error) {
			if !errors.Is(err, syncproto.ErrFrame) {
				t.Errorf("%v", err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.answer(w) }))
			defer srv.Close()
			cl, err := New(srv.URL, Options{Token: "t"})
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			_, err = cl.Sync(context.Background(), &syncproto.SyncRequest{Device: "d"})
			c.check(t, err)
		})
	}
}

// A server that is not there is unreachable (temporary); a cancelled
// context is only that.
func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := New(url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Sync(context.Background(), &syncproto.SyncRequest{})
	var e *syncproto.Error
	if !errors.Is(err, syncproto.ErrUnreachable) || !errors.As(err, &e) || !e.Temporary() {
		t.Fatalf("%v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Health(ctx); !errors.Is(err, context.Canceled) || errors.Is(err, syncproto.ErrUnreachable) {
		t.Fatalf("cancelled: %v", err)
	}
}

// An answer cut off before the length it declares is the server out of
// reach (the sync is tried again), not a frame to decode.
func TestAnswerCutOff(t *testing.T) {
	cd := codec(t)
	frame, err := cd.EncodeJSON(syncproto.SyncResponse{Proto: syncproto.Proto, Acked: 3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var cut atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", syncproto.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(frame)))
		if cut.Load() {
			w.Write(frame[:len(frame)/2])
			return
		}
		w.Write(frame)
	}))
	defer srv.Close()
	c, err := New(srv.URL, Options{Codec: cd, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Sync(context.Background(), &syncproto.SyncRequest{Device: "d"})
	if err != nil || resp.Acked != 3 {
		t.Fatalf("whole answer: %+v, %v", resp, err)
	}
	cut.Store(true)
	if _, err := c.Sync(context.Background(), &syncproto.SyncRequest{Device: "d"}); !errors.Is(err, syncproto.ErrUnreachable) {
		t.Fatalf("answer cut off: %v; want the server out of reach", err)
	}
}

// The health probe says what the server speaks; what is not a Kenesh
// server's answer is not taken for one.
func TestHealth(t *testing.T) {
	body := `{"status":"ok","server_id":"s","proto":1,"min_proto":1,"cap":5,"dicts":[1]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != syncproto.PathHealth {
			t.Errorf("path %s", r.URL.Path)
		}
		w.Write([]byte(body))
	}))
	defer srv.Close()
	c, err := New(srv.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.Health(context.Background())
	if err != nil || h.Proto != 1 || h.MinProto != 1 || h.Cap != 5 || h.ServerID != "s" {
		t.Fatalf("%v %+v", err, h)
	}
	body = "<html>captive portal</html>"
	if _, err := c.Health(context.Background()); !errors.Is(err, ErrBadAnswer) {
		t.Fatalf("a portal's page: %v", err)
	}
}

// A server that said protocol 2 and is replaced by one of protocol 1 (a
// rollback): the binary request it cannot read is refused as a bad
// frame, sent again once in JSON, and the client sends JSON from then on.
// A reply damaged on the way is not such a refusal.
func TestBinaryFallsBackToJSON(t *testing.T) {
	cd := codec(t)
	var bodies []bool // binary or not, each request
	damaged := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		raw, err := cd.Decode(body)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, syncproto.IsBinaryRequest(raw))
		if syncproto.IsBinaryRequest(raw) && !damaged {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(syncproto.ErrorBody{Code: syncproto.CodeFrame, Message: "bad frame: not a valid sync request"})
			return
		}
		w.Header().Set("Content-Type", syncproto.ContentType)
		if damaged {
			w.Write([]byte("KNF1 cut off"))
			return
		}
		out, _ := cd.EncodeJSON(syncproto.SyncResponse{Proto: 1, Cursor: 5}, 0)
		w.Write(out)
	}))
	defer srv.Close()
	c, err := New(srv.URL, Options{ServerProto: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := &syncproto.SyncRequest{Device: "d", Pull: true}
	if _, err := c.Sync(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sync(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, false}; !slices.Equal(bodies, want) {
		t.Fatalf("requests binary: %v, want %v", bodies, want)
	}
	if c.ServerProto() != 1 || req.Proto != 0 {
		t.Fatalf("server protocol %d, the request's left %d", c.ServerProto(), req.Proto)
	}
	// A protocol 2 server whose reply is damaged: no fallback, no retry.
	damaged, bodies = true, nil
	c2, err := New(srv.URL, Options{ServerProto: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	var perr *syncproto.Error
	if _, err := c2.Sync(context.Background(), req); !errors.As(err, &perr) || perr.Code != syncproto.CodeFrame {
		t.Fatalf("a damaged reply: %v", err)
	}
	if want := []bool{true}; !slices.Equal(bodies, want) || c2.ServerProto() != 2 {
		t.Fatalf("requests binary: %v, want %v; server protocol %d", bodies, want, c2.ServerProto())
	}
}

// A binary answer (a server's to a request of capability 8) decodes into
// a SyncResponse with its page in Page, and into a smaller struct as its
// JSON would; a damaged one is CodeFrame, nothing applied.
func TestBinaryAnswer(t *testing.T) {
	cd := codec(t)
	op := &changeset.Op{Device: "other", Seq: 7, HLC: 117675588638146560, Kind: domain.KindAppeal, Record: "r1", Council: "NRN-ATB",
		Action: changeset.ActionCreate, Author: "катчы", Fields: map[string]changeset.Change{"status": {Value: json.RawMessage(`"received"`)}}}
	damaged := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		raw, err := cd.Decode(body)
		if err != nil {
			t.Fatal(err)
		}
		req, err := syncproto.DecodeSyncRequest(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !req.Cap.Has(syncproto.CapBinaryPage) {
			t.Errorf("the request says capability %d", req.Cap)
		}
		bin, err := syncproto.AppendSyncResponse(nil, &syncproto.SyncResponse{Proto: 2, Acked: 3, Cursor: 41, Head: 50, More: true, Time: 1}, []*changeset.Op{op})
		if err != nil {
			t.Fatal(err)
		}
		if damaged {
			bin = bin[:len(bin)-2]
		}
		out, _ := cd.Encode(bin, 1)
		w.Header().Set("Content-Type", syncproto.ContentType)
		w.Write(out)
	}))
	defer srv.Close()
	c, err := New(srv.URL, Options{ServerProto: 2, ServerDicts: []uint32{1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Sync(context.Background(), &syncproto.SyncRequest{Device: "d", Pull: true})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Acked != 3 || resp.Cursor != 41 || resp.Head != 50 || !resp.More || len(resp.Ops) != 0 || len(resp.Page) != 1 ||
		resp.Page[0].ID() != "other/7" || string(resp.Page[0].Fields["status"].Value) != `"received"` {
		t.Fatalf("answer %+v, page %+v", resp, resp.Page)
	}
	var small struct {
		Cursor uint64             `json:"cursor"`
		Ops    []syncproto.WireOp `json:"ops"`
	}
	if err := c.SyncInto(context.Background(), &syncproto.SyncRequest{Device: "d", Pull: true}, &small); err != nil {
		t.Fatal(err)
	}
	if small.Cursor != 41 || len(small.Ops) != 1 || small.Ops[0].Record != "r1" || small.Ops[0].Author != "катчы" {
		t.Fatalf("into a smaller struct: %+v", small)
	}
	damaged = true
	var perr *syncproto.Error
	if _, err := c.Sync(context.Background(), &syncproto.SyncRequest{Device: "d", Pull: true}); !errors.As(err, &perr) || perr.Code != syncproto.CodeFrame {
		t.Fatalf("a damaged answer: %v", err)
	}
}

// A sync request is compressed at the better level until the caller says
// the link is quick, then at the fastest, and at the better one again once
// it says the link is slow: the same payload either way.
func TestQuickLinkCompressesFaster(t *testing.T) {
	cd := codec(t)
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		bodies = append(bodies, body)
		w.Header().Set("Content-Type", syncproto.ContentType)
		out, _ := cd.EncodeJSON(syncproto.SyncResponse{Proto: 2, Acked: 300}, 0)
		w.Write(out)
	}))
	defer srv.Close()
	c, err := New(srv.URL, Options{Codec: cd, ServerProto: 2, ServerDicts: cd.Dicts()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := &syncproto.SyncRequest{Proto: 2, Cap: syncproto.CurrentCapability, Device: "d"}
	for i := range 300 {
		req.Push = append(req.Push, &changeset.Op{Device: "d", Seq: uint64(i + 1), HLC: hlc.Timestamp(117675588638146560 + uint64(i)), Kind: domain.KindAppeal,
			Record: fmt.Sprintf("r%d", i/3), Council: "NRN-ATB", Action: changeset.ActionUpdate, Author: "катчы",
			Fields: map[string]changeset.Change{"status": {Value: json.RawMessage(fmt.Sprintf(`"step %d"`, i))}}})
	}
	better, err := cd.EncodeSyncRequest(req, c.Dict())
	if err != nil {
		t.Fatal(err)
	}
	fastest, err := cd.FastBelow(syncproto.MaxRawBytes+1).EncodeSyncRequest(req, c.Dict())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(better, fastest) {
		t.Fatal("the two levels wrote the same frame: the test cannot tell them apart")
	}
	for _, quick := range []bool{false, true, false} {
		c.SetQuickLink(quick)
		if _, err := c.Sync(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range [][]byte{better, fastest, better} {
		if !bytes.Equal(bodies[i], want) {
			t.Errorf("request %d: %d bytes, not the frame of its level (%d bytes)", i+1, len(bodies[i]), len(want))
		}
		raw, err := cd.Decode(bodies[i])
		if err != nil || !syncproto.IsBinaryRequest(raw) {
			t.Errorf("request %d: %v, binary %v", i+1, err, syncproto.IsBinaryRequest(raw))
		}
	}
}
