package syncclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/shared/syncproto"
)

// ErrBadAnswer means the server answered something no honest Kenesh server
// says: a body that is not what the protocol sends (a network's login
// page, a wrong address), a redirect, or, as the laptop's syncer finds,
// an acknowledgement of changes the laptop never made or a refusal of an
// operation it did not send. Nothing of such an answer is believed.
var ErrBadAnswer = errors.New("the server's answer is impossible (a wrong address, a network's login page, or a fault on the server); nothing was marked as sent")

// Traffic counts bytes on the wire, as the connection carries them
// (headers, bodies and TLS included).
type Traffic struct {
	Up   int64 `json:"bytes_up"`
	Down int64 `json:"bytes_down"`
}

// Options tune a Client.
type Options struct {
	// Token is the device's token (empty before enrollment; Enroll sets it).
	Token string
	// Codec compresses the frames; nil: syncproto.DefaultCodec.
	Codec *syncproto.Codec
	// ServerDicts are the dictionaries the server announced at
	// enrollment: requests are compressed with the best one both sides
	// have (Enroll sets them too).
	ServerDicts []uint32
	// Timeout bounds one request (default 3 minutes: a 2G link needs
	// minutes for a large page).
	Timeout   time.Duration
	TLSConfig *tls.Config
	// LocalIP, if set, is the address connections are made from (a load
	// test's clients come from many loopback addresses, as laptops from
	// many; the server rate-limits enrollments per address).
	LocalIP net.IP
	// ServerProto is the protocol version the server last said it speaks
	// (0: not known): a client sends protocol 2's binary request only to
	// a server known to speak it, and learns it from the server's answers
	// (ServerProto).
	ServerProto int
}

// Client speaks the sync protocol to one server. It is safe for concurrent
// use; Enroll is meant to be called once, before anything else.
type Client struct {
	base  *url.URL
	hc    *http.Client
	files *http.Client // no overall deadline: files requests stop on a stall
	codec *syncproto.Codec
	// fast is codec at zstd's fastest level, for sync requests while the
	// link is quick (SetQuickLink).
	fast     *syncproto.Codec
	quick    atomic.Bool
	up, down atomic.Int64
	// serverMs is the server's clock as its last answer gave it (Unix
	// ms; 0: none yet): a sync answer's Time, else the HTTP Date header.
	serverMs atomic.Int64
	// serverProto is the protocol version the server says it speaks (0: not
	// known yet).
	serverProto atomic.Int64

	mu    sync.Mutex
	token string
	dict  uint32 // the best dictionary both sides have
}

// New returns a client for the server at rawURL (see CheckServerURL).
func New(rawURL string, o Options) (*Client, error) {
	u, err := CheckServerURL(rawURL)
	if err != nil {
		return nil, err
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Minute
	}
	if o.Codec == nil {
		if o.Codec, err = syncproto.DefaultCodec(); err != nil {
			return nil, err
		}
	}
	c := &Client{base: u, token: o.Token, codec: o.Codec, fast: o.Codec.FastBelow(syncproto.MaxRawBytes + 1)}
	dialer := &net.Dialer{Timeout: 20 * time.Second, KeepAlive: 30 * time.Second}
	if o.LocalIP != nil {
		dialer.LocalAddr = &net.TCPAddr{IP: o.LocalIP}
	}
	plain := u.Scheme == "http"
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if plain {
				if err := loopbackOnly(conn); err != nil {
					conn.Close()
					return nil, err
				}
			}
			return &countingConn{Conn: conn, up: &c.up, down: &c.down}, nil
		},
		TLSClientConfig:       o.TLSConfig,
		TLSHandshakeTimeout:   20 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
		// Bodies are zstd frames already: no gzip on top.
		DisableCompression: true,
	}
	c.hc = &http.Client{Transport: tr, Timeout: o.Timeout,
		// The protocol has no redirects. Following one could carry a
		// change set (a 307 keeps the body) to another host, or to
		// plain HTTP: a redirect is the server's answer, not an address.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c.files = &http.Client{Transport: tr, CheckRedirect: c.hc.CheckRedirect}
	c.useDicts(o.ServerDicts)
	c.serverProto.Store(int64(o.ServerProto))
	return c, nil
}

// useDicts picks the best dictionary of the server's that the codec has.
func (c *Client) useDicts(server []uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range server {
		if c.codec.Has(d) && d > c.dict {
			c.dict = d
		}
	}
}

// URL is the server's address, as CheckServerURL cleaned it.
func (c *Client) URL() string { return c.base.String() }

// Dict is the dictionary requests are compressed with (0: none).
func (c *Client) Dict() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dict
}

// ServerTime is the server's clock as its last answer gave it, or the
// zero time if it has not answered with one.
func (c *Client) ServerTime() time.Time {
	if ms := c.serverMs.Load(); ms > 0 {
		return time.UnixMilli(ms)
	}
	return time.Time{}
}

// noteDate keeps the server's clock from an answer's Date header.
func (c *Client) noteDate(resp *http.Response) {
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		c.serverMs.Store(t.UnixMilli())
	}
}

// ServerProto is the protocol version the server said it speaks in its
// last answer that says (0: none yet).
func (c *Client) ServerProto() int { return int(c.serverProto.Load()) }

// proto is the protocol version of this client's requests: this code's,
// or the server's when that is older (1 while it is not known). Only the
// sync request's body differs between protocols 1 and 2, but a server
// refuses every request of a protocol newer than its own (CheckProto): a
// laptop updated before its server still enrolls and moves files.
func (c *Client) proto() int { return min(syncproto.Proto, max(c.ServerProto(), 1)) }

func (c *Client) noteProto(p int) {
	if p > 0 {
		c.serverProto.Store(int64(p))
	}
}

// Traffic returns the bytes carried so far.
func (c *Client) Traffic() Traffic { return Traffic{Up: c.up.Load(), Down: c.down.Load()} }

// Close drops idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Enroll exchanges a one-time code for a token, which the client then
// uses, with the dictionaries the server announced. Cap is this
// version's when left zero, Proto the newest the server is known to
// speak (1 when not known: see proto).
func (c *Client) Enroll(ctx context.Context, req syncproto.EnrollRequest) (*syncproto.EnrollResponse, error) {
	if req.Proto == 0 {
		req.Proto = c.proto()
	}
	if req.Cap == 0 {
		req.Cap = syncproto.CurrentCapability
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	data, err := c.post(ctx, syncproto.PathEnroll, "application/json", body, 1<<20, "")
	if err != nil {
		return nil, err
	}
	var out syncproto.EnrollResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("enroll: %w: the server's answer is not an enrollment: %v", ErrBadAnswer, err)
	}
	c.mu.Lock()
	c.token = out.Token
	c.mu.Unlock()
	c.useDicts(out.Dicts)
	c.noteProto(out.Proto)
	return &out, nil
}

// Sync makes one sync request. Cap is this version's when left zero;
// Proto too, unless the server is not known to speak it: then 1, in JSON
// (see SyncInto).
func (c *Client) Sync(ctx context.Context, req *syncproto.SyncRequest) (*syncproto.SyncResponse, error) {
	var out syncproto.SyncResponse
	if err := c.SyncInto(ctx, req, &out); err != nil {
		return nil, err
	}
	if out.Time > 0 {
		c.serverMs.Store(out.Time)
	}
	c.noteProto(out.Proto)
	return &out, nil
}

// SyncInto is Sync decoding the answer into out: a *syncproto.SyncResponse
// or a smaller struct with the same JSON names (a load test's hundreds of
// clients need only the counts). A request of protocol 2 or newer goes in
// protocol 2's binary body, which only a server of protocol 2 reads: with
// Proto left zero, the client sends it once the server has said it speaks
// protocol 2 (in an answer to Enroll, Sync or Health, or
// Options.ServerProto), and JSON of protocol 1 before. A binary request
// that a server refuses as a frame it cannot read, or for its protocol,
// is sent again once in JSON, and the client sends JSON from then on.
func (c *Client) SyncInto(ctx context.Context, req *syncproto.SyncRequest, out any) error {
	auto := req.Proto == 0
	if auto {
		req.Proto = c.proto()
		defer func() { req.Proto = 0 }()
	}
	refused, err := c.syncInto(ctx, req, out)
	var perr *syncproto.Error
	if auto && refused && req.Proto >= 2 && errors.As(err, &perr) && (perr.Code == syncproto.CodeFrame || perr.Code == syncproto.CodeProtocol) {
		c.serverProto.Store(1)
		req.Proto = 1
		_, err = c.syncInto(ctx, req, out)
	}
	return err
}

// SetQuickLink says whether the link to the server is quick (the caller
// saw its last change set answered within a fraction of a second): sync
// requests are then compressed at zstd's fastest level instead of the
// better one with a dictionary, which took three times the CPU for about
// 12% fewer bytes (a 100,000-record push: 1.72 against 0.53 s of the
// laptop's CPU, 9.7 against 11.0 MB; BENCHMARKS.md, issue 15, push3): on a
// quick link it is the laptop's CPU, not the link, that a large push waits
// for. On a slow link (EDGE's round trip alone is 600 ms) requests keep
// the better level, and so does a sync's first request.
func (c *Client) SetQuickLink(quick bool) { c.quick.Store(quick) }

// syncInto is one request; refused says the error is the server's answer
// (not a reply damaged on its way here, nor one that never came).
func (c *Client) syncInto(ctx context.Context, req *syncproto.SyncRequest, out any) (refused bool, err error) {
	if req.Cap == 0 {
		req.Cap = syncproto.CurrentCapability
	}
	dict := c.Dict()
	codec := c.codec
	if c.quick.Load() {
		codec = c.fast
	}
	var frame []byte
	if req.Proto >= 2 {
		frame, err = codec.EncodeSyncRequest(req, dict)
	} else {
		frame, err = codec.EncodeJSON(req.WithWire(), dict)
	}
	if err != nil {
		return false, err
	}
	// Never more than a frame may hold: a larger body is refused by
	// Decode, and a server cannot make the laptop buffer more.
	data, err := c.post(ctx, syncproto.PathSync, syncproto.ContentType, frame, syncproto.MaxFrameBytes+1, dictList(c.codec.Dicts()))
	if err != nil {
		var perr *syncproto.Error
		return errors.As(err, &perr), err
	}
	if err := c.decodeAnswer(data, out); err != nil {
		// A reply cut off on the way: nothing is applied, the sync repeats.
		return false, &syncproto.Error{Code: syncproto.CodeFrame, Message: "the server's reply arrived damaged or cut off: " + err.Error()}
	}
	return false, nil
}

// decodeAnswer decodes a sync's answer, JSON or binary (the server sends
// binary to a request of capability 8, syncproto.CapBinaryPage), into
// out. A *syncproto.SyncResponse gets a binary page's operations in Page;
// a smaller struct gets the answer as its JSON would have been.
func (c *Client) decodeAnswer(frame []byte, out any) error {
	raw, err := c.codec.Decode(frame)
	if err != nil {
		return err
	}
	r, ok := out.(*syncproto.SyncResponse)
	if !ok && !syncproto.IsBinaryResponse(raw) {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%w: payload is not a valid message: %v", syncproto.ErrFrame, err)
		}
		return nil
	}
	resp, err := syncproto.DecodeSyncResponse(raw)
	if err != nil {
		return err
	}
	if ok {
		*r = *resp
		return nil
	}
	if resp.Page != nil {
		resp.Ops = make([]syncproto.WireOp, len(resp.Page))
		for i, o := range resp.Page {
			resp.Ops[i] = syncproto.ToWire(o)
		}
		resp.Page = nil
	}
	js, err := syncproto.Marshal(resp)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(js, out); err != nil {
		return fmt.Errorf("%w: %v", syncproto.ErrFrame, err)
	}
	return nil
}

// post sends body to path and returns the answer's body, at most limit
// bytes, or the error the answer means.
func (c *Client) post(ctx context.Context, path, contentType string, body []byte, limit int64, dicts string) ([]byte, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", contentType)
	c.mu.Lock()
	token := c.token
	c.mu.Unlock()
	if token != "" && path != syncproto.PathEnroll {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	if dicts != "" {
		hr.Header.Set(syncproto.HeaderDicts, dicts)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, unreachable(err)
	}
	defer resp.Body.Close()
	c.noteDate(resp)
	data, err := readBody(resp, limit)
	if err != nil {
		return nil, unreachable(err)
	}
	return answer(resp, data, contentType)
}

// readBody reads an answer's body, at most limit bytes: into one buffer of
// its declared length when it declares one within the limit (io.ReadAll
// grows its buffer from 512 bytes, copying what it read each time: about
// 4% of the CPU of syncbench's 500 laptops, which read 5 KiB frames, and
// 8 MiB of copies for a first pull's 4 MiB page), else as before.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= limit {
		buf := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}

// answer is what an answer means: its body, when it is a success of the
// content type the protocol sends, else the error it is. Every answer is
// outside input (a server, a proxy, a network's login page): nothing of it
// is trusted before it is checked.
func answer(resp *http.Response, data []byte, contentType string) ([]byte, error) {
	if err := redirected(resp); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, serverError(resp, data)
	}
	if err := checkContentType(resp, contentType); err != nil {
		return nil, err
	}
	return data, nil
}

// Health asks whether the server answers at all, and what it speaks: the
// cheap probe of the background loop while the network is down. A server
// from before capability 5 answers without MinProto and Cap.
func (c *Client) Health(ctx context.Context) (*syncproto.Health, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String()+syncproto.PathHealth, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, unreachable(err)
	}
	c.noteDate(resp)
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &syncproto.Error{Code: syncproto.CodeUnavailable, Message: "health check: " + resp.Status}
	}
	var h syncproto.Health
	if err := json.Unmarshal(data, &h); err != nil || h.Status != "ok" {
		return nil, fmt.Errorf("health check: %w: it answered %.80q", ErrBadAnswer, data)
	}
	c.noteProto(h.Proto)
	return &h, nil
}

func dictList(ids []uint32) string {
	slices.Sort(ids)
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		parts = append(parts, strconv.FormatUint(uint64(id), 10))
	}
	return strings.Join(parts, ",")
}

func unreachable(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &syncproto.Error{Code: syncproto.CodeUnreachable, Message: "the server cannot be reached: " + err.Error()}
}

// redirected refuses a redirect: the protocol has none, so one comes
// from a wrong address or something between the laptop and the server.
func redirected(resp *http.Response) error {
	if resp.StatusCode < 300 || resp.StatusCode >= 400 {
		return nil
	}
	return fmt.Errorf("%w: it redirects (HTTP %s) to %q; check the server address", ErrBadAnswer, resp.Status, resp.Header.Get("Location"))
}

// checkContentType refuses a successful answer that is not what the
// protocol sends: a network's login page answers 200 with HTML.
func checkContentType(resp *http.Response, want string) error {
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == want {
		return nil
	}
	return fmt.Errorf("%w: it answered with %q, not %s (a network's login page?)", ErrBadAnswer, ct, want)
}

// serverError is the error an answer other than 200 means: the protocol's
// error body, or, from something that is not a Kenesh server (a proxy, a
// restart), a code guessed from the HTTP status.
func serverError(resp *http.Response, data []byte) error {
	var retry time.Duration
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		retry = time.Duration(secs) * time.Second
	}
	var body syncproto.ErrorBody
	if err := json.Unmarshal(data, &body); err != nil || body.Code == "" {
		code := syncproto.CodeInternal
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			code = syncproto.CodeRateLimited
		case resp.StatusCode >= 500:
			code = syncproto.CodeUnavailable // a proxy or a restart, most likely
		}
		return &syncproto.Error{Code: code, Message: fmt.Sprintf("HTTP %s", resp.Status), RetryAfter: retry}
	}
	e := syncproto.FromBody(body)
	e.RetryAfter = retry
	return e
}

type countingConn struct {
	net.Conn
	up, down *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.down.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.up.Add(int64(n))
	return n, err
}
