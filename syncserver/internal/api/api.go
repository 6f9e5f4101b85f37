package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"runtime"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/kenesh/kenesh/internal/version"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/files"
	"github.com/kenesh/kenesh/syncserver/internal/ingest"
	"github.com/kenesh/kenesh/syncserver/internal/middleware"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Pull page sizes, in decoded bytes of operations.
const (
	DefaultMaxPull = 256 << 10
	MaxPull        = syncproto.MaxPullBytes
	// frameSlack is kept free under syncproto.MaxFrameBytes in a reply:
	// zstd adds a few bytes per 128 KiB block to data it cannot compress,
	// and the laptop refuses a frame over the limit.
	frameSlack = 64 << 10
	// maxRefusalMessage bounds each refusal's message in a reply, so that
	// MaxPushOps refusals leave room for a page of operations.
	maxRefusalMessage = 400
	maxEnrollBody     = 64 << 10
	// enrollment attempts per remote address: codes have 78 bits, this only
	// keeps a misbehaving script from filling the logs.
	enrollRate, enrollBurst = 0.2, 10
)

// Config wires the handlers to the server's parts.
type Config struct {
	Store    store.Log
	Auth     *auth.Authority
	Ingest   *ingest.Ingester
	Codec    *syncproto.Codec
	Presence *auth.Presence
	Metrics  *Metrics
	// Files serves the files endpoints (nil: the server keeps no files,
	// and answers them as a server before capability 6).
	Files  *files.Service
	Logger *slog.Logger
	// Rate is the sync requests per second allowed per device (0: no
	// limit), with bursts of Burst.
	Rate  float64
	Burst int
	// BodyBudget bounds the bytes of sync bodies being received at once,
	// across all requests (0: DefaultBodyBudget); DecodeBudget the bytes of
	// decoded requests and pull pages being worked on (0:
	// DefaultDecodeBudget). A request that cannot get its share within
	// BudgetWait (0: 10 s) is answered busy (CodeUnavailable) and retried.
	BodyBudget, DecodeBudget int64
	BudgetWait               time.Duration
	Now                      func() time.Time
}

// Default budgets. A decoded request is charged twice its declared length
// (its payload and the operations decoded from it, which the streaming
// decoder bounds), a pull page twice its byte limit (the operations read
// and their encoding): 64 MiB holds four 16 MiB bombs at once, or a
// hundred ordinary syncs; with the bodies, what requests hold stays near
// 100 MB however many arrive (the peak RSS measured under attack is in
// BENCHMARKS.md).
const (
	DefaultBodyBudget   = 32 << 20
	DefaultDecodeBudget = 64 << 20
)

// Handler serves the sync protocol.
type Handler struct {
	cfg    Config
	log    *slog.Logger
	mux    *http.ServeMux
	chain  http.Handler // mux behind the middleware
	dev    *middleware.Limiters
	enroll *middleware.Limiters
	body   *middleware.Budget // sync bodies being received
	decode *middleware.Budget // decoded requests and pull pages being worked on
	// fast compresses sync replies while the server is busy: cfg.Codec,
	// at zstd's fastest level below fastReplyBelow. syncing counts the
	// sync requests being served; busyAbove is how many make it busy.
	fast      *syncproto.Codec
	syncing   atomic.Int64
	busyAbove int64
	now       func() time.Time
}

// fastReplyBelow: while the server is busy, sync replies shorter than
// this (pull pages of the default size and smaller) are compressed at
// zstd's fastest level, where the better level's cost is mostly restoring
// its tables for each frame (syncproto.Codec.FastBelow); larger ones (a
// new laptop's first pull, 4 MiB pages) at the better level, where that
// cost is small beside the compression itself.
const fastReplyBelow = DefaultMaxPull + 16<<10

// New returns the HTTP handler of the sync API: enrollment, sync and
// health, behind recovery, the request log and body limits. Its metrics are
// served apart (Metrics.Handler), on a listener of their own.
func New(cfg Config) *Handler {
	h := &Handler{cfg: cfg, log: cfg.Logger, now: cfg.Now, mux: http.NewServeMux(),
		dev: middleware.NewLimiters(cfg.Rate, cfg.Burst), enroll: middleware.NewLimiters(enrollRate, enrollBurst)}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.cfg.Metrics == nil {
		h.cfg.Metrics = NewMetrics(nil)
	}
	wait := cmp.Or(cfg.BudgetWait, 10*time.Second)
	h.fast = cfg.Codec.FastBelow(fastReplyBelow)
	h.busyAbove = int64(runtime.GOMAXPROCS(0))
	h.body = middleware.NewBudget(cmp.Or(cfg.BodyBudget, DefaultBodyBudget), wait)
	h.decode = middleware.NewBudget(cmp.Or(cfg.DecodeBudget, DefaultDecodeBudget), wait)
	h.cfg.Metrics.budgets.b.Store(&[2]*middleware.Budget{h.body, h.decode})
	h.mux.Handle(syncproto.PathEnroll, middleware.LimitBody(http.HandlerFunc(h.handleEnroll), maxEnrollBody))
	h.mux.Handle(syncproto.PathSync, middleware.LimitBody(http.HandlerFunc(h.handleSync), syncproto.MaxFrameBytes))
	h.mux.HandleFunc(syncproto.PathHealth, h.handleHealth)
	h.mux.Handle(syncproto.PathFilesHave, middleware.LimitBody(h.handleFiles(http.MethodPost, filesCost, h.filesHave), syncproto.MaxFrameBytes))
	h.mux.Handle(syncproto.PathFilesPut, middleware.LimitBody(h.handleFiles(http.MethodPost, filesPutCost, h.filesPut), syncproto.MaxPutBytes))
	h.mux.Handle(syncproto.PathFilesGet, middleware.LimitBody(h.handleFiles(http.MethodPost, filesCost, h.filesGet), syncproto.MaxFrameBytes))
	h.mux.Handle(syncproto.PathMaterialCopies, h.handleFiles(http.MethodGet, filesCost, h.materialCopies))
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, syncproto.ErrorBody{Code: syncproto.CodeInvalid, Message: "no such endpoint: " + r.URL.Path})
	})
	recovered := middleware.Recover(h.mux, h.log, func(w http.ResponseWriter, r *http.Request) {
		middleware.InfoOf(r).Code = string(syncproto.CodeInternal)
		writeError(w, syncproto.CodeInternal, "the server had an internal error; it will be tried again", 0)
	})
	h.chain = middleware.Log(recovered, middleware.LogOptions{Logger: h.log, Now: h.now,
		Quiet: func(r *http.Request) bool { return endpoint(r.URL.Path) == "healthz" },
		Done: func(r *http.Request, status int, info *middleware.Info) {
			h.cfg.Metrics.requests.WithLabelValues(endpoint(r.URL.Path), strconv.Itoa(status), info.Code).Inc()
		}})
	return h
}

func endpoint(path string) string {
	switch path {
	case syncproto.PathSync:
		return "sync"
	case syncproto.PathEnroll:
		return "enroll"
	case syncproto.PathHealth:
		return "healthz"
	case syncproto.PathFilesHave:
		return "files_have"
	case syncproto.PathFilesPut:
		return "files_put"
	case syncproto.PathFilesGet:
		return "files_get"
	case syncproto.PathMaterialCopies:
		return "material_copies"
	}
	return "other"
}

// ServeHTTP serves a request of the sync API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.chain.ServeHTTP(w, r) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code syncproto.Code, msg string, acked uint64) {
	writeJSON(w, code.Status(), syncproto.ErrorBody{Code: code, Message: msg, Acked: acked})
}

// fail answers a request with err: a *syncproto.Error as it is, anything
// else as the server's fault (logged, with a message that says what the
// laptop will do).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	ri := middleware.InfoOf(r)
	var perr *syncproto.Error
	switch {
	case errors.As(err, &perr):
	case errors.Is(err, store.ErrDiskFull):
		h.log.Error("disk full", "err", err)
		perr = &syncproto.Error{Code: syncproto.CodeUnavailable, Message: "the server's disk is full; your changes stay on this laptop and are sent later"}
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		perr = &syncproto.Error{Code: syncproto.CodeUnavailable, Message: "the request was cancelled"}
	default:
		h.log.Error("request failed", "path", r.URL.Path, "device", ri.Device, "err", err)
		perr = &syncproto.Error{Code: syncproto.CodeInternal, Message: "the server had an internal error; it will be tried again"}
	}
	ri.Code, ri.Detail = string(perr.Code), perr.Message
	switch perr.Code {
	case syncproto.CodeRateLimited:
		w.Header().Set("Retry-After", "1")
	case syncproto.CodeUnavailable:
		w.Header().Set("Retry-After", "2")
	}
	writeJSON(w, perr.Code.Status(), perr.Body()) // with its fields and versions, if any
}

func perr(code syncproto.Code, format string, a ...any) *syncproto.Error {
	return &syncproto.Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// healthTimeout bounds the store's answer to a health check.
const healthTimeout = 3 * time.Second

// handleHealth answers that the server is up and what it speaks, once
// its store answers (one cheap read): a process of a PostgreSQL
// deployment that cannot reach the database says so with 503, so that a
// load balancer's checks send its laptops to the others, and a laptop
// waits as for a server that is down. Version is the server's release,
// for its operators, their monitoring and the app's Settings.
func (h *Handler) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	if _, err := h.cfg.Store.Head(ctx); err != nil {
		h.log.Warn("health check: the store does not answer", "err", err)
		middleware.InfoOf(r).Code = string(syncproto.CodeUnavailable)
		writeError(w, syncproto.CodeUnavailable, "the server cannot reach its store; try again later", 0)
		return
	}
	writeJSON(w, http.StatusOK, syncproto.Health{Status: "ok", ServerID: h.cfg.Ingest.ServerID(), Proto: syncproto.Proto,
		MinProto: syncproto.MinProto, Cap: syncproto.CurrentCapability, Dicts: h.dicts(), Version: version.String()})
}

func (h *Handler) dicts() []uint32 {
	ids := h.cfg.Codec.Dicts()
	slices.Sort(ids)
	return ids
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *Handler) handleEnroll(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, syncproto.ErrorBody{Code: syncproto.CodeInvalid, Message: "use POST"})
		return
	}
	if ok, wait := h.enroll.Allow("ip:"+remoteHost(r), h.now()); !ok {
		w.Header().Set("Retry-After", retryAfter(wait))
		middleware.InfoOf(r).Code = string(syncproto.CodeRateLimited)
		writeError(w, syncproto.CodeRateLimited, "too many enrollment attempts from this address; wait and try again", 0)
		return
	}
	body, err := io.ReadAll(r.Body) // LimitBody bounds it
	if err != nil {
		h.fail(w, r, readErr(err, maxEnrollBody))
		return
	}
	var req syncproto.EnrollRequest
	if err := json.Unmarshal(body, &req); err != nil {
		h.fail(w, r, perr(syncproto.CodeInvalid, "the enrollment request is not valid JSON: %v", err))
		return
	}
	middleware.InfoOf(r).Device = req.DeviceID
	en, err := h.cfg.Auth.Enroll(r.Context(), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := en.Device
	h.cfg.Metrics.enrollments.Inc()
	h.log.Info("device enrolled", "device", d.ID, "name", d.Name, "device_name", d.DeviceName, "council", d.Council, "role", d.Role)
	writeJSON(w, http.StatusOK, syncproto.EnrollResponse{Proto: syncproto.Proto, ServerID: h.cfg.Ingest.ServerID(), Token: en.Token,
		Council: d.Council, Role: d.Role, Name: d.Name, Dicts: h.dicts(), MinProto: syncproto.MinProto, Cap: syncproto.CurrentCapability})
}

// errBusy answers a request that could not get its share of a budget.
var errBusy = &syncproto.Error{Code: syncproto.CodeUnavailable, Message: "the server is busy with other laptops' changes; it will be tried again shortly"}

// readBody reads a request body (which LimitBody bounds to limit bytes),
// into a buffer of its declared length when it has one.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength < 0 || r.ContentLength > limit {
		return io.ReadAll(r.Body)
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(r.Body, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

func readErr(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return perr(syncproto.CodeTooLarge, "the request body is over %d bytes", limit)
	}
	return perr(syncproto.CodeFrame, "the request body was cut off: %v", err)
}

func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

func bearer(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

// bestDict picks the highest dictionary id listed in header that the codec
// knows (0: none).
func (h *Handler) bestDict(header string) uint32 {
	var best uint32
	for _, part := range strings.Split(header, ",") {
		id, err := strconv.ParseUint(strings.TrimSpace(part), 10, 32)
		if err == nil && uint32(id) > best && h.cfg.Codec.Has(uint32(id)) {
			best = uint32(id)
		}
	}
	return best
}

func (h *Handler) handleSync(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, syncproto.ErrorBody{Code: syncproto.CodeInvalid, Message: "use POST"})
		return
	}
	ri := middleware.InfoOf(r)
	h.syncing.Add(1)
	defer h.syncing.Add(-1)
	dev, err := h.cfg.Auth.Authenticate(r.Context(), bearer(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ri.Device = dev.ID
	if ok, wait := h.dev.Allow(dev.ID, h.now()); !ok {
		w.Header().Set("Retry-After", retryAfter(wait))
		ri.Code = string(syncproto.CodeRateLimited)
		writeError(w, syncproto.CodeRateLimited, fmt.Sprintf("too many syncs from this laptop; wait %s", retryAfter(wait)+"s"), 0)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != syncproto.ContentType {
		h.fail(w, r, perr(syncproto.CodeInvalid, "Content-Type %q: a sync body is %s", ct, syncproto.ContentType))
		return
	}
	// On its way as a push of the device from here, before its body is
	// read: the change set a pipelined laptop sent before the next one
	// may be read after it (ingest.Arrive).
	ctx, leave := h.cfg.Ingest.Arrive(r.Context(), dev.ID)
	defer leave()
	// The body's bytes are reserved before it is read: a laptop on 2G
	// holds them for minutes.
	size := r.ContentLength
	if size < 0 || size > syncproto.MaxFrameBytes {
		size = syncproto.MaxFrameBytes
	}
	release, ok := h.body.Take(r.Context(), size)
	if !ok {
		h.cfg.Metrics.busy.WithLabelValues("body").Inc()
		h.fail(w, r, errBusy)
		return
	}
	defer release()
	frame, err := readBody(r, syncproto.MaxFrameBytes)
	if err != nil {
		h.fail(w, r, readErr(err, syncproto.MaxFrameBytes))
		return
	}
	start := h.now()
	rg := trace.StartRegion(ctx, "api.sync") // in an execution trace (kenesh-syncserver --trace)
	raw, err := h.sync(ctx, dev, frame)
	rg.End()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.replyCodec(h.syncing.Load()).AppendEncode(frameBufs.take(len(raw)/4+64), raw, h.bestDict(r.Header.Get(syncproto.HeaderDicts)))
	m := h.cfg.Metrics
	m.bytes.WithLabelValues("out", "decoded").Add(float64(len(raw)))
	pageBufs.give(raw)
	if err != nil {
		h.fail(w, r, fmt.Errorf("encode the reply: %w", err))
		return
	}
	m.bytes.WithLabelValues("out", "compressed").Add(float64(len(out)))
	m.syncDuration.Observe(h.now().Sub(start).Seconds())
	h.cfg.Presence.Touch(dev.ID, h.now())
	w.Header().Set("Content-Type", syncproto.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	w.Write(out) // written by the time Write returns (HTTP/1 and 2 alike)
	frameBufs.give(out)
}

// bufPool holds buffers of replies between syncs: a binary page and its
// compressed frame, about 35 and 5 KiB each with 500 laptops syncing at
// once, were a fifth of what the server allocated, and the collector ran
// for them (BENCHMARKS.md, load6). A buffer is given back once nothing
// holds it: the page once compressed, the frame once written to the
// connection. Pages and frames have a pool each (pageBufs, frameBufs),
// so that each takes buffers of about its size.
type bufPool struct{ p sync.Pool }

var pageBufs, frameBufs bufPool

// maxPooledBuf: larger buffers (a new laptop's first pull's pages, up to
// MaxPull) are left to the collector, not kept between syncs.
const maxPooledBuf = 512 << 10

// take is an empty buffer of at least n bytes' capacity.
func (bp *bufPool) take(n int) []byte {
	if b, ok := bp.p.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]byte, 0, n)
}

// give gives b back; nothing may use it after.
func (bp *bufPool) give(b []byte) {
	if cap(b) > 0 && cap(b) <= maxPooledBuf {
		bp.p.Put(&b)
	}
}

// replyCodec is the codec a reply is compressed with while syncing sync
// requests are being served (this one included): the better level while
// there are cores to spare, so that a laptop on a slow link gets the
// smallest reply; the fastest level for all but large replies when more
// requests are being served than there are cores, and the server's CPU is
// what they wait for. Measured on syncbench's 500 laptops at once (Badger,
// 5,000 syncs, load 19-28): server CPU 11.2, 11.9 s -> 8.7, 9.0 s; bytes
// down 22.4 -> 25.4 MB (+13%).
func (h *Handler) replyCodec(syncing int64) *syncproto.Codec {
	if syncing > h.busyAbove {
		return h.fast
	}
	return h.cfg.Codec
}

// sync decodes, judges and answers one sync request: the reply's JSON.
func (h *Handler) sync(ctx context.Context, dev *store.Device, frame []byte) ([]byte, error) {
	m := h.cfg.Metrics
	m.bytes.WithLabelValues("in", "compressed").Add(float64(len(frame)))
	// What decompressing will allocate is known from the frame's header
	// (and at most syncproto.MaxRawBytes): reserve it first. What decoding
	// and taking the request will hold is known from its counts
	// (requestCost): the share grows to it, or, when the budget does not
	// have it now, is given back and waited for whole, the payload
	// decompressed again once it is there. A request of several
	// operations that costs more than the whole budget is refused.
	n, _ := syncproto.DecodedLen(frame)
	held, ok := h.decode.Hold(ctx, 2*int64(min(n, syncproto.MaxRawBytes)))
	if !ok {
		m.busy.WithLabelValues("decode").Inc()
		return nil, errBusy
	}
	release := held.Release
	defer func() {
		if release != nil {
			release()
		}
	}()
	raw, err := h.cfg.Codec.Decode(frame)
	if err != nil {
		return nil, perr(syncproto.CodeFrame, "%v: nothing was applied; send it again", err)
	}
	counts, countErr := syncproto.CountRequest(raw) // its error is the decoder's to report
	cost := requestCost(len(raw), counts)
	if size := h.decode.Size(); cost > size && counts.Ops > 1 {
		// It could only be taken alone and over the bound (the whole
		// budget is all a request is charged): the heap would hold what
		// the bound is there to keep out. A laptop sends fewer
		// operations at a time (the syncer halves its change set); one
		// operation, which cannot be split, is still taken alone. The
		// request log and kenesh_requests_total{code="too_large"} count
		// these.
		return nil, perr(syncproto.CodeTooLarge, "%d operations in one sync would hold about %d MiB of the server's memory, more than all requests together may hold (%d MiB, request-memory): nothing was applied; send fewer at a time",
			counts.Ops, (cost+1<<20-1)>>20, size>>20)
	}
	if !held.Grow(cost) {
		held.Release()
		raw = nil
		if held, ok = h.decode.Hold(ctx, cost); !ok {
			release = nil
			m.busy.WithLabelValues("decode").Inc()
			return nil, errBusy
		}
		release = held.Release
		if raw, err = h.cfg.Codec.Decode(frame); err != nil {
			return nil, perr(syncproto.CodeFrame, "%v: nothing was applied; send it again", err)
		}
	}
	m.bytes.WithLabelValues("in", "decoded").Add(float64(len(raw)))
	// A binary body's operations come decoded straight into what the
	// ingester judges (bin); a JSON body's in req.Ops.
	rg := trace.StartRegion(ctx, "api.decode")
	req, bin, err := syncproto.DecodeCountedSyncRequestOps(raw, countErr)
	rg.End()
	switch {
	case errors.Is(err, syncproto.ErrLimit):
		return nil, perr(syncproto.CodeTooLarge, "%v", err)
	case err != nil:
		return nil, perr(syncproto.CodeFrame, "%v", err)
	}
	switch {
	case syncproto.CheckProto(req.Proto) != nil:
		return nil, syncproto.CheckProto(req.Proto)
	case req.Device != dev.ID:
		return nil, perr(syncproto.CodeForbidden, "the request is for device %q, but the token is this laptop's (%s)", trunc(req.Device), dev.ID)
	case len(req.Ops)+len(bin) > syncproto.MaxPushOps:
		return nil, perr(syncproto.CodeTooLarge, "%d operations in one sync, at most %d: send fewer at a time", len(req.Ops)+len(bin), syncproto.MaxPushOps)
	}
	resp := &syncproto.SyncResponse{Proto: syncproto.Proto, Cursor: req.Cursor}
	var res *ingest.Result
	if bin != nil {
		res, err = h.cfg.Ingest.PushOps(ctx, dev, bin)
	} else {
		res, err = h.cfg.Ingest.Push(ctx, dev, req.Ops)
	}
	if err != nil {
		return nil, err
	}
	resp.Acked, resp.Refused = res.Acked, res.Refused
	for i := range resp.Refused {
		resp.Refused[i].Message = truncText(resp.Refused[i].Message, maxRefusalMessage)
	}
	m.opsAccepted.Add(float64(res.Accepted))
	for _, r := range res.Refused[len(res.Refused)-res.NewlyRefused:] {
		m.opsRefused.WithLabelValues(string(r.Code)).Inc()
	}
	resp.Time = h.now().UnixMilli()
	// The request is done with; the page gets its own share.
	req.Ops = nil
	release()
	release = nil
	if !req.Pull {
		return syncproto.Marshal(resp)
	}
	// The page gets what the frame has left once the rest of the reply is
	// in it (counted with the largest cursor, head and More it can have),
	// so that the reply fits the frame a laptop accepts; the first
	// operation always fits (syncproto.MaxOpBytes).
	resp.Cursor, resp.Head, resp.More = math.MaxUint64, math.MaxUint64, true
	envelope, err := syncproto.Marshal(resp)
	if err != nil {
		return nil, err
	}
	maxPull := req.MaxPull
	if maxPull <= 0 {
		maxPull = DefaultMaxPull
	}
	maxPull = min(maxPull, MaxPull, syncproto.MaxFrameBytes-frameSlack-len(envelope)-len(`,"ops":[]`))
	if release, ok = h.decode.Take(ctx, 2*int64(maxPull)); !ok {
		// Busy: what was pushed is acknowledged; the page comes with
		// the next sync.
		m.busy.WithLabelValues("page").Inc()
		resp.Cursor, resp.More, resp.Head = req.Cursor, true, 0
		return syncproto.Marshal(resp)
	}
	// A laptop that reads binary pages (capability 8) gets one, written
	// whole from the page's operations (AppendSyncResponse); the page is
	// sized by their JSON, which WireSize counts without writing it, so it
	// holds what a JSON page would. Others get each operation's JSON.
	binaryPage := req.Cap.Has(syncproto.CapBinaryPage)
	lim := store.PullLimits{MaxBytes: maxPull, MaxOps: syncproto.MaxPullOps, Encode: syncproto.MarshalOp, MaxOpBytes: syncproto.MaxOpBytes}
	if binaryPage {
		lim.Encode, lim.Size, lim.SizeName, lim.Names = nil, syncproto.WireSize, "wire", true
	}
	page, err := h.cfg.Store.Pull(ctx, auth.ReadScope(dev), dev.ID, req.Cursor, lim)
	if err != nil {
		return nil, err
	}
	for _, id := range page.Withheld {
		h.log.Error("operation withheld from a pull: it is over the per-operation limit (stored before the limit existed) or cannot be encoded",
			"op", id, "limit", syncproto.MaxOpBytes, "device", dev.ID)
	}
	m.opsWithheld.Add(float64(len(page.Withheld)))
	resp.Cursor, resp.More, resp.Head = page.Cursor, page.More, page.Head
	m.opsPulled.Add(float64(len(page.Ops)))
	if binaryPage && len(page.Ops) > 0 && len(page.Ops) <= smallPage {
		if enc, ok := marshalOps(page.Ops); ok {
			return withOps(resp, enc)
		}
	}
	if binaryPage {
		// Its buffer made once: a binary page takes about half its
		// JSON's bytes (page.Bytes), and growing it from nothing was a
		// fifth of what a loaded server allocated.
		out, err := syncproto.AppendSyncResponseNames(pageBufs.take(64+page.Bytes*5/8), resp, page.Ops, page.Names, page.Changes)
		// A binary page is far smaller than its JSON (a third of it,
		// TestBinaryPageBytes), but a varint can take more bytes than
		// the decimal it replaces: should a page ever be larger than
		// what its JSON was given, it goes as JSON.
		if err != nil || len(out) <= maxPull+len(envelope) {
			return out, err
		}
		h.log.Warn("a binary page larger than its JSON: sent as JSON", "device", dev.ID, "ops", len(page.Ops), "bytes", len(out))
		lim.Encode, lim.Size, lim.Names = syncproto.MarshalOp, nil, false
		if page, err = h.cfg.Store.Pull(ctx, auth.ReadScope(dev), dev.ID, req.Cursor, lim); err != nil {
			return nil, err
		}
		resp.Cursor, resp.More, resp.Head = page.Cursor, page.More, page.Head
	}
	return withOps(resp, page.Encoded)
}

// smallPage is the size up to which a page goes as JSON even to a laptop
// that reads binary pages: dictionary 1 was trained on JSON, so a few
// operations' JSON compress better with it than their binary page (10
// operations: 401 B against 424 B; 25: 565 B against 469 B;
// syncproto's TestBinaryPageBytes), and writing a few operations' JSON
// costs little.
const smallPage = 12

// marshalOps is each operation's JSON (syncproto.MarshalOp); ok false
// if one cannot be written (a value that is not JSON: the binary page
// carries it, and the laptop holds it back).
func marshalOps(ops []*changeset.Op) ([][]byte, bool) {
	enc := make([][]byte, len(ops))
	for i, o := range ops {
		b, err := syncproto.MarshalOp(o)
		if err != nil {
			return nil, false
		}
		enc[i] = b
	}
	return enc, true
}

// withOps encodes resp with the operations of a page, already encoded
// (each once, when the page was sized), as its "ops".
func withOps(resp *syncproto.SyncResponse, ops [][]byte) ([]byte, error) {
	resp.Ops = nil
	env, err := syncproto.Marshal(resp)
	if err != nil || len(ops) == 0 {
		return env, err
	}
	n := len(env) + len(`,"ops":[]`) + len(ops)
	for _, o := range ops {
		n += len(o)
	}
	out := make([]byte, 0, n)
	out = append(out, env[:len(env)-1]...) // without the closing brace
	out = append(out, `,"ops":[`...)
	for i, o := range ops {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, o...)
	}
	return append(out, "]}"...), nil
}

// truncText cuts s to at most n bytes, on a character boundary.
func truncText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
