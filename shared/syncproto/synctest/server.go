package synctest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/policy"
	"github.com/kenesh/kenesh/shared/refdata"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// The server's rules that the fake keeps as the real server does (they
// are not the protocol's constants; the conformance suite holds the fake
// to them).
const (
	// maxAhead is how far ahead of the server's clock an operation may be
	// dated (syncserver/internal/ingest.MaxAhead).
	maxAhead = 12 * time.Hour
	// maxName bounds a device's name at enrollment.
	maxName = 200
	// defaultMaxPull is a page's size when the laptop asks for none.
	defaultMaxPull = 256 << 10
	// serverAuthor is the author of the server's own operations.
	serverAuthor = "server"
)

// bishkek is the programme's time zone, whose day a material is dated by.
var bishkek = time.FixedZone("Asia/Bishkek", 6*60*60)

// epoch is before any operation Kenesh made (syncserver/internal/ingest.Epoch).
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Options tune a fake server.
type Options struct {
	// Rate is the sync requests per second allowed per device (0: no
	// limit), with bursts of Burst, as kenesh-syncserver serve --rate.
	Rate  float64
	Burst int
	// Now is the server's clock (default time.Now).
	Now func() time.Time
	// Codec compresses replies (default syncproto.DefaultCodec).
	Codec *syncproto.Codec
	// Busy, if set, is asked at each authenticated sync: true answers it
	// busy (503, unavailable, Retry-After: 1), taking nothing, as the
	// real server does past its bound on the bytes of requests at once.
	Busy func() bool
	// TooLarge, if set, is asked with the number of operations a sync
	// pushes: true refuses it whole as too large (413, too_large), taking
	// nothing, as the real server does a request of more than one
	// operation that would hold more of its memory than its bound
	// (request-memory) lets all requests hold at once.
	TooLarge func(ops int) bool
}

// Server is an in-process fake of the sync server: the protocol of
// package syncproto over real HTTP on 127.0.0.1, with everything in
// memory: enrollment codes and tokens, revocation, judging each operation
// by the shared policy, the clock rules, exactly-once by (device, seq),
// pull pages by read scope, frames with the dictionaries both sides have.
// It passes the conformance suite (Run) as the real server does, so tests
// of the laptop need not build or run the server. It does not persist,
// and keeps no conflicts or metrics: the laptop never asks for them.
//
// A Server is safe for concurrent use. Stop and Start take it off the
// network and back on the same address, keeping what it holds: a server
// that went away and came back.
type Server struct {
	// URL is the server's address, http://127.0.0.1:PORT.
	URL string

	t     testing.TB
	codec *syncproto.Codec
	now   func() time.Time
	cat   *refdata.Catalog
	o     Options
	addr  string

	srvMu sync.Mutex
	hs    *http.Server
	done  chan struct{}

	mu        sync.Mutex
	id        string // the server's id, also its own device's
	clock     *hlc.Clock
	serverSeq uint64
	codes     map[string]*code   // normalized code -> code
	tokens    map[string]*device // token -> device
	devices   map[string]*device
	authored  map[string]bool // devices whose operations the log holds
	log       []entry         // accepted operations; log[i] has server seq i+1
	states    map[string]*changeset.State
	limiters  map[string]*rate.Limiter
	// Files: chunks as they came, which owner (a council, or
	// policy.GlobalOwner) sent which, what each owner uses, the quota.
	chunks map[policy.Chunk]stored
	owned  map[string]map[policy.Chunk]int64
	usage  map[string]int64
	quota  int64
}

type code struct {
	Issue
	used bool
}

type device struct {
	id, name, deviceName, council, role string
	revoked                             bool
	cap                                 syncproto.CapabilityVersion
	acked                               uint64
	judged                              map[uint64]judged
}

// judged is what the server keeps of each operation of a device it has
// judged: enough to know a resend from another operation under the same
// number, and to repeat a refusal.
type judged struct {
	hlc          uint64
	kind, record string
	refusal      *syncproto.Refusal
}

type entry struct {
	op      *changeset.Op
	council string // the record's council, which decides who reads it
	global  bool
}

// NewServer starts a fake server on a loopback port; it stops when the
// test ends.
func NewServer(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Codec == nil {
		c, err := syncproto.DefaultCodec()
		if err != nil {
			t.Fatal(err)
		}
		o.Codec = c
	}
	cat, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, codec: o.Codec, now: o.Now, cat: cat, o: o, id: domain.NewID(),
		codes: map[string]*code{}, tokens: map[string]*device{}, devices: map[string]*device{}, authored: map[string]bool{},
		states: map[string]*changeset.State{}, limiters: map[string]*rate.Limiter{},
		chunks: map[policy.Chunk]stored{}, owned: map[string]map[policy.Chunk]int64{}, usage: map[string]int64{}}
	s.clock = hlc.NewClock(0, o.Now)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) serve(ln net.Listener) {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.done = make(chan struct{})
	go func(hs *http.Server, done chan struct{}) {
		defer close(done)
		hs.Serve(ln)
	}(s.hs, s.done)
}

// Stop takes the server off the network at once (connections are cut, as
// when a server's machine goes down); what it holds is kept.
func (s *Server) Stop() {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.hs == nil {
		return
	}
	s.hs.Close()
	<-s.done
	s.hs = nil
}

// Start puts a stopped server back on its address.
func (s *Server) Start() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ { // the port may take a moment to be free again
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("restart the fake server on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

// ServerURL is the server's address (Target).
func (s *Server) ServerURL() string { return s.URL }

// ID is the server's id, which enrollment gives laptops, and the id of
// its own device, which writes the councils.
func (s *Server) ID() string { return s.id }

// AddCouncil creates a council, or changes it, as an operation of the
// server's own device that every laptop pulls (Target).
func (s *Server) AddCouncil(t testing.TB, c domain.Council) {
	t.Helper()
	if err := s.addCouncil(c); err != nil {
		t.Fatal(err)
	}
}

func (s *Server) addCouncil(c domain.Council) error {
	if err := c.Validate(s.cat); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.states[domain.KindCouncil+":"+c.Code]
	action := changeset.ActionUpdate
	if cur == nil {
		action = changeset.ActionCreate
	}
	fields, err := (changeset.Schema{}).ToFields(c, "code")
	if err != nil {
		return err
	}
	if cur != nil {
		if cur.Deleted() {
			fields[changeset.DeletedField] = json.RawMessage("false")
		}
		_ = s.clock.Observe(cur.Updated)
	}
	changes := changeset.Diff(cur, fields, changeset.Names(c))
	if len(changes) == 0 {
		return nil
	}
	s.serverSeq++
	op := &changeset.Op{Device: s.id, Seq: s.serverSeq, HLC: s.clock.Now(), Kind: domain.KindCouncil, Record: c.Code,
		Council: c.Code, Action: action, Author: serverAuthor, Fields: changes}
	next := &changeset.State{}
	if cur != nil {
		next = cur.Clone()
	}
	if _, _, err := next.Apply(op); err != nil {
		return err
	}
	s.append(op, next)
	return nil
}

// Code issues a one-time enrollment code (Target).
func (s *Server) Code(t testing.TB, i Issue) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if i.Device != "" {
		d := s.devices[i.Device]
		switch {
		case d == nil:
			t.Fatalf("no enrolled device %s to issue a code for", i.Device)
		case d.revoked:
			t.Fatalf("device %s was revoked and cannot enroll again", i.Device)
		}
		if i.Role == "" {
			i.Role, i.Council = d.role, d.council
		}
		if i.Name == "" {
			i.Name = d.name
		}
	}
	switch cur := s.states[domain.KindCouncil+":"+i.Council]; {
	case !domain.ValidRole(i.Role), i.Name == "", i.Role == domain.RoleSecretary && i.Council == "":
		t.Fatalf("issue %+v: a role, a name, and a secretary's council", i)
	case i.Council != "" && (cur == nil || cur.Deleted()):
		t.Fatalf("issue %+v: council %s does not exist on this server", i, i.Council)
	}
	b := make([]byte, 8)
	rand.Read(b)
	c := strings.ToUpper(hex.EncodeToString(b))
	s.codes[c] = &code{Issue: i}
	return c[:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:]
}

// Revoke revokes a device: its token stops working at once (Target).
func (s *Server) Revoke(t testing.TB, id string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devices[id]
	if d == nil {
		t.Fatalf("revoke: no device %s", id)
	}
	d.revoked = true
}

// Capability is the capability version device id last sent (0: none, or
// a laptop from before capability 5).
func (s *Server) Capability(id string) syncproto.CapabilityVersion {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.devices[id]; d != nil {
		return d.cap
	}
	return 0
}

// Acked is the highest sequence number of device id the server holds.
func (s *Server) Acked(id string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.devices[id]; d != nil {
		return d.acked
	}
	return 0
}

// Ops returns the operations the server holds, in server order.
func (s *Server) Ops() []*changeset.Op {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*changeset.Op, len(s.log))
	for i, e := range s.log {
		out[i] = e.op
	}
	return out
}

// ServeHTTP serves the protocol.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case syncproto.PathHealth:
		writeJSON(w, http.StatusOK, syncproto.Health{Status: "ok", ServerID: s.id, Proto: syncproto.Proto, MinProto: syncproto.MinProto,
			Cap: syncproto.CurrentCapability, Dicts: s.dicts()})
	case syncproto.PathEnroll:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, syncproto.ErrorBody{Code: syncproto.CodeInvalid, Message: "use POST"})
			return
		}
		resp, err := s.enroll(r)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	case syncproto.PathSync:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, syncproto.ErrorBody{Code: syncproto.CodeInvalid, Message: "use POST"})
			return
		}
		out, err := s.sync(r)
		if err != nil {
			fail(w, err)
			return
		}
		w.Header().Set("Content-Type", syncproto.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		w.Write(out)
	default:
		if s.serveFiles(w, r) {
			return
		}
		writeJSON(w, http.StatusNotFound, syncproto.ErrorBody{Code: syncproto.CodeInvalid, Message: "no such endpoint: " + r.URL.Path})
	}
}

func (s *Server) dicts() []uint32 {
	ids := s.codec.Dicts()
	slices.Sort(ids)
	return ids
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := syncproto.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// fail answers err: a *syncproto.Error as it is, anything else as the
// server's fault.
func fail(w http.ResponseWriter, err error) {
	var e *syncproto.Error
	if !errors.As(err, &e) {
		e = &syncproto.Error{Code: syncproto.CodeInternal, Message: "the server had an internal error; it will be tried again"}
	}
	switch e.Code {
	case syncproto.CodeRateLimited:
		secs := max(1, int(e.RetryAfter.Seconds()+0.999))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	case syncproto.CodeUnavailable:
		secs := 2
		if e.RetryAfter > 0 {
			secs = int(e.RetryAfter.Seconds() + 0.999)
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	writeJSON(w, e.Code.Status(), e.Body())
}

func perr(code syncproto.Code, format string, a ...any) *syncproto.Error {
	return &syncproto.Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

func normalize(c string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(c) {
		switch r {
		case '-', ' ', '\t', '_', '.':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Server) enroll(r *http.Request) (*syncproto.EnrollResponse, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 64<<10))
	if err != nil {
		return nil, perr(syncproto.CodeTooLarge, "the enrollment request is over 64 KiB")
	}
	var req syncproto.EnrollRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, perr(syncproto.CodeInvalid, "the enrollment request is not valid JSON: %v", err)
	}
	if err := syncproto.CheckProto(req.Proto); err != nil {
		return nil, err
	}
	if !domain.ValidID(req.DeviceID) {
		return nil, perr(syncproto.CodeInvalid, "device_id %q is not a UUID", req.DeviceID)
	}
	name := strings.TrimSpace(req.DeviceName)
	if utf8.RuneCountInString(name) > maxName || !utf8.ValidString(name) {
		return nil, perr(syncproto.CodeInvalid, "device_name: at most %d characters of valid text", maxName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.DeviceID == s.id {
		return nil, perr(syncproto.CodeForbidden, "device id %s is reserved for the server's own changes: a laptop cannot have it", req.DeviceID)
	}
	if normalize(req.Code) == "" {
		return nil, perr(syncproto.CodeBadCode, "no enrollment code given")
	}
	c := s.codes[normalize(req.Code)]
	switch {
	case c == nil:
		return nil, perr(syncproto.CodeBadCode, "the enrollment code is unknown: check it, or ask the administrator for a new one")
	case c.used:
		return nil, perr(syncproto.CodeBadCode, "the enrollment code was already used: ask the administrator for a new one")
	case c.Device != "" && c.Device != req.DeviceID:
		return nil, perr(syncproto.CodeBadCode, "this enrollment code was issued for another laptop: ask the administrator for a code for this one")
	}
	d := s.devices[req.DeviceID]
	switch {
	case d != nil && d.revoked:
		return nil, perr(syncproto.CodeRevoked, "this laptop (%s) was revoked by the administrator and cannot enroll again; ask the administrator", d.name)
	case d != nil && c.Device != d.id:
		return nil, perr(syncproto.CodeForbidden, "a laptop with this id (%s) is already enrolled: to enroll it again, the administrator issues a code for it", d.id)
	case d == nil && s.authored[req.DeviceID]:
		return nil, perr(syncproto.CodeForbidden, "the server holds changes under this laptop's id (%s), but no enrolled laptop has it: ask the administrator", req.DeviceID)
	case d == nil:
		d = &device{id: req.DeviceID, judged: map[uint64]judged{}}
		s.devices[d.id] = d
	}
	for tok, td := range s.tokens { // a new token replaces the old one
		if td == d {
			delete(s.tokens, tok)
		}
	}
	d.name, d.council, d.role, d.deviceName, d.cap = c.Name, c.Council, c.Role, name, req.Cap
	c.used = true
	b := make([]byte, 32)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	s.tokens[tok] = d
	return &syncproto.EnrollResponse{Proto: syncproto.Proto, ServerID: s.id, Token: tok, Council: d.council, Role: d.role,
		Name: d.name, Dicts: s.dicts(), MinProto: syncproto.MinProto, Cap: syncproto.CurrentCapability}, nil
}

// authenticate returns the device of the request's token.
func (s *Server) authenticate(r *http.Request) (*device, error) {
	a := r.Header.Get("Authorization")
	if len(a) <= 7 || !strings.EqualFold(a[:7], "bearer ") {
		return nil, perr(syncproto.CodeUnauthorized, "no device token: enroll this laptop with a code from the administrator")
	}
	d := s.tokens[strings.TrimSpace(a[7:])]
	switch {
	case d == nil:
		return nil, perr(syncproto.CodeUnauthorized, "this laptop's token is not known to the server: enroll it again with a code the administrator makes for this laptop")
	case d.revoked:
		return nil, perr(syncproto.CodeRevoked, "this laptop (%s) was revoked by the administrator: it can no longer sync; ask the administrator", d.name)
	}
	return d, nil
}

// allow applies the per-device rate limit.
func (s *Server) allow(id string) (bool, time.Duration) {
	if s.o.Rate <= 0 {
		return true, 0
	}
	l := s.limiters[id]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.o.Rate), max(1, s.o.Burst))
		s.limiters[id] = l
	}
	now := s.now()
	res := l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// bestDict is the highest dictionary id listed in header that the codec
// knows (0: none).
func (s *Server) bestDict(header string) uint32 {
	var best uint32
	for _, part := range strings.Split(header, ",") {
		id, err := strconv.ParseUint(strings.TrimSpace(part), 10, 32)
		if err == nil && uint32(id) > best && s.codec.Has(uint32(id)) {
			best = uint32(id)
		}
	}
	return best
}

func (s *Server) sync(r *http.Request) ([]byte, error) {
	s.mu.Lock()
	dev, err := s.authenticate(r)
	if err == nil {
		if ok, wait := s.allow(dev.id); !ok {
			err = &syncproto.Error{Code: syncproto.CodeRateLimited, Message: "too many syncs from this laptop", RetryAfter: wait}
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if s.o.Busy != nil && s.o.Busy() {
		return nil, &syncproto.Error{Code: syncproto.CodeUnavailable, Message: "the server is busy with other laptops' changes; it will be tried again shortly", RetryAfter: time.Second}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != syncproto.ContentType {
		return nil, perr(syncproto.CodeInvalid, "Content-Type %q: a sync body is %s", ct, syncproto.ContentType)
	}
	frame, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, syncproto.MaxFrameBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, perr(syncproto.CodeTooLarge, "the request body is over %d bytes", syncproto.MaxFrameBytes)
		}
		return nil, perr(syncproto.CodeFrame, "the request body was cut off: %v", err)
	}
	raw, err := s.codec.Decode(frame)
	if err != nil {
		return nil, perr(syncproto.CodeFrame, "%v: nothing was applied; send it again", err)
	}
	req, err := syncproto.DecodeSyncRequest(raw)
	switch {
	case errors.Is(err, syncproto.ErrLimit):
		return nil, perr(syncproto.CodeTooLarge, "%v", err)
	case err != nil:
		return nil, perr(syncproto.CodeFrame, "%v", err)
	}
	if err := syncproto.CheckProto(req.Proto); err != nil {
		return nil, err
	}
	if len(req.Ops) > 1 && s.o.TooLarge != nil && s.o.TooLarge(len(req.Ops)) {
		return nil, perr(syncproto.CodeTooLarge, "%d operations in one sync would hold more of the server's memory than all requests together may hold: nothing was applied; send fewer at a time", len(req.Ops))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Device != dev.id {
		return nil, perr(syncproto.CodeForbidden, "the request is for device %q, but the token is this laptop's (%s)", req.Device, dev.id)
	}
	dev.cap = req.Cap
	resp := &syncproto.SyncResponse{Proto: syncproto.Proto, Cursor: req.Cursor}
	if err := s.push(dev, req.Ops, resp); err != nil {
		return nil, err
	}
	resp.Time = s.now().UnixMilli()
	if req.Pull {
		s.pull(dev, req, resp)
	}
	if req.Pull && req.Cap.Has(syncproto.CapBinaryPage) {
		page := make([]*changeset.Op, len(resp.Ops))
		for i, w := range resp.Ops {
			if page[i], err = syncproto.FromWire(w); err != nil {
				return nil, err
			}
		}
		raw, err = syncproto.AppendSyncResponse(nil, resp, page)
	} else {
		raw, err = syncproto.Marshal(resp)
	}
	if err != nil {
		return nil, err
	}
	return s.codec.Encode(raw, s.bestDict(r.Header.Get(syncproto.HeaderDicts)))
}

// push judges a change set as the real server does: whole-request checks
// first, then the operations the server already holds are skipped (their
// refusals repeated), the rest must continue the device's sequence, and
// each is judged in order until one with an impossible clock stops the
// push (what came before it is kept).
func (s *Server) push(dev *device, ops []syncproto.WireOp, resp *syncproto.SyncResponse) error {
	if len(ops) > syncproto.MaxPushOps {
		return perr(syncproto.CodeTooLarge, "%d operations in one sync, at most %d: send fewer at a time", len(ops), syncproto.MaxPushOps)
	}
	for i, w := range ops {
		if w.Device != dev.id {
			return perr(syncproto.CodeForbidden, "operation %d of the change set is signed by device %q, not by this laptop (%s): the whole change set is refused", i+1, w.Device, dev.id)
		}
		if i == 0 && w.Seq == 0 {
			return perr(syncproto.CodeInvalid, "sequence numbers start at 1")
		}
		if i > 0 && w.Seq != ops[i-1].Seq+1 {
			return perr(syncproto.CodeInvalid, "operations must be in sequence order without gaps: seq %d follows %d", w.Seq, ops[i-1].Seq)
		}
	}
	resp.Acked = dev.acked
	var fresh []syncproto.WireOp
	for i, w := range ops {
		if w.Seq > dev.acked {
			fresh = ops[i:]
			break
		}
		j, ok := dev.judged[w.Seq]
		if !ok {
			continue
		}
		if j.hlc != w.HLC || j.kind != w.Kind || j.record != w.Record {
			return &syncproto.Error{Code: syncproto.CodeConflictSeq, Acked: dev.acked,
				Message: fmt.Sprintf("the server holds another operation as %s/%d (%s %s): was this laptop restored from an old backup?", dev.id, w.Seq, j.kind, j.record)}
		}
		if j.refusal != nil {
			resp.Refused = append(resp.Refused, *j.refusal)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	if fresh[0].Seq != dev.acked+1 {
		return &syncproto.Error{Code: syncproto.CodeGap, Acked: dev.acked,
			Message: fmt.Sprintf("the server holds this laptop's operations up to %d; this change set starts at %d", dev.acked, fresh[0].Seq)}
	}
	prev := hlc.Timestamp(0)
	if j, ok := dev.judged[dev.acked]; ok {
		prev = hlc.Timestamp(j.hlc)
	}
	now := s.now()
	for _, w := range fresh {
		if stop := checkClock(w, prev, now); stop != "" {
			resp.Acked = dev.acked
			return &syncproto.Error{Code: syncproto.CodeClock, Acked: dev.acked, Message: stop}
		}
		stop, ref := s.judge(dev, w)
		if stop != "" {
			return &syncproto.Error{Code: syncproto.CodeClock, Acked: dev.acked, Message: stop}
		}
		j := judged{hlc: w.HLC, kind: w.Kind, record: w.Record}
		if ref != nil {
			r := syncproto.RefusalFor(w.Seq, ref)
			j.refusal = &r
			resp.Refused = append(resp.Refused, r)
		}
		dev.judged[w.Seq] = j
		dev.acked = w.Seq
		prev = hlc.Timestamp(w.HLC)
		s.authored[dev.id] = true
		_ = s.clock.Observe(hlc.Timestamp(w.HLC))
	}
	resp.Acked = dev.acked
	return nil
}

const setClock = "this laptop's clock is wrong: set its date, time and time zone; its changes stay on it and are sent once the clock is right"

// checkClock says why w's clock is impossible ("" when it is not).
func checkClock(w syncproto.WireOp, prev hlc.Timestamp, now time.Time) string {
	t := hlc.Timestamp(w.HLC)
	switch {
	case t == 0:
		return "" // a malformed operation, refused as such
	case t.Millis() > now.Add(maxAhead).UnixMilli():
		return fmt.Sprintf("change %d is dated %s, %s ahead of the server's clock (%s): %s", w.Seq, t.Time().Format(time.RFC3339),
			t.Time().Sub(now).Round(time.Minute), now.UTC().Format(time.RFC3339), setClock)
	case t.Time().Before(epoch):
		return fmt.Sprintf("change %d is dated %s, before Kenesh existed: %s", w.Seq, t.Time().Format(time.RFC3339), setClock)
	case t <= prev:
		return fmt.Sprintf("change %d is dated %s, not after this laptop's previous change (%s): %s", w.Seq, t.Time().Format(time.RFC3339),
			prev.Time().Format(time.RFC3339), setClock)
	}
	return ""
}

// judge decides one operation: stop, if set, is why its clock stops the
// push (an edit dated before its record's creation); else refusal is nil
// when it is accepted (and appended to the log), or the error it is
// refused with.
func (s *Server) judge(dev *device, w syncproto.WireOp) (stop string, refusal error) {
	op, err := syncproto.FromWire(w)
	if err != nil {
		return "", perr(syncproto.CodeInvalid, "%v", err)
	}
	// The author is the name the administrator registered, whatever the
	// laptop says.
	op.Author = dev.name
	if err := syncproto.CheckNames(op.ID(), op.Kind, op.Record, op.Council); err != nil {
		return "", perr(syncproto.CodeInvalid, "%v", err)
	}
	if n := syncproto.WireSize(op); n > syncproto.MaxOpBytes {
		return "", perr(syncproto.CodeTooLarge, "operation %s is %d bytes, at most %d: a record's text is far shorter; save less at once", op.ID(), n, syncproto.MaxOpBytes)
	}
	key := op.Kind + ":" + op.Record
	cur := s.states[key]
	if cur != nil && cur.Created != 0 && !policy.IsGlobal(op.Kind) && op.HLC < cur.Created {
		return fmt.Sprintf("change %d (%s %s) is dated %s, before the record was created (%s): %s", op.Seq, op.Kind, op.Record,
			op.HLC.Time().Format(time.RFC3339), cur.Created.Time().Format(time.RFC3339), setClock), nil
	}
	if r := policy.CheckWrite(policy.Device{Role: dev.role, Council: dev.council}, op, cur); r != nil {
		return "", r
	}
	next := &changeset.State{}
	if cur != nil {
		next = cur.Clone()
	}
	if _, _, err := next.Apply(op); err != nil {
		return "", perr(syncproto.CodeInvalid, "%v", err)
	}
	today := caldate.Of(s.now().In(bishkek))
	if r := policy.CheckRecord(next, today); r != nil {
		return "", r
	}
	if op.Kind == domain.KindResponse {
		// As the real server: against the definition it names.
		var def *changeset.State
		if id := policy.ResponseDefinition(next); id != "" {
			def = s.states[domain.KindQuestionnaire+":"+id]
		}
		if r := policy.CheckResponse(op, next, def, today); r != nil {
			return "", r
		}
	}
	if op.Kind == domain.KindGrant {
		if r := policy.CheckGrant(op, next, today); r != nil {
			return "", r
		}
	}
	if op.Kind == domain.KindCompetition {
		if r := policy.CheckCompetition(op, next, today); r != nil {
			return "", r
		}
	}
	if op.Kind == domain.KindCouncil && !next.Deleted() {
		var c domain.Council
		if err := (changeset.Schema{}).FromFields(next.Values(), &c); err != nil {
			return "", perr(syncproto.CodeInvalid, "council %s: %v", op.Record, err)
		}
		c.Code = op.Record
		if err := c.Validate(s.cat); err != nil {
			return "", err
		}
	}
	s.append(op, next)
	return "", nil
}

// append adds an accepted operation to the log and keeps the record's
// new state.
func (s *Server) append(op *changeset.Op, next *changeset.State) {
	s.states[op.Kind+":"+op.Record] = next
	s.log = append(s.log, entry{op: op, council: next.Council, global: policy.IsGlobal(op.Kind)})
	s.authored[op.Device] = true
}

// pull fills resp with the next page of what dev may read after
// req.Cursor, other devices' operations only, in server order, within the
// page's limits (the first operation always fits).
func (s *Server) pull(dev *device, req *syncproto.SyncRequest, resp *syncproto.SyncResponse) {
	head := uint64(len(s.log))
	resp.Head = head
	if req.Cursor >= head {
		resp.Cursor = head // a cursor past the head: from before a restore
		return
	}
	maxPull := req.MaxPull
	if maxPull <= 0 {
		maxPull = defaultMaxPull
	}
	maxPull = min(maxPull, syncproto.MaxPullBytes)
	reader := policy.Device{Role: dev.role, Council: dev.council}
	size, cursor := 0, req.Cursor
	for i := req.Cursor; i < head; i++ {
		e := s.log[i]
		if e.op.Device != dev.id && policy.MayRead(reader, e.op.Kind, e.council) {
			n := syncproto.WireSize(e.op)
			if len(resp.Ops) > 0 && (len(resp.Ops) >= syncproto.MaxPullOps || size+n > maxPull) {
				resp.More = true
				break
			}
			resp.Ops = append(resp.Ops, syncproto.ToWire(e.op))
			size += n
		}
		cursor = i + 1
	}
	resp.Cursor = cursor
}
