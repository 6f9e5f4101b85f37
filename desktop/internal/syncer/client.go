package syncer

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// NewClient returns a client for the server at rawURL.
func NewClient(rawURL string, o ClientOptions) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server address %q: want https://host[:port] (or http:// for a local test server)", rawURL)
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Minute
	}
	c := &Client{base: u, token: o.Token, codec: o.Codec}
	dialer := &net.Dialer{Timeout: 20 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
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
	c.hc = &http.Client{Transport: tr, Timeout: o.Timeout}
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
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, unreachable(err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, serverError(resp, data)
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
	data, err := io.ReadAll(io.LimitReader(resp.Body, syncproto.MaxFrameBytes+1))
	if err != nil {
		return nil, unreachable(err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, serverError(resp, data)
	}
	var out syncproto.SyncResponse
	if err := c.codec.DecodeJSON(data, &out); err != nil {
		// A reply cut off on the way: nothing is applied, the sync repeats.
		return nil, &syncproto.Error{Code: syncproto.CodeFrame, Message: "the server's reply arrived damaged or cut off: " + err.Error()}
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
