package synctest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// Target is a sync server under test, with the administrator's hands: the
// fake (Server) or the real server in its own package's test.
type Target interface {
	// ServerURL is where the server answers (http://127.0.0.1:PORT).
	ServerURL() string
	// AddCouncil creates a council, as kenesh-syncserver admin council add.
	AddCouncil(t testing.TB, c domain.Council)
	// Code issues a one-time enrollment code, as admin enroll.
	Code(t testing.TB, i Issue) string
	// Revoke revokes a device, as admin revoke.
	Revoke(t testing.TB, device string)
}

// FilesTarget is a Target that carries files (capability 6): the suite's
// files tests run only on one (a server being built runs the rest).
type FilesTarget interface {
	Target
	// SetFilesQuota sets how many bytes of files each council (and the
	// materials) may keep on the server, as serve --files-quota.
	SetFilesQuota(t testing.TB, bytes int64)
}

// Issue is what an enrollment code is for: a role, a council (a
// secretary's), the name the administrator registers the laptop under,
// and, to enroll an enrolled laptop again, its device id (then the rest
// defaults to the laptop's own).
type Issue struct {
	Council, Role, Name, Device string
}

// Run runs the protocol conformance suite against servers newTarget
// makes, one per test, each with the councils NRN-ATB (Naryn) and OSH-ARA
// (Osh). Every server must pass it: the fake, so that tests of the laptop
// on the fake say something about the real server, and the real one.
func Run(t *testing.T, newTarget func(t *testing.T) Target) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *suite)
	}{
		{"Health", testHealth},
		{"Enroll", testEnroll},
		{"EnrollRefusals", testEnrollRefusals},
		{"Tokens", testTokens},
		{"PushPull", testPushPull},
		{"ReadScopes", testReadScopes},
		{"ExactlyOnce", testExactlyOnce},
		{"Refusals", testRefusals},
		{"FieldReasons", testFieldReasons},
		{"Clock", testClock},
		{"Requests", testRequests},
		{"Pages", testPages},
		{"BinaryPages", testBinaryPages},
		{"Dictionaries", testDictionaries},
		{"Versions", testVersions},
		{"V1Laptop", testV1Laptop},
		{"Files", testFiles},
		{"FilesNoOracle", testFilesNoOracle},
		{"FilesDamaged", testFilesDamaged},
		{"FilesQuota", testFilesQuota},
		{"FilesMaterials", testFilesMaterials},
		{"FilesRequests", testFilesRequests},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t)
			if _, ok := tg.(FilesTarget); !ok && strings.HasPrefix(tc.name, "Files") {
				t.Skip("this target does not carry files (no FilesTarget)")
			}
			tg.AddCouncil(t, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N"})
			tg.AddCouncil(t, domain.Council{Code: "OSH-ARA", Name: "Араван коомдук кеңеши", Oblast: "KG-O"})
			tc.fn(t, &suite{t: t, tg: tg, url: tg.ServerURL()})
		})
	}
}

type suite struct {
	t   *testing.T
	tg  Target
	url string
}

// laptop is an enrolled device speaking through the protocol client,
// with its own sequence and clock.
type laptop struct {
	s       *suite
	c       *syncclient.Client
	id      string
	name    string
	role    string
	council string
	mu      sync.Mutex
	seq     uint64
	clock   *hlc.Clock
	token   string
}

func (s *suite) client() *syncclient.Client {
	s.t.Helper()
	c, err := syncclient.New(s.url, syncclient.Options{Timeout: 30 * time.Second})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(c.Close)
	return c
}

// enroll enrolls a new laptop of role (and council, for a secretary)
// registered under name.
func (s *suite) enroll(role, council, name string) *laptop {
	s.t.Helper()
	l := &laptop{s: s, c: s.client(), id: domain.NewID(), role: role, council: council, clock: hlc.NewClock(0, time.Now)}
	er, err := l.c.Enroll(context.Background(), syncproto.EnrollRequest{Code: s.tg.Code(s.t, Issue{Council: council, Role: role, Name: name}),
		DeviceID: l.id, DeviceName: "ноутбук " + name})
	if err != nil {
		s.t.Fatalf("enroll %s: %v", name, err)
	}
	l.name, l.token = er.Name, er.Token
	return l
}

// op makes the laptop's next operation (not sent).
func (l *laptop) op(kind, record, council string, action changeset.Action, fields map[string]any) syncproto.WireOp {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	o := &changeset.Op{Device: l.id, Seq: l.seq, HLC: l.clock.Now(), Kind: kind, Record: record, Council: council,
		Action: action, Author: "claimed by " + l.name, Fields: map[string]changeset.Change{}}
	for k, v := range fields {
		b, _ := json.Marshal(v)
		o.Fields[k] = changeset.Change{Value: b}
	}
	return syncproto.ToWire(o)
}

// appeal makes a new appeal of council with a summary.
func (l *laptop) appeal(council, summary string) syncproto.WireOp {
	return l.op(domain.KindAppeal, domain.NewID(), council, changeset.ActionCreate,
		map[string]any{"council": council, "summary": summary, "status": "received"})
}

func (l *laptop) sync(req *syncproto.SyncRequest) (*syncproto.SyncResponse, error) {
	req.Device = l.id
	resp, err := l.c.Sync(context.Background(), req)
	if err == nil && resp.Page != nil {
		// A binary page (capability 8): the tests read its operations
		// as a JSON page's.
		resp.Ops = make([]syncproto.WireOp, len(resp.Page))
		for i, o := range resp.Page {
			resp.Ops[i] = syncproto.ToWire(o)
		}
	}
	return resp, err
}

// push sends ops (no pull) and fails the test unless the server answers.
func (l *laptop) push(ops ...syncproto.WireOp) *syncproto.SyncResponse {
	l.s.t.Helper()
	resp, err := l.sync(&syncproto.SyncRequest{Ops: ops})
	if err != nil {
		l.s.t.Fatalf("%s: push: %v", l.name, err)
	}
	return resp
}

// pullAll pulls from cursor 0 to the end, in pages of maxPull bytes.
func (l *laptop) pullAll(maxPull int) ([]syncproto.WireOp, []*syncproto.SyncResponse) {
	l.s.t.Helper()
	var ops []syncproto.WireOp
	var pages []*syncproto.SyncResponse
	cursor := uint64(0)
	for range 10_000 {
		resp, err := l.sync(&syncproto.SyncRequest{Cursor: cursor, Pull: true, MaxPull: maxPull})
		if err != nil {
			l.s.t.Fatalf("%s: pull: %v", l.name, err)
		}
		if resp.Cursor < cursor {
			l.s.t.Fatalf("%s: the cursor went back from %d to %d", l.name, cursor, resp.Cursor)
		}
		ops = append(ops, resp.Ops...)
		pages = append(pages, resp)
		cursor = resp.Cursor
		if !resp.More {
			return ops, pages
		}
	}
	l.s.t.Fatalf("%s: the pull does not end", l.name)
	return nil, nil
}

// records are the ids of the operations' records of kind.
func records(ops []syncproto.WireOp, kind string) []string {
	var out []string
	for _, o := range ops {
		if o.Kind == kind {
			out = append(out, o.Record)
		}
	}
	return out
}

// wantCode fails unless err is the server's answer with code.
func wantCode(t *testing.T, what string, err error, code syncproto.Code) *syncproto.Error {
	t.Helper()
	var e *syncproto.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
	if e.Message == "" {
		t.Errorf("%s: a refusal without a message", what)
	}
	if !errors.Is(err, code.Err()) {
		t.Errorf("%s: errors.Is(%v) is false", what, code.Err())
	}
	return e
}

// post sends a raw request and returns the status and body.
func (s *suite) post(path, contentType, token string, body []byte, header map[string]string) (int, http.Header, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

// errorBody decodes an error answer and checks its status is its code's.
func (s *suite) errorBody(status int, body []byte) syncproto.ErrorBody {
	s.t.Helper()
	var eb syncproto.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil || eb.Code == "" || eb.Message == "" {
		s.t.Fatalf("an error answer (%d) is not an error body: %q", status, body)
	}
	if !eb.Code.Known() || status != eb.Code.Status() {
		s.t.Errorf("code %s answered with status %d, want %d", eb.Code, status, eb.Code.Status())
	}
	return eb
}

func (s *suite) frame(v any, dict uint32) []byte {
	s.t.Helper()
	c, err := syncproto.DefaultCodec()
	if err != nil {
		s.t.Fatal(err)
	}
	f, err := c.EncodeJSON(v, dict)
	if err != nil {
		s.t.Fatal(err)
	}
	return f
}

// The health probe needs no token and says what the server speaks.
func testHealth(t *testing.T, s *suite) {
	h, err := s.client().Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h.Proto != syncproto.Proto || h.MinProto != syncproto.MinProto || h.Cap != syncproto.CurrentCapability || h.ServerID == "" || !slices.Contains(h.Dicts, 1) {
		t.Errorf("health: %+v", h)
	}
}

// A code enrolls one laptop, once, with the role, council and name the
// administrator gave it; the answer says what the server speaks.
func testEnroll(t *testing.T, s *suite) {
	c := s.client()
	id := domain.NewID()
	code := s.tg.Code(t, Issue{Council: "NRN-ATB", Role: domain.RoleSecretary, Name: "Ат-Башы катчысы"})
	er, err := c.Enroll(context.Background(), syncproto.EnrollRequest{Code: strings.ToLower(code), DeviceID: id, DeviceName: "Ат-Башы ноутбугу"})
	if err != nil {
		t.Fatalf("enroll with the code in lower case: %v", err)
	}
	if er.Token == "" || er.ServerID == "" || er.Role != domain.RoleSecretary || er.Council != "NRN-ATB" || er.Name != "Ат-Башы катчысы" ||
		er.Proto != syncproto.Proto || er.MinProto != syncproto.MinProto || er.Cap != syncproto.CurrentCapability || !slices.Contains(er.Dicts, 1) {
		t.Errorf("enrolled: %+v", er)
	}
	// The token works.
	if _, err := c.Sync(context.Background(), &syncproto.SyncRequest{Device: id}); err != nil {
		t.Fatalf("sync with the new token: %v", err)
	}
	// The code is used.
	_, err = s.client().Enroll(context.Background(), syncproto.EnrollRequest{Code: code, DeviceID: domain.NewID(), DeviceName: "another"})
	wantCode(t, "a used code", err, syncproto.CodeBadCode)
	// Central staff: no council.
	central := s.enroll(domain.RoleCentral, "", "Бишкек борбору")
	if central.name != "Бишкек борбору" {
		t.Errorf("central registered as %q", central.name)
	}
}

// What no code enrolls, each with its code.
func testEnrollRefusals(t *testing.T, s *suite) {
	ctx := context.Background()
	sec := Issue{Council: "NRN-ATB", Role: domain.RoleSecretary, Name: "Ат-Башы"}
	_, err := s.client().Enroll(ctx, syncproto.EnrollRequest{Code: "AAAA-BBBB-CCCC-DDDD", DeviceID: domain.NewID()})
	wantCode(t, "an unknown code", err, syncproto.CodeBadCode)
	_, err = s.client().Enroll(ctx, syncproto.EnrollRequest{Code: "", DeviceID: domain.NewID()})
	wantCode(t, "no code", err, syncproto.CodeBadCode)
	_, err = s.client().Enroll(ctx, syncproto.EnrollRequest{Code: s.tg.Code(t, sec), DeviceID: "not-a-uuid"})
	wantCode(t, "a device id that is not a UUID", err, syncproto.CodeInvalid)
	_, err = s.client().Enroll(ctx, syncproto.EnrollRequest{Code: s.tg.Code(t, sec), DeviceID: domain.NewID(), DeviceName: strings.Repeat("ы", 201)})
	wantCode(t, "a device name of 201 letters", err, syncproto.CodeInvalid)
	// An enrolled laptop's id takes no general code; a code made for it
	// enrolls it again, under its registered name, and its old token stops.
	l := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы катчысы")
	_, err = s.client().Enroll(ctx, syncproto.EnrollRequest{Code: s.tg.Code(t, sec), DeviceID: l.id})
	wantCode(t, "another laptop's id", err, syncproto.CodeForbidden)
	c := s.client()
	er, err := c.Enroll(ctx, syncproto.EnrollRequest{Code: s.tg.Code(t, Issue{Device: l.id}), DeviceID: l.id, DeviceName: "reinstalled"})
	if err != nil || er.Name != "Ат-Башы катчысы" || er.Council != "NRN-ATB" || er.Role != domain.RoleSecretary {
		t.Fatalf("enrolled again with a code for it: %v %+v", err, er)
	}
	_, err = l.sync(&syncproto.SyncRequest{})
	wantCode(t, "the token from before", err, syncproto.CodeUnauthorized)
	// A code made for one laptop enrolls no other.
	_, err = s.client().Enroll(ctx, syncproto.EnrollRequest{Code: s.tg.Code(t, Issue{Device: l.id}), DeviceID: domain.NewID()})
	wantCode(t, "a code for another laptop", err, syncproto.CodeBadCode)
	// Nor is a revoked laptop enrolled again, even with a code made for
	// it before.
	code := s.tg.Code(t, Issue{Device: l.id})
	s.tg.Revoke(t, l.id)
	_, err = s.client().Enroll(ctx, syncproto.EnrollRequest{Code: code, DeviceID: l.id})
	wantCode(t, "a revoked laptop", err, syncproto.CodeRevoked)
	// Enrollment is a POST of JSON.
	status, _, body := s.post(syncproto.PathEnroll, "application/json", "", []byte("{not json"), nil)
	if eb := s.errorBody(status, body); eb.Code != syncproto.CodeInvalid {
		t.Errorf("bad JSON: %+v", eb)
	}
	resp, err := http.Get(s.url + syncproto.PathEnroll)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET enroll: %d", resp.StatusCode)
	}
}

// Every sync is authenticated; a revoked laptop is told so at once.
func testTokens(t *testing.T, s *suite) {
	l := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	frame := s.frame(syncproto.SyncRequest{Proto: syncproto.Proto, Device: l.id}, 1)
	for _, token := range []string{"", "not-a-token"} {
		status, _, body := s.post(syncproto.PathSync, syncproto.ContentType, token, frame, nil)
		if eb := s.errorBody(status, body); eb.Code != syncproto.CodeUnauthorized {
			t.Errorf("token %q: %+v", token, eb)
		}
	}
	l.push(l.appeal("NRN-ATB", "Жер тууралуу"))
	s.tg.Revoke(t, l.id)
	_, err := l.sync(&syncproto.SyncRequest{Pull: true})
	e := wantCode(t, "a revoked laptop", err, syncproto.CodeRevoked)
	if e.Temporary() {
		t.Error("a revocation is not temporary")
	}
	// Another token for the same request body is the other laptop's.
	other := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы 2")
	status, _, body := s.post(syncproto.PathSync, syncproto.ContentType, other.token, frame, nil)
	if eb := s.errorBody(status, body); eb.Code != syncproto.CodeForbidden {
		t.Errorf("a request for another device: %+v", eb)
	}
}

// A change set is acknowledged; other devices that may read it pull it,
// as it was sent, authored by the sender's registered name; the sender
// does not get its own back.
func testPushPull(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы катчысы")
	b := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы төрагасы")
	ops := []syncproto.WireOp{a.appeal("NRN-ATB", "Милиция арызды каттоодон баш тартты <&> \"ң ө ү\"")}
	ops = append(ops, a.op(domain.KindAppeal, ops[0].Record, "NRN-ATB", changeset.ActionUpdate, map[string]any{"status": "under_review"}))
	resp := a.push(ops...)
	if resp.Acked != 2 || len(resp.Refused) != 0 || resp.Time == 0 {
		t.Fatalf("push: %+v", resp)
	}
	if d := time.Since(time.UnixMilli(resp.Time)); d < -time.Minute || d > time.Minute {
		t.Errorf("the server's time is %v off", d)
	}
	got, _ := b.pullAll(0)
	var appeals []syncproto.WireOp
	for _, o := range got {
		if o.Kind == domain.KindAppeal {
			appeals = append(appeals, o)
		}
	}
	if len(appeals) != 2 {
		t.Fatalf("b pulled %d appeal operations, want 2", len(appeals))
	}
	for i, o := range appeals {
		want := ops[i]
		want.Author = "Ат-Башы катчысы" // the registered name, not what the laptop claimed
		if !reflect.DeepEqual(o, want) {
			t.Errorf("pulled\n%+v\nwant\n%+v", o, want)
		}
	}
	// The councils came too, from the server's own device.
	if c := records(got, domain.KindCouncil); !slices.Contains(c, "NRN-ATB") || !slices.Contains(c, "OSH-ARA") {
		t.Errorf("councils pulled: %v", c)
	}
	own, _ := a.pullAll(0)
	for _, o := range own {
		if o.Device == a.id {
			t.Errorf("a pulled its own operation %d", o.Seq)
		}
	}
	// Acknowledge only.
	if resp := a.push(); resp.Acked != 2 {
		t.Errorf("acknowledge only: %+v", resp)
	}
}

// Each device pulls what its role may read: a council's secretary its
// council's records and the councils, central staff everything, a
// trainer the councils only.
func testReadScopes(t *testing.T, s *suite) {
	atb := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	ara := s.enroll(domain.RoleSecretary, "OSH-ARA", "Араван")
	central := s.enroll(domain.RoleCentral, "", "Борбор")
	trainer := s.enroll(domain.RoleTrainer, "", "Тренер")
	a1 := atb.appeal("NRN-ATB", "Ат-Башыдан")
	atb.push(a1)
	o1 := ara.appeal("OSH-ARA", "Аравандан")
	ara.push(o1)
	for _, c := range []struct {
		l    *laptop
		want []string // a laptop never gets its own operations back
	}{
		{atb, nil},
		{ara, nil},
		{central, []string{a1.Record, o1.Record}},
		{trainer, nil},
	} {
		ops, _ := c.l.pullAll(0)
		if got := records(ops, domain.KindAppeal); !slices.Equal(got, c.want) {
			t.Errorf("%s pulled appeals %v, want %v", c.l.name, got, c.want)
		}
		if len(records(ops, domain.KindCouncil)) < 2 {
			t.Errorf("%s pulled no councils", c.l.name)
		}
	}
	// Another laptop of a council gets the council's records, never
	// another council's.
	atb2 := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы 2")
	ops, _ := atb2.pullAll(0)
	if got := records(ops, domain.KindAppeal); !slices.Equal(got, []string{a1.Record}) {
		t.Errorf("a second Ат-Башы laptop pulled %v, want its council's %v only", got, a1.Record)
	}
}

// (device, seq) names an operation everywhere: a change set sent again
// changes nothing, one that skips numbers is refused with the
// acknowledgement to resend from, and other content under a held number
// is a restored laptop's.
func testExactlyOnce(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	reader := s.enroll(domain.RoleCentral, "", "Борбор")
	ops := []syncproto.WireOp{a.appeal("NRN-ATB", "бир"), a.appeal("NRN-ATB", "эки")}
	a.push(ops...)
	if resp := a.push(ops...); resp.Acked != 2 || len(resp.Refused) != 0 {
		t.Fatalf("the same change set again: %+v", resp)
	}
	// Overlapping: the held one skipped, the new one applied.
	third := a.appeal("NRN-ATB", "үч")
	if resp := a.push(ops[1], third); resp.Acked != 3 {
		t.Fatalf("an overlapping change set: %+v", resp)
	}
	pulled, _ := reader.pullAll(0)
	if got := records(pulled, domain.KindAppeal); len(got) != 3 {
		t.Fatalf("the reader holds %d appeal operations, want 3 (each once): %v", len(got), got)
	}
	// A gap.
	a.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, nil) // 4, never sent
	fifth := a.appeal("NRN-ATB", "беш")
	_, err := a.sync(&syncproto.SyncRequest{Ops: []syncproto.WireOp{fifth}})
	if e := wantCode(t, "a change set after a gap", err, syncproto.CodeGap); e.Acked != 3 {
		t.Errorf("the gap says acked %d, want 3", e.Acked)
	}
	// Other content under a held number.
	other := ops[0]
	other.Record = domain.NewID()
	_, err = a.sync(&syncproto.SyncRequest{Ops: []syncproto.WireOp{other}})
	wantCode(t, "another operation as seq 1", err, syncproto.CodeConflictSeq)
	// Numbers in order, from 1.
	zero := ops[0]
	zero.Seq = 0
	_, err = a.sync(&syncproto.SyncRequest{Ops: []syncproto.WireOp{zero}})
	wantCode(t, "seq 0", err, syncproto.CodeInvalid)
	_, err = a.sync(&syncproto.SyncRequest{Ops: []syncproto.WireOp{ops[1], ops[0]}})
	wantCode(t, "out of order", err, syncproto.CodeInvalid)
	// Signed by another device.
	forged := ops[0]
	forged.Device = reader.id
	_, err = a.sync(&syncproto.SyncRequest{Ops: []syncproto.WireOp{forged}})
	wantCode(t, "another device's operation", err, syncproto.CodeForbidden)
	if resp := a.push(); resp.Acked != 3 {
		t.Errorf("after the refusals the server holds %d, want 3", resp.Acked)
	}
}

// An operation the device may not make is refused, acknowledged all the
// same (never resent), and refused again, the same, when resent; the rest
// of its change set is judged.
func testRefusals(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	central := s.enroll(domain.RoleCentral, "", "Борбор")
	ops := []syncproto.WireOp{
		a.appeal("OSH-ARA", "another council's"),
		a.appeal("NRN-ATB", "ours"),
		a.op(domain.KindCouncil, "NRN-ATB", "NRN-ATB", changeset.ActionUpdate, map[string]any{"name": "renamed"}),
		a.op(domain.KindAppeal, domain.NewID(), "NRN:ATB", changeset.ActionCreate, map[string]any{"council": "NRN:ATB"}),
	}
	resp := a.push(ops...)
	if resp.Acked != 4 {
		t.Fatalf("acked %d, want 4: refused operations are acknowledged", resp.Acked)
	}
	want := map[uint64]syncproto.Code{1: syncproto.CodeWrongCouncil, 3: syncproto.CodeForbidden, 4: syncproto.CodeInvalid}
	got := map[uint64]syncproto.Refusal{}
	for _, r := range resp.Refused {
		got[r.Seq] = r
	}
	if len(got) != len(want) {
		t.Fatalf("refused %+v, want seqs %v", resp.Refused, want)
	}
	for seq, code := range want {
		if got[seq].Code != code || got[seq].Message == "" {
			t.Errorf("seq %d refused %+v, want %s", seq, got[seq], code)
		}
	}
	again := a.push(ops...)
	if again.Acked != 4 || len(again.Refused) != 3 {
		t.Fatalf("resent: %+v", again)
	}
	for _, r := range again.Refused {
		if r.Code != got[r.Seq].Code || r.Message != got[r.Seq].Message {
			t.Errorf("seq %d refused again as %+v, first as %+v", r.Seq, r, got[r.Seq])
		}
	}
	pulled, _ := central.pullAll(0)
	if ids := records(pulled, domain.KindAppeal); !slices.Equal(ids, []string{ops[1].Record}) {
		t.Errorf("central pulled %v, want only the accepted appeal %s", ids, ops[1].Record)
	}
	// Central staff write only the review fields, of records that exist.
	r := central.op(domain.KindAppeal, ops[1].Record, "NRN-ATB", changeset.ActionUpdate, map[string]any{"published": true, "published_on": "2026-12-03"})
	w := central.op(domain.KindAppeal, ops[1].Record, "NRN-ATB", changeset.ActionUpdate, map[string]any{"summary": "changed by the centre"})
	resp = central.push(r, w)
	if resp.Acked != 2 || len(resp.Refused) != 1 || resp.Refused[0].Seq != 2 || resp.Refused[0].Code != syncproto.CodeForbidden {
		t.Errorf("central's review and edit: %+v", resp)
	}
}

// A refusal about fields of a record names them, with a field error code
// the laptop translates.
func testFieldReasons(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	id := domain.NewID()
	resp := a.push(
		a.op(domain.KindAppeal, id, "NRN-ATB", changeset.ActionCreate, map[string]any{"council": "NRN-ATB", "summary": "x", "published": true}),
		a.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, map[string]any{"council": "OSH-ARA", "summary": "x"}),
		a.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, map[string]any{"summary": "x"}),
	)
	want := map[uint64]syncproto.FieldReason{
		1: {Field: "published", Code: domain.CodeForbidden},
		2: {Field: "council", Code: domain.CodeMismatch},
		3: {Field: "council", Code: domain.CodeRequired},
	}
	if len(resp.Refused) != len(want) {
		t.Fatalf("refused %+v", resp.Refused)
	}
	for _, r := range resp.Refused {
		w := want[r.Seq]
		if len(r.Fields) != 1 || r.Fields[0].Field != w.Field || r.Fields[0].Code != w.Code {
			t.Errorf("seq %d (%s): fields %+v, want %+v", r.Seq, r.Code, r.Fields, w)
		}
	}
	// On the laptop, the refusal reads as the domain's validation error.
	e := syncproto.FromBody(syncproto.ErrorBody{Code: resp.Refused[0].Code, Message: resp.Refused[0].Message, Fields: resp.Refused[0].Fields})
	var ve *domain.ValidationError
	if !errors.As(e, &ve) || ve.Fields[0].Field != "published" {
		t.Errorf("the laptop reads %v", e)
	}
}

// A push stops at the first operation whose clock is impossible: what
// came before it is kept and acknowledged (in the error), nothing after
// it is judged, and the laptop can send it again once its clock is right.
func testClock(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	reader := s.enroll(domain.RoleCentral, "", "Борбор")
	good := a.appeal("NRN-ATB", "бүгүн")
	ahead := a.appeal("NRN-ATB", "эртең")
	ahead.HLC = uint64(hlc.New(time.Now().Add(48*time.Hour).UnixMilli(), 0))
	after := a.appeal("NRN-ATB", "кийин")
	after.HLC = ahead.HLC + 1
	_, err := a.sync(&syncproto.SyncRequest{Ops: []syncproto.WireOp{good, ahead, after}})
	e := wantCode(t, "an operation two days ahead", err, syncproto.CodeClock)
	if e.Acked != 1 || !e.Temporary() {
		t.Errorf("clock refusal: acked %d, temporary %v; want 1, true", e.Acked, e.Temporary())
	}
	// Restamped (as a laptop whose clock was set right does), it goes.
	ahead.HLC, after.HLC = uint64(a.clock.Now()), uint64(a.clock.Now())
	if resp := a.push(ahead, after); resp.Acked != 3 || len(resp.Refused) != 0 {
		t.Fatalf("restamped: %+v", resp)
	}
	// Before Kenesh existed (a flat battery), and going back.
	old := a.appeal("NRN-ATB", "2001")
	old.HLC = uint64(hlc.New(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 0))
	_, err = a.sync(&syncproto.SyncRequest{Ops: []syncproto.WireOp{old}})
	if e := wantCode(t, "an operation of 2001", err, syncproto.CodeClock); e.Acked != 3 {
		t.Errorf("acked %d", e.Acked)
	}
	old.HLC = after.HLC
	_, err = a.sync(&syncproto.SyncRequest{Ops: []syncproto.WireOp{old}})
	wantCode(t, "an operation dated as the one before it", err, syncproto.CodeClock)
	// An edit dated before its record's creation.
	b := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы 2")
	edit := b.op(domain.KindAppeal, good.Record, "NRN-ATB", changeset.ActionUpdate, map[string]any{"status": "under_review"})
	edit.HLC = uint64(hlc.New(hlc.Timestamp(good.HLC).Millis()-1000, 0))
	_, err = b.sync(&syncproto.SyncRequest{Ops: []syncproto.WireOp{edit}})
	wantCode(t, "an edit before the record's creation", err, syncproto.CodeClock)
	pulled, _ := reader.pullAll(0)
	if got := records(pulled, domain.KindAppeal); len(got) != 3 {
		t.Errorf("the server holds %d appeal operations, want 3: %v", len(got), got)
	}
}

// What is not a well-formed sync request is refused with a code, and
// nothing of it is applied.
func testRequests(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	good := s.frame(syncproto.SyncRequest{Proto: syncproto.Proto, Device: a.id, Ops: []syncproto.WireOp{a.appeal("NRN-ATB", "x")}}, 1)
	damaged := append([]byte(nil), good...)
	damaged[len(damaged)-3] ^= 0x5a
	tooMany := make([]syncproto.WireOp, syncproto.MaxPushOps+1)
	for i := range tooMany {
		tooMany[i] = syncproto.WireOp{Device: a.id, Seq: uint64(i + 2), HLC: 1, Kind: "appeal", Record: "r", Action: "update"}
	}
	cases := []struct {
		name        string
		contentType string
		body        []byte
		want        syncproto.Code
	}{
		{"cut off", syncproto.ContentType, good[:len(good)/2], syncproto.CodeFrame},
		{"damaged", syncproto.ContentType, damaged, syncproto.CodeFrame},
		{"not a frame", syncproto.ContentType, []byte(`{"proto":1}`), syncproto.CodeFrame},
		{"a frame of something else", syncproto.ContentType, s.frame([]int{1, 2, 3}, 0), syncproto.CodeFrame},
		{"another content type", "application/json", good, syncproto.CodeInvalid},
		{"too many operations", syncproto.ContentType, s.frame(syncproto.SyncRequest{Proto: syncproto.Proto, Device: a.id, Ops: tooMany}, 1), syncproto.CodeTooLarge},
		{"over the frame limit", syncproto.ContentType, make([]byte, syncproto.MaxFrameBytes+1), syncproto.CodeTooLarge},
	}
	for _, c := range cases {
		status, _, body := s.post(syncproto.PathSync, c.contentType, a.token, c.body, nil)
		if eb := s.errorBody(status, body); eb.Code != c.want {
			t.Errorf("%s: %+v, want %s", c.name, eb, c.want)
		}
	}
	if resp := a.push(); resp.Acked != 0 {
		t.Fatalf("something was applied: acked %d", resp.Acked)
	}
	status, _, body := s.post(syncproto.PathSync, syncproto.ContentType, a.token, good, map[string]string{syncproto.HeaderDicts: "1"})
	if status != http.StatusOK {
		t.Fatalf("the good frame after all that: %d %s", status, body)
	}
	resp, err := http.Get(s.url + syncproto.PathSync)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || s.errorBody(http.StatusBadRequest, b).Code != syncproto.CodeInvalid {
		t.Errorf("GET sync: %d %s", resp.StatusCode, b)
	}
	status, _, body = s.post("/v1/nothing", "application/json", "", nil, nil)
	if status != http.StatusNotFound {
		t.Errorf("an unknown endpoint: %d %s", status, body)
	}
}

// A pull in small pages gets every operation once, in server order, with
// a cursor that only grows, More until the end, and the head.
func testPages(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	var ops []syncproto.WireOp
	for i := range 60 {
		ops = append(ops, a.appeal("NRN-ATB", fmt.Sprintf("арыз %d: %s", i, strings.Repeat("ж", 200))))
	}
	a.push(ops...)
	b := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы 2")
	pulled, pages := b.pullAll(4 << 10)
	if len(pages) < 3 {
		t.Fatalf("%d pages of at most 4 KiB for %d operations", len(pages), len(ops))
	}
	got := records(pulled, domain.KindAppeal)
	var want []string
	for _, o := range ops {
		want = append(want, o.Record)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pulled %d appeals, want the %d pushed, in order", len(got), len(want))
	}
	last := pages[len(pages)-1]
	if last.More || last.Head == 0 || last.Cursor != last.Head {
		t.Errorf("the last page: more %v, cursor %d, head %d", last.More, last.Cursor, last.Head)
	}
	for i, p := range pages[:len(pages)-1] {
		if !p.More || len(p.Ops) == 0 {
			t.Errorf("page %d: %d operations, more %v", i, len(p.Ops), p.More)
		}
		size := 0
		for _, o := range p.Ops {
			op, _ := syncproto.FromWire(o)
			size += syncproto.WireSize(op)
		}
		if len(p.Ops) > 1 && size > 4<<10 {
			t.Errorf("page %d: %d bytes of operations, asked for 4 KiB", i, size)
		}
	}
	// From the end, nothing; from a cursor past it (a server restored
	// from a backup), back to the head.
	resp, err := b.sync(&syncproto.SyncRequest{Cursor: last.Cursor, Pull: true})
	if err != nil || len(resp.Ops) != 0 || resp.More || resp.Cursor != last.Cursor {
		t.Errorf("from the end: %v %+v", err, resp)
	}
	resp, err = b.sync(&syncproto.SyncRequest{Cursor: last.Head + 1000, Pull: true})
	if err != nil || resp.Cursor != last.Head {
		t.Errorf("from past the end: %v %+v", err, resp)
	}
}

// A laptop of capability 8 gets its page in a binary body, one of
// capability 7 (or none) in JSON: the same operations, in the same order,
// with the same cursor.
func testBinaryPages(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	var ops []syncproto.WireOp
	for i := range 30 {
		ops = append(ops, a.appeal("NRN-ATB", fmt.Sprintf("арыз %d: %s", i, strings.Repeat("ж", 20))))
	}
	ops = append(ops, a.op(domain.KindAppeal, ops[0].Record, "NRN-ATB", changeset.ActionUpdate, map[string]any{"status": "under_review"}))
	a.push(ops...)
	b := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы 2")
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	answers := map[syncproto.CapabilityVersion]*syncproto.SyncResponse{}
	for _, c := range []syncproto.CapabilityVersion{0, syncproto.CapBinary, syncproto.CapBinaryPage} {
		status, _, body := s.post(syncproto.PathSync, syncproto.ContentType, b.token,
			s.frame(syncproto.SyncRequest{Proto: syncproto.Proto, Device: b.id, Pull: true, Cap: c}, 1), map[string]string{syncproto.HeaderDicts: "1"})
		if status != http.StatusOK {
			t.Fatalf("capability %d: %d %s", c, status, body)
		}
		raw, err := codec.Decode(body)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := syncproto.IsBinaryResponse(raw), c >= syncproto.CapBinaryPage; got != want {
			t.Fatalf("capability %d: binary answer %v, want %v", c, got, want)
		}
		resp, err := syncproto.DecodeSyncResponse(raw)
		if err != nil {
			t.Fatalf("capability %d: %v", c, err)
		}
		for _, o := range resp.Page {
			resp.Ops = append(resp.Ops, syncproto.ToWire(o))
		}
		answers[c] = resp
	}
	want := answers[0]
	if len(want.Ops) < len(ops) || want.More { // with the councils' records
		t.Fatalf("a JSON page of %d operations (more %v), pushed %d", len(want.Ops), want.More, len(ops))
	}
	for c, resp := range answers {
		if resp.Cursor != want.Cursor || resp.Head != want.Head || len(resp.Ops) != len(want.Ops) {
			t.Fatalf("capability %d: cursor %d, head %d, %d operations; JSON: %d, %d, %d", c, resp.Cursor, resp.Head, len(resp.Ops), want.Cursor, want.Head, len(want.Ops))
		}
		for i := range resp.Ops {
			g, _ := json.Marshal(resp.Ops[i])
			w, _ := json.Marshal(want.Ops[i])
			if string(g) != string(w) {
				t.Fatalf("capability %d, operation %d: %s, JSON's %s", c, i, g, w)
			}
		}
	}
}

// Replies are compressed with the best dictionary the laptop says it has.
func testDictionaries(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	req := s.frame(syncproto.SyncRequest{Proto: syncproto.Proto, Device: a.id, Pull: true}, 0)
	for header, want := range map[string]uint32{"1": 1, "0,1,77": 1, "": 0, "0": 0, "77": 0} {
		status, h, body := s.post(syncproto.PathSync, syncproto.ContentType, a.token, req, map[string]string{syncproto.HeaderDicts: header})
		if status != http.StatusOK || h.Get("Content-Type") != syncproto.ContentType || len(body) < 16 {
			t.Fatalf("dicts %q: %d %q", header, status, body)
		}
		if got := uint32(body[4])<<24 | uint32(body[5])<<16 | uint32(body[6])<<8 | uint32(body[7]); got != want {
			t.Errorf("the laptop has %q: the reply uses dictionary %d, want %d", header, got, want)
		}
	}
}

// A laptop below the server's minimum protocol version is told to update,
// one above it that the server is older; both with what the server speaks.
func testVersions(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	for _, v := range []int{syncproto.MinProto - 1, syncproto.Proto + 1} {
		status, _, body := s.post(syncproto.PathSync, syncproto.ContentType, a.token,
			s.frame(syncproto.SyncRequest{Proto: v, Device: a.id}, 1), nil)
		eb := s.errorBody(status, body)
		if eb.Code != syncproto.CodeProtocol || eb.MinProto != syncproto.MinProto || eb.Proto != syncproto.Proto {
			t.Errorf("a sync of protocol %d: %+v", v, eb)
		}
		b, _ := json.Marshal(syncproto.EnrollRequest{Proto: v, Code: s.tg.Code(t, Issue{Council: "NRN-ATB", Role: domain.RoleSecretary, Name: "x"}), DeviceID: domain.NewID()})
		status, _, body = s.post(syncproto.PathEnroll, "application/json", "", b, nil)
		eb = s.errorBody(status, body)
		if eb.Code != syncproto.CodeProtocol || eb.MinProto != syncproto.MinProto || eb.Proto != syncproto.Proto {
			t.Errorf("an enrollment of protocol %d: %+v", v, eb)
		}
		// The laptop's words for it.
		if err := syncproto.FromBody(eb); !errors.Is(err, syncproto.ErrProtocol) {
			t.Errorf("protocol %d: %v", v, err)
		}
	}
}
