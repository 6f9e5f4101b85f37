package syncproto

import (
	"encoding/json"
	"fmt"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// Proto is the protocol version this code speaks (see the package doc).
const Proto = 1

// Endpoints.
const (
	PathEnroll  = "/v1/enroll"
	PathSync    = "/v1/sync"
	PathHealth  = "/healthz"
	PathMetrics = "/metrics"
)

// Headers.
const (
	// HeaderDicts lists the dictionary ids the sender can decode, comma
	// separated; the other side compresses its reply with the best of them.
	HeaderDicts = "Kenesh-Dicts"
	// ContentType of every frame body.
	ContentType = "application/vnd.kenesh.frame"
)

// Roles a device may have.
const (
	RoleSecretary = "secretary"
	RoleCentral   = "central"
	RoleTrainer   = "trainer"
	RoleAdmin     = "admin"
)

// Roles lists every role.
var Roles = []string{RoleSecretary, RoleCentral, RoleTrainer, RoleAdmin}

// EnrollRequest binds a device to the server with a one-time code. It is a
// plain JSON body (no frame): it is small and must work before anything
// else is agreed.
type EnrollRequest struct {
	Proto      int    `json:"proto"`
	Code       string `json:"code"`
	DeviceID   string `json:"device_id"`
	DeviceName string `json:"device_name"`
}

// EnrollResponse gives the device its token (shown once, stored encrypted),
// its council and role, and what the server speaks.
type EnrollResponse struct {
	Proto    int      `json:"proto"`
	ServerID string   `json:"server_id"`
	Token    string   `json:"token"`
	Council  string   `json:"council,omitempty"`
	Role     string   `json:"role"`
	Name     string   `json:"name"`
	Dicts    []uint32 `json:"dicts"`
}

// SyncRequest is the body of a sync, inside a frame. Ops nil means nothing
// to push; Pull false means acknowledge only.
type SyncRequest struct {
	Proto   int      `json:"proto"`
	Device  string   `json:"device"`
	Ops     []WireOp `json:"ops,omitempty"`
	Cursor  uint64   `json:"cursor"`
	Pull    bool     `json:"pull"`
	MaxPull int      `json:"max_pull,omitempty"` // decoded bytes of pulled operations; 0: the server's default
}

// SyncResponse is the reply to a sync, inside a frame.
type SyncResponse struct {
	Proto int `json:"proto"`
	// Acked is the highest sequence number of this device the server holds;
	// every operation up to it is held (or was refused, see Refused).
	Acked uint64 `json:"acked"`
	// Refused lists operations of this push that were judged and refused;
	// they are acknowledged all the same and must not be resent.
	Refused []Refusal `json:"refused,omitempty"`
	// Ops are operations from other devices, in server order.
	Ops []WireOp `json:"ops,omitempty"`
	// Cursor is the server position after Ops; send it in the next sync.
	Cursor uint64 `json:"cursor"`
	// More means more operations are waiting: sync again.
	More bool `json:"more,omitempty"`
	// Head is the server's last sequence number when the page was read:
	// how far a pull has to go, for a progress bar (the laptop does not
	// see every operation before it). 0 from an older server.
	Head uint64 `json:"head,omitempty"`
	// Time is the server's clock (Unix ms), so a laptop can warn about its own.
	Time int64 `json:"time"`
}

// Refusal is one refused operation.
type Refusal struct {
	Seq     uint64 `json:"seq"`
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// WireOp is an operation on the wire. Short names: most of a change set is
// these keys, over 2G. Never rename them.
type WireOp struct {
	Device  string                `json:"dv"`
	Seq     uint64                `json:"sq"`
	HLC     uint64                `json:"t"`
	Kind    string                `json:"k"`
	Record  string                `json:"r"`
	Council string                `json:"c,omitempty"`
	Action  string                `json:"a"`
	Author  string                `json:"u,omitempty"`
	Fields  map[string]WireChange `json:"f"`
}

// WireChange is one field's new value and the version its author saw.
type WireChange struct {
	V json.RawMessage `json:"v"`
	B uint64          `json:"b,omitempty"`
}

// ToWire converts an operation for the wire.
func ToWire(o *changeset.Op) WireOp {
	w := WireOp{Device: o.Device, Seq: o.Seq, HLC: uint64(o.HLC), Kind: o.Kind, Record: o.Record, Council: o.Council,
		Action: string(o.Action), Author: o.Author, Fields: make(map[string]WireChange, len(o.Fields))}
	for k, c := range o.Fields {
		w.Fields[k] = WireChange{V: c.Value, B: uint64(c.Base)}
	}
	return w
}

// WireSize is the JSON size of o as a WireOp, computed without encoding
// it: what one operation adds to a change set or a pull page. Strings are
// counted unescaped (ids are plain; a name or value with quotes or control
// characters is longer on the wire); values are JSON already.
func WireSize(o *changeset.Op) int {
	n := len(`{"dv":"","sq":,"t":,"k":"","r":"","a":"","f":{}}`) +
		len(o.Device) + digits(o.Seq) + digits(uint64(o.HLC)) + len(o.Kind) + len(o.Record) + len(o.Action)
	if o.Council != "" {
		n += len(`,"c":""`) + len(o.Council)
	}
	if o.Author != "" {
		n += len(`,"u":""`) + len(o.Author)
	}
	for name, c := range o.Fields {
		n += len(`"":{"v":},`) + len(name) + len(c.Value)
		if c.Base != 0 {
			n += len(`,"b":`) + digits(uint64(c.Base))
		}
	}
	if len(o.Fields) > 0 {
		n-- // no comma after the last field
	}
	return n
}

func digits(v uint64) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// FromWire converts and validates an operation from the wire.
func FromWire(w WireOp) (*changeset.Op, error) {
	o := &changeset.Op{Device: w.Device, Seq: w.Seq, HLC: hlc.Timestamp(w.HLC), Kind: w.Kind, Record: w.Record, Council: w.Council,
		Action: changeset.Action(w.Action), Author: w.Author, Fields: make(map[string]changeset.Change, len(w.Fields))}
	for k, c := range w.Fields {
		o.Fields[k] = changeset.Change{Value: c.V, Base: hlc.Timestamp(c.B)}
	}
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("operation %s/%d: %w", w.Device, w.Seq, err)
	}
	return o, nil
}

// EncodeRequest and friends marshal a body and wrap it in a frame.
func (c *Codec) EncodeJSON(v any, dict uint32) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return c.Encode(raw, dict)
}

// DecodeJSON unwraps a frame and unmarshals its JSON into v.
func (c *Codec) DecodeJSON(frame []byte, v any) error {
	raw, err := c.Decode(frame)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: payload is not a valid message: %v", ErrFrame, err)
	}
	return nil
}
