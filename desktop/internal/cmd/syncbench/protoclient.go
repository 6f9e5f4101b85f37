package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// protoClient speaks the sync protocol with no store behind it: real
// enrollment, real tokens, real frames over real HTTP. The concurrency
// test runs hundreds of them (500 full laptop stores would not fit this
// machine), and the checks at the end pull through one with a central
// role to see what the server holds.
type protoClient struct {
	url    string
	device string
	token  string
	role   string
	hc     *http.Client
	codec  *syncproto.Codec
	dict   uint32
}

// enrollProto enrolls a new device with a one-time code. localIP, if set,
// is the loopback address it connects from: the server allows a few
// enrollments per address, and 500 clients come from 63 addresses of
// 127.0.0.0/8, as laptops come from many.
func enrollProto(ctx context.Context, url, code, name string, localIP net.IP) (*protoClient, error) {
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if localIP != nil {
		dialer.LocalAddr = &net.TCPAddr{IP: localIP}
	}
	c := &protoClient{url: url, device: domain.NewID(), codec: codec, hc: &http.Client{
		Timeout: 5 * time.Minute,
		Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 1, DisableCompression: true,
			IdleConnTimeout: 5 * time.Minute},
	}}
	body, _ := json.Marshal(syncproto.EnrollRequest{Proto: syncproto.Proto, Code: code, DeviceID: c.device, DeviceName: name})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+syncproto.PathEnroll, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("enroll %s: %w", name, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("enroll %s: HTTP %s: %s", name, resp.Status, data)
	}
	var er syncproto.EnrollResponse
	if err := json.Unmarshal(data, &er); err != nil {
		return nil, fmt.Errorf("enroll %s: %w", name, err)
	}
	c.token, c.role = er.Token, er.Role
	for _, d := range er.Dicts {
		if codec.Has(d) && d > c.dict {
			c.dict = d
		}
	}
	return c, nil
}

// sync sends one sync request and decodes the reply into out (a
// *syncproto.SyncResponse, or a smaller struct with the same JSON names).
func (c *protoClient) sync(ctx context.Context, req *syncproto.SyncRequest, out any) error {
	frame, err := c.codec.EncodeJSON(req, c.dict)
	if err != nil {
		return err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+syncproto.PathSync, bytes.NewReader(frame))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", syncproto.ContentType)
	hr.Header.Set("Authorization", "Bearer "+c.token)
	hr.Header.Set(syncproto.HeaderDicts, strconv.FormatUint(uint64(c.dict), 10))
	resp, err := c.hc.Do(hr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, syncproto.MaxFrameBytes+1))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sync: HTTP %s: %s", resp.Status, bytes.TrimSpace(data))
	}
	return c.codec.DecodeJSON(data, out)
}

func (c *protoClient) Close() { c.hc.CloseIdleConnections() }
