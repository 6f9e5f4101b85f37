package syncproto

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/kenesh/kenesh/shared/changeset"
)

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

// EnrollRequest binds a device to the server with a one-time code. It is a
// plain JSON body (no frame): it is small and must work before anything
// else is agreed.
type EnrollRequest struct {
	Proto      int    `json:"proto"`
	Code       string `json:"code"`
	DeviceID   string `json:"device_id"`
	DeviceName string `json:"device_name"`
	// Cap is the laptop's capability version (0 from a laptop before
	// capability 5).
	Cap CapabilityVersion `json:"cap,omitempty"`
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
	// MinProto and Cap: the oldest protocol version the server answers
	// and its capability version (0 from a server before capability 5).
	MinProto int               `json:"min_proto,omitempty"`
	Cap      CapabilityVersion `json:"cap,omitempty"`
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
	// Cap is the laptop's capability version (0 from a laptop before
	// capability 5).
	Cap CapabilityVersion `json:"cap,omitempty"`
	// Push, instead of Ops, are the operations to push as the laptop
	// holds them: a binary body is written from them directly
	// (AppendSyncRequest), a JSON body from their WireOps (WithWire).
	// Converting a long push to WireOps (a map each) only to write its
	// binary body was 5% of the laptop's CPU, and more of its garbage.
	// Never both Ops and Push.
	Push []*changeset.Op `json:"-"`
	// PushEncoded, instead of Ops or Push, are the operations to push in
	// their storage encoding, as the laptop's store holds them: a binary
	// body is written from their encoded fields without a map made for
	// each (decoding them into Ops was a fifth of a long push's laptop
	// CPU), a JSON body from them decoded. The same bodies as Push's.
	PushEncoded []changeset.EncodedOp `json:"-"`
}

// NumOps is how many operations req carries (Ops or Push).
func (req *SyncRequest) NumOps() int { return len(req.Ops) + len(req.Push) + len(req.PushEncoded) }

// OpSeqs are the sequence numbers of req's first and last operations
// (0, 0 when it carries none).
func (req *SyncRequest) OpSeqs() (first, last uint64) {
	switch {
	case len(req.Push) > 0:
		return req.Push[0].Seq, req.Push[len(req.Push)-1].Seq
	case len(req.PushEncoded) > 0:
		return req.PushEncoded[0].Head.Seq, req.PushEncoded[len(req.PushEncoded)-1].Head.Seq
	case len(req.Ops) > 0:
		return req.Ops[0].Seq, req.Ops[len(req.Ops)-1].Seq
	}
	return 0, 0
}

// WithWire is req as its JSON body is written: a copy with Push (or
// PushEncoded) converted to Ops (ToWire), or req itself when both are
// empty.
func (req *SyncRequest) WithWire() *SyncRequest {
	if len(req.Push) == 0 && len(req.PushEncoded) == 0 {
		return req
	}
	w := *req
	w.Push, w.PushEncoded = nil, nil
	w.Ops = make([]WireOp, 0, len(req.Push)+len(req.PushEncoded))
	for _, op := range req.Push {
		w.Ops = append(w.Ops, ToWire(op))
	}
	for i := range req.PushEncoded {
		w.Ops = append(w.Ops, ToWire(req.PushEncoded[i].Op()))
	}
	return &w
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
	// Page is the page of a binary answer (capability 8, page.go),
	// decoded: the operations of Ops, in the same order, as the laptop
	// applies them. A JSON answer leaves it nil.
	Page []*changeset.Op `json:"-"`
}

// Refusal is one refused operation. Fields, when the refusal is about
// fields of the record (a field its role may not write, a council's
// field at fault), says which and why, so that the laptop can say it in
// its person's language (capability 5; older laptops ignore it).
type Refusal struct {
	Seq     uint64        `json:"seq"`
	Code    Code          `json:"code"`
	Message string        `json:"message"`
	Fields  []FieldReason `json:"fields,omitempty"`
}

// RefusalFor is the refusal of operation seq for err: its code
// (CodeOf), message and field-level reasons (FieldReasons).
func RefusalFor(seq uint64, err error) Refusal {
	e := ErrorFor(err)
	return Refusal{Seq: seq, Code: e.Code, Message: e.Message, Fields: e.Fields}
}

// Health is the answer of PathHealth, which needs no token: what the
// server speaks, so that a laptop can tell before it syncs.
type Health struct {
	Status   string            `json:"status"` // "ok"
	ServerID string            `json:"server_id"`
	Proto    int               `json:"proto"`
	MinProto int               `json:"min_proto,omitempty"`
	Cap      CapabilityVersion `json:"cap,omitempty"`
	Dicts    []uint32          `json:"dicts"`
	// Version is the server's release ("0.6.0"), for people: the app shows
	// it in Settings, monitoring reads it. Nothing is decided by it (Proto
	// and Cap say what a laptop may do). Servers before it was here in the
	// protocol sent it at the same place.
	Version string `json:"version,omitempty"`
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
// S, only in a conflict's resolution, names the competing values it
// settles (changeset.Change.Settles); older receivers ignore it.
type WireChange struct {
	V json.RawMessage `json:"v"`
	B uint64          `json:"b,omitempty"`
	S []WireVersion   `json:"s,omitempty"`
}

// WireVersion names one write of a field: its clock and device.
type WireVersion struct {
	T uint64 `json:"t"`
	D string `json:"d"`
}

// ToWire converts an operation for the wire.
func ToWire(o *changeset.Op) WireOp {
	w := WireOp{Device: o.Device, Seq: o.Seq, HLC: uint64(o.HLC), Kind: o.Kind, Record: o.Record, Council: o.Council,
		Action: string(o.Action), Author: o.Author, Fields: make(map[string]WireChange, len(o.Fields))}
	for k, c := range o.Fields {
		wc := WireChange{V: c.Value, B: uint64(c.Base)}
		for _, v := range c.Settles {
			wc.S = append(wc.S, WireVersion{T: uint64(v.HLC), D: v.Device})
		}
		w.Fields[k] = wc
	}
	return w
}

// WireSize is the JSON size of o as a WireOp, as Marshal encodes it,
// computed without encoding it: what one operation adds to a change set or
// a pull page. Strings are counted as escaped (quotes, backslashes and
// control characters take two or six bytes; <, > and & one, since Marshal
// does not escape HTML); values are counted as they are, which encoding
// only ever shortens (it removes insignificant white space). So WireSize
// is never below the encoded size, and equal to it for compact values.
func WireSize(o *changeset.Op) int {
	n := len(`{"dv":"","sq":,"t":,"k":"","r":"","a":"","f":{}}`) +
		strLen(o.Device) + digits(o.Seq) + digits(uint64(o.HLC)) + strLen(o.Kind) + strLen(o.Record) + strLen(string(o.Action))
	if o.Council != "" {
		n += len(`,"c":""`) + strLen(o.Council)
	}
	if o.Author != "" {
		n += len(`,"u":""`) + strLen(o.Author)
	}
	for name, c := range o.Fields {
		n += len(`"":{"v":},`) + strLen(name) + len(c.Value)
		if len(c.Value) == 0 {
			n += len("null")
		}
		if c.Base != 0 {
			n += len(`,"b":`) + digits(uint64(c.Base))
		}
		if len(c.Settles) > 0 {
			n += len(`,"s":[]`) + len(c.Settles) - 1
			for _, v := range c.Settles {
				n += len(`{"t":,"d":""}`) + digits(uint64(v.HLC)) + strLen(v.Device)
			}
		}
	}
	if len(o.Fields) > 0 {
		n-- // no comma after the last field
	}
	return n
}

// strLen is the length of s as encoding/json writes it inside quotes
// without HTML escaping: two bytes for \" \\ \n \r \t \b \f, six for other
// control characters, invalid UTF-8 bytes (\ufffd) and U+2028, U+2029.
func strLen(s string) int {
	// Names, ids and codes are plain ASCII: one byte each, found in one
	// tight pass; the first byte that is not goes the long way.
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			return i + escapedLen(s[i:])
		}
	}
	return len(s)
}

// escapedLen is strLen byte by byte.
func escapedLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
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

// Marshal encodes v as JSON the way every Kenesh message is encoded:
// without HTML escaping, so that <, > and & stay one byte each (escaped,
// they take six, and a page sized by what was stored would not fit the
// frame it is sent in).
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// MarshalOp encodes an operation as a WireOp, as a pull page carries it
// (AppendOp).
func MarshalOp(o *changeset.Op) ([]byte, error) {
	return AppendOp(make([]byte, 0, WireSize(o)), o)
}

// FromWire converts and validates an operation from the wire.
func FromWire(w WireOp) (*changeset.Op, error) {
	o := OpFromWire(&w)
	if err := CheckOp(&o); err != nil {
		return nil, err
	}
	return &o, nil
}

// EncodeRequest and friends marshal a body and wrap it in a frame.
func (c *Codec) EncodeJSON(v any, dict uint32) ([]byte, error) {
	raw, err := Marshal(v)
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
