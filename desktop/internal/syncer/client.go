package syncer

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
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/shared/syncproto"
)

// Traffic counts bytes on the wire, as the connection carries them
// (headers, bodies and TLS included).
type Traffic struct {
	Up   int64 `json:"bytes_up"`
	Down int64 `json:"bytes_down"`
}

// Client speaks the sync protocol to one server.
type Client struct {
	base     *url.URL
	token    string
	hc       *http.Client
	codec    *syncproto.Codec
	dict     uint32 // the best dictionary both sides have
	up, down atomic.Int64
	// serverMs is the server's clock as its last answer gave it (Unix
	// ms; 0: none yet): a sync answer's Time, else the HTTP Date header.
	serverMs atomic.Int64
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

// ClientOptions tune a Client.
type ClientOptions struct {
	Token       string
	Codec       *syncproto.Codec
	ServerDicts []uint32
	// Timeout bounds one request. A 2G link needs minutes for a large page.
	Timeout   time.Duration
	TLSConfig *tls.Config
}

// ErrBadURL means a server address is not one: it must be
// https://host[:port].
var ErrBadURL = errors.New("not a server address: it must look like https://kenesh.example.kg")

// ErrPlainHTTP means a plain http:// address of another computer. Over
// plain HTTP the one-time enrollment code, the laptop's token and every
// appeal would cross the network readable by anyone on the way (a
// village's shared Wi-Fi, the mobile operator): only a server on this
// very computer (a test, or a TLS proxy in front of the laptop) may be
// spoken to without TLS.
var ErrPlainHTTP = errors.New("plain http:// is allowed only to a server on this computer; use https:// so that the enrollment code, the token and the records are encrypted on the way")

// CheckServerURL parses a server address as a person types it and says
// whether this laptop may speak to it: https:// to any host, http:// only
// to a loopback address (127.0.0.0/8, ::1 or localhost). Every way a laptop
// reaches a server goes through it (NewClient calls it; the desktop app's
// enrollment and keneshctl enroll both end there), so the rule lives in
// one place.
func CheckServerURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("server address %q: %w", raw, ErrBadURL)
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("server address %q: %w (https://%s)", raw, ErrPlainHTTP, u.Host)
	}
	return u, nil
}

// loopbackHost reports whether host names this computer. "localhost" is
// taken at its word here; the dialer then checks that it really led to a
// loopback address (loopbackOnly).
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackOnly refuses a plain-HTTP connection that did not end on this
// computer (a "localhost" that resolves elsewhere).
func loopbackOnly(conn net.Conn) error {
	if a, ok := conn.RemoteAddr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %s is not this computer", ErrPlainHTTP, conn.RemoteAddr())
}

// NewClient returns a client for the server at rawURL (see CheckServerURL).
func NewClient(rawURL string, o ClientOptions) (*Client, error) {
	u, err := CheckServerURL(rawURL)
	if err != nil {
		return nil, err
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Minute
	}
	c := &Client{base: u, token: o.Token, codec: o.Codec}
	dialer := &net.Dialer{Timeout: 20 * time.Second, KeepAlive: 30 * time.Second}
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
	for _, d := range o.ServerDicts {
		if c.codec != nil && c.codec.Has(d) && d > c.dict {
			c.dict = d
		}
	}
	return c, nil
}

// Traffic returns the bytes carried so far.
func (c *Client) Traffic() Traffic { return Traffic{Up: c.up.Load(), Down: c.down.Load()} }

// Close drops idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Enroll exchanges a one-time code for a token.
func (c *Client) Enroll(ctx context.Context, req syncproto.EnrollRequest) (*syncproto.EnrollResponse, error) {
	body, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+syncproto.PathEnroll, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, unreachable(err)
	}
	defer resp.Body.Close()
	c.noteDate(resp)
	if err := redirected(resp); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, unreachable(err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, serverError(resp, data)
	}
	if err := contentType(resp, "application/json"); err != nil {
		return nil, err
	}
	var out syncproto.EnrollResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("enroll: the server's answer is not understood: %w", err)
	}
	return &out, nil
}

// Sync makes one sync request.
func (c *Client) Sync(ctx context.Context, req *syncproto.SyncRequest) (*syncproto.SyncResponse, error) {
	frame, err := c.codec.EncodeJSON(req, c.dict)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+syncproto.PathSync, bytes.NewReader(frame))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", syncproto.ContentType)
	hr.Header.Set("Authorization", "Bearer "+c.token)
	hr.Header.Set(syncproto.HeaderDicts, dictList(c.codec.Dicts()))
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, unreachable(err)
	}
	defer resp.Body.Close()
	c.noteDate(resp)
	if err := redirected(resp); err != nil {
		return nil, err
	}
	// Never more than a frame may hold: a larger body is refused by
	// Decode, and a server cannot make the laptop buffer more.
	data, err := io.ReadAll(io.LimitReader(resp.Body, syncproto.MaxFrameBytes+1))
	if err != nil {
		return nil, unreachable(err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, serverError(resp, data)
	}
	if err := contentType(resp, syncproto.ContentType); err != nil {
		return nil, err
	}
	var out syncproto.SyncResponse
	if err := c.codec.DecodeJSON(data, &out); err != nil {
		// A reply cut off on the way: nothing is applied, the sync repeats.
		return nil, &syncproto.Error{Code: syncproto.CodeFrame, Message: "the server's reply arrived damaged or cut off: " + err.Error()}
	}
	if out.Time > 0 {
		c.serverMs.Store(out.Time)
	}
	return &out, nil
}

// Health asks whether the server answers at all: the cheap probe of the
// background loop while the network is down.
func (c *Client) Health(ctx context.Context) error {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String()+syncproto.PathHealth, nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return unreachable(err)
	}
	c.noteDate(resp)
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &syncproto.Error{Code: syncproto.CodeUnavailable, Message: "health check: " + resp.Status}
	}
	return nil
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

// contentType refuses a successful answer that is not what the protocol
// sends: a network's login page answers 200 with HTML.
func contentType(resp *http.Response, want string) error {
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == want {
		return nil
	}
	return fmt.Errorf("%w: it answered with %q, not %s (a network's login page?)", ErrBadAnswer, ct, want)
}

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
	return &syncproto.Error{Code: body.Code, Message: body.Message, Acked: body.Acked, RetryAfter: retry}
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
