package synctest

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// The messages of protocol 1 as laptops of capability 4 (Kenesh of
// 2026-12-03, in the field) write and read them, frozen here: every
// server must go on answering such a laptop, whatever syncproto's structs
// become. Never edit these; their encoding is pinned by testdata/v1.

type v1EnrollRequest struct {
	Proto      int    `json:"proto"`
	Code       string `json:"code"`
	DeviceID   string `json:"device_id"`
	DeviceName string `json:"device_name"`
}

type v1EnrollResponse struct {
	Proto    int      `json:"proto"`
	ServerID string   `json:"server_id"`
	Token    string   `json:"token"`
	Council  string   `json:"council,omitempty"`
	Role     string   `json:"role"`
	Name     string   `json:"name"`
	Dicts    []uint32 `json:"dicts"`
}

type v1SyncRequest struct {
	Proto   int        `json:"proto"`
	Device  string     `json:"device"`
	Ops     []v1WireOp `json:"ops,omitempty"`
	Cursor  uint64     `json:"cursor"`
	Pull    bool       `json:"pull"`
	MaxPull int        `json:"max_pull,omitempty"`
}

type v1SyncResponse struct {
	Proto   int         `json:"proto"`
	Acked   uint64      `json:"acked"`
	Refused []v1Refusal `json:"refused,omitempty"`
	Ops     []v1WireOp  `json:"ops,omitempty"`
	Cursor  uint64      `json:"cursor"`
	More    bool        `json:"more,omitempty"`
	Head    uint64      `json:"head,omitempty"`
	Time    int64       `json:"time"`
}

type v1Refusal struct {
	Seq     uint64 `json:"seq"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type v1WireOp struct {
	Device  string                  `json:"dv"`
	Seq     uint64                  `json:"sq"`
	HLC     uint64                  `json:"t"`
	Kind    string                  `json:"k"`
	Record  string                  `json:"r"`
	Council string                  `json:"c,omitempty"`
	Action  string                  `json:"a"`
	Author  string                  `json:"u,omitempty"`
	Fields  map[string]v1WireChange `json:"f"`
}

type v1WireChange struct {
	V json.RawMessage `json:"v"`
	B uint64          `json:"b,omitempty"`
	S []v1WireVersion `json:"s,omitempty"`
}

type v1WireVersion struct {
	T uint64 `json:"t"`
	D string `json:"d"`
}

type v1ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Acked   uint64 `json:"acked,omitempty"`
}

// v1Laptop speaks as a capability-4 laptop did, by hand: its own structs,
// the frame with dictionary 1, the headers it sent.
type v1Laptop struct {
	s      *suite
	id     string
	token  string
	seq    uint64
	cursor uint64
	clock  *hlc.Clock
}

// post sends body with the headers a v1 laptop sent.
func (l *v1Laptop) post(path, contentType string, body []byte) (int, []byte) {
	l.s.t.Helper()
	h := map[string]string{}
	if path == syncproto.PathSync {
		h[syncproto.HeaderDicts] = "1"
	}
	status, _, out := l.s.post(path, contentType, l.token, body, h)
	return status, out
}

// sync sends req and decodes the answer as a v1 laptop does (it ignores
// what it does not know).
func (l *v1Laptop) sync(req v1SyncRequest) (*v1SyncResponse, *v1ErrorBody) {
	l.s.t.Helper()
	req.Proto, req.Device = 1, l.id
	status, body := l.post(syncproto.PathSync, syncproto.ContentType, l.s.frame(req, 1))
	if status != http.StatusOK {
		var eb v1ErrorBody
		if err := json.Unmarshal(body, &eb); err != nil {
			l.s.t.Fatalf("v1: an error answer it cannot read: %d %q", status, body)
		}
		return nil, &eb
	}
	c, _ := syncproto.DefaultCodec()
	raw, err := c.Decode(body)
	if err != nil {
		l.s.t.Fatalf("v1: the reply's frame: %v", err)
	}
	var resp v1SyncResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		l.s.t.Fatalf("v1: the reply: %v", err)
	}
	return &resp, nil
}

func (l *v1Laptop) appeal(council, summary string) v1WireOp {
	l.seq++
	v := func(x any) v1WireChange { b, _ := json.Marshal(x); return v1WireChange{V: b} }
	return v1WireOp{Device: l.id, Seq: l.seq, HLC: uint64(l.clock.Now()), Kind: domain.KindAppeal, Record: domain.NewID(), Council: council,
		Action: "create", Author: "v1", Fields: map[string]v1WireChange{"council": v(council), "summary": v(summary), "status": v("received")}}
}

// A laptop of capability 4, which sends no capability version and knows
// none of what came after, enrolls, pushes, has a refusal explained, pulls
// the others' work and is told its gap, exactly as before.
func testV1Laptop(t *testing.T, s *suite) {
	l := &v1Laptop{s: s, id: domain.NewID(), clock: hlc.NewClock(0, time.Now)}
	body, _ := json.Marshal(v1EnrollRequest{Proto: 1, Code: s.tg.Code(t, Issue{Council: "NRN-ATB", Role: domain.RoleSecretary, Name: "эски ноутбук"}),
		DeviceID: l.id, DeviceName: "эски ноутбук"})
	status, out := l.post(syncproto.PathEnroll, "application/json", body)
	var er v1EnrollResponse
	if status != http.StatusOK || json.Unmarshal(out, &er) != nil || er.Token == "" || er.Role != domain.RoleSecretary || er.Council != "NRN-ATB" {
		t.Fatalf("v1 enroll: %d %s", status, out)
	}
	l.token = er.Token
	// Its work, and one operation it may not make (another council's).
	ops := []v1WireOp{l.appeal("NRN-ATB", "эски версиядан"), l.appeal("OSH-ARA", "башка кеңеш")}
	resp, eb := l.sync(v1SyncRequest{Ops: ops, Pull: true})
	if eb != nil {
		t.Fatalf("v1 push: %+v", eb)
	}
	if resp.Acked != 2 || len(resp.Refused) != 1 || resp.Refused[0].Seq != 2 || resp.Refused[0].Code != string(syncproto.CodeWrongCouncil) {
		t.Fatalf("v1 push answered %+v", resp)
	}
	// A new laptop of today's reads its work.
	now := s.enroll(domain.RoleSecretary, "NRN-ATB", "жаңы ноутбук")
	mine := now.appeal("NRN-ATB", "жаңы версиядан")
	now.push(mine)
	pulled, _ := now.pullAll(0)
	if got := records(pulled, domain.KindAppeal); len(got) != 1 || got[0] != ops[0].Record {
		t.Fatalf("today's laptop pulled %v of the v1 laptop's %s", got, ops[0].Record)
	}
	// And it reads today's work, in pages, to the end.
	var appeals []string
	for range 100 {
		resp, eb = l.sync(v1SyncRequest{Cursor: l.cursor, Pull: true, MaxPull: 1 << 10})
		if eb != nil {
			t.Fatalf("v1 pull: %+v", eb)
		}
		for _, o := range resp.Ops {
			if o.Kind == domain.KindAppeal {
				appeals = append(appeals, o.Record)
			}
		}
		l.cursor = resp.Cursor
		if !resp.More {
			break
		}
	}
	if len(appeals) != 1 || appeals[0] != mine.Record {
		t.Fatalf("the v1 laptop pulled %v, want today's %s", appeals, mine.Record)
	}
	// A gap says what the server holds, as it did.
	l.seq++
	_, eb = l.sync(v1SyncRequest{Ops: []v1WireOp{l.appeal("NRN-ATB", "after a gap")}})
	if eb == nil || eb.Code != string(syncproto.CodeGap) || eb.Acked != 2 {
		t.Fatalf("v1 gap: %+v", eb)
	}
	if st, ok := s.tg.(interface {
		Capability(string) syncproto.CapabilityVersion
	}); ok && st.Capability(l.id) != 0 {
		t.Errorf("the v1 laptop is taken for capability %d", st.Capability(l.id))
	}
	// The revocation it is told of, in the words it knows.
	s.tg.Revoke(t, l.id)
	if _, eb = l.sync(v1SyncRequest{Pull: true}); eb == nil || eb.Code != string(syncproto.CodeRevoked) || eb.Message == "" {
		t.Fatalf("v1 revoked: %+v", eb)
	}
}
