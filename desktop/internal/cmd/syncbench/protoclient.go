package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// protoClient speaks the sync protocol with no store behind it, through
// the protocol client the laptop uses (real enrollment, real tokens, real
// frames over real HTTP). The concurrency test runs hundreds of them (500
// full laptop stores would not fit this machine), and the checks at the
// end pull through one with a central role to see what the server holds.
type protoClient struct {
	*syncclient.Client
	device string
	// serverCap is the server's capability version, from its enrollment
	// answer.
	serverCap syncproto.CapabilityVersion
}

// enrollProto enrolls a new device with a one-time code. localIP, if set,
// is the loopback address it connects from: the server allows a few
// enrollments per address, and 500 clients come from 63 addresses of
// 127.0.0.0/8, as laptops come from many.
func enrollProto(ctx context.Context, url, code, name string, localIP net.IP) (*protoClient, error) {
	codec, err := loadCodec()
	if err != nil {
		return nil, err
	}
	c, err := syncclient.New(url, syncclient.Options{Timeout: 5 * time.Minute, LocalIP: localIP, Codec: codec})
	if err != nil {
		return nil, err
	}
	pc := &protoClient{Client: c, device: domain.NewID()}
	resp, err := c.Enroll(ctx, syncproto.EnrollRequest{Code: code, DeviceID: pc.device, DeviceName: name})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("enroll %s: %w", name, err)
	}
	pc.serverCap = resp.Cap
	return pc, nil
}

// sync sends one sync request and decodes the reply into out (a
// *syncproto.SyncResponse, or a smaller struct with the same JSON names).
func (c *protoClient) sync(ctx context.Context, req *syncproto.SyncRequest, out any) error {
	return c.SyncInto(ctx, req, out)
}

// loadCodec is the codec of the load test's clients: the laptop's
// dictionaries, with every request compressed at zstd's fastest level.
// Each laptop pays for its own requests with its own CPU; here 500 of
// them share the server's two cores, and at the laptop's better level
// their compression alone took a share of them the server would not have
// (syncbench's own CPU is in the results). Their requests are 10-15%
// larger than a laptop's for it (bytes up in the results).
func loadCodec() (*syncproto.Codec, error) {
	c, err := syncproto.DefaultCodec()
	if err != nil {
		return nil, err
	}
	return c.FastBelow(syncproto.MaxRawBytes + 1), nil
}
