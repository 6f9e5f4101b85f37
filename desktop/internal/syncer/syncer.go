package syncer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// Limits of one push: small change sets are the common case on a bad link,
// and a cut connection then costs little to repeat. On a quick link a
// laptop far behind pushes larger ones (see growPush).
const (
	pushOps   = 500
	pushBytes = 256 << 10
	// A round trip quicker than quickRound doubles the next change set, up
	// to the protocol's limit in operations and maxPushBytes; a slower one
	// starts again from pushOps and pushBytes. EDGE's round trip alone is
	// 600 ms: there change sets stay small.
	quickRound   = 300 * time.Millisecond
	maxPushBytes = 2 << 20
	// Pull pages grow the same way, up to what the server sends at most:
	// at 256 KiB a page, a new central laptop's first sync of 20,000 demo
	// appeals took 181 pages (about 900 for 100,000), and a server pacing
	// each laptop to 2 syncs a second makes that minutes of waiting.
	pullBytes = 256 << 10
	// maxRounds bounds one SyncOnce; a laptop far behind syncs again.
	maxRounds = 1000
	// A rate-limited sync waits as the server asks, at most maxRateWait
	// at a time and maxRateWaits times in a row without a request getting
	// through, then reports the refusal. A laptop with a long backlog is
	// paced, not failed: every request that gets through starts the count
	// again.
	maxRateWait  = 30 * time.Second
	maxRateWaits = 60
	// A server too busy to take a request now (503 with Retry-After: its
	// bound on the bytes of requests at once, kenesh-syncserver serve
	// --request-memory) has taken nothing of it: the sync waits as asked,
	// plus up to maxBusyJitter so that laptops turned away together come
	// back apart, and sends it again, at most maxBusyWaits times in a row
	// (each of which the server held up to 10 s before answering); then
	// the refusal is reported and the sync loop tries later, backing off.
	maxBusyWaits  = 8
	maxBusyJitter = time.Second
)

// Summary is what one sync did.
type Summary struct {
	Sent      int     `json:"sent"`
	Received  int     `json:"received"`
	Refused   int     `json:"refused"`
	Conflicts int     `json:"conflicts"`
	Requests  int     `json:"requests"`
	BytesUp   int64   `json:"bytes_up"`
	BytesDown int64   `json:"bytes_down"`
	Seconds   float64 `json:"seconds"`
	Acked     uint64  `json:"acked"`
	Cursor    uint64  `json:"cursor"`
	Pending   uint64  `json:"pending"`
	// Held counts pulled operations held back, not merged (records.HeldOp).
	Held int `json:"held,omitempty"`
	// Files is what moving files did (nil when there was nothing to move).
	Files *FilesSummary `json:"files,omitempty"`
	// server is the server's clock as its last answer gave it.
	server time.Time
}

// Syncer syncs one store with its server. It is safe for concurrent use;
// syncs run one at a time.
type Syncer struct {
	svc   Replica
	codec *syncproto.Codec
	now   func() time.Time
	// newClient is replaced in tests that route through a fault proxy.
	newClient func(e *records.Enrollment) (*syncclient.Client, error)
	running   chan struct{} // a one-slot semaphore: one sync at a time
	rateWaits int           // maxRateWaits; fewer in tests
	bulkOps   int           // a bulk load's window (bulkOps); fewer in tests, 0: no bulk load
	pullMost  int           // the largest page asked for (syncproto.MaxPullBytes); less in tests
	// proto is the protocol version the server said it speaks in the
	// last sync (0: not known): each sync's client starts from it, so
	// that its first request is binary too (syncclient.Client.SyncInto).
	proto atomic.Int64

	// Progress, if set, is called during a sync with how far it has come
	// and how far it has to go: the operations to push, and the server
	// sequence numbers to pull through (Summary counts what was pulled).
	Progress func(done, total uint64)
	// Files, if set, are moved after the records in every sync (files.go);
	// FilesBudget bounds the time a sync spends on them (0: none), and
	// FilesProgress, if set, is told how far they have come.
	Files         FileStore
	FilesBudget   time.Duration
	FilesProgress func(FilesProgress)
	// BulkMemory, if set, is called when a sync takes its pull in bulk (a
	// new laptop's first pull, or one a crash or a lost connection
	// stopped), and the function it returns once that sync has ended,
	// however it ended, with nothing left applying: the desktop app lets
	// its heap grow for the load (app.RelaxMemory).
	BulkMemory func() (restore func())
}

// New returns a syncer for svc, compressing with codec's dictionaries.
func New(svc Replica, codec *syncproto.Codec) *Syncer {
	s := &Syncer{svc: svc, codec: codec, now: time.Now, running: make(chan struct{}, 1), rateWaits: maxRateWaits, bulkOps: bulkOps, pullMost: syncproto.MaxPullBytes}
	s.newClient = func(e *records.Enrollment) (*syncclient.Client, error) {
		return syncclient.New(e.Server, syncclient.Options{Token: e.Token, Codec: codec, ServerDicts: e.Dicts, ServerProto: int(s.proto.Load())})
	}
	return s
}

// Enroll binds the store to the server at serverURL with a one-time code,
// then syncs once so that the councils and the council's records arrive.
func (s *Syncer) Enroll(ctx context.Context, serverURL, code string) (*records.Enrollment, *Summary, error) {
	if _, err := s.svc.Enrollment(ctx); err == nil {
		return nil, nil, fmt.Errorf("enroll: this laptop is already enrolled; a laptop syncs with one server")
	}
	u, err := syncclient.CheckServerURL(serverURL)
	if err != nil {
		return nil, nil, fmt.Errorf("enroll: %w", err)
	}
	c, err := syncclient.New(u.String(), syncclient.Options{Codec: s.codec})
	if err != nil {
		return nil, nil, fmt.Errorf("enroll: %w", err)
	}
	defer c.Close()
	dev := s.svc.Device()
	resp, err := c.Enroll(ctx, syncproto.EnrollRequest{Cap: syncproto.CurrentCapability, Code: strings.TrimSpace(code), DeviceID: dev.ID, DeviceName: dev.Name})
	if err != nil {
		return nil, nil, fmt.Errorf("enroll: %w", err)
	}
	e := records.Enrollment{Server: u.String(), ServerID: resp.ServerID, Token: resp.Token, Council: resp.Council,
		Role: resp.Role, Name: resp.Name, Dicts: resp.Dicts, At: s.now().UTC()}
	if err := s.svc.Enroll(ctx, e); err != nil {
		return nil, nil, err
	}
	sum, err := s.SyncOnce(ctx)
	if err != nil {
		// Enrolled all the same: the first sync is retried later.
		return &e, sum, fmt.Errorf("enrolled, but the first sync failed: %w", err)
	}
	return &e, sum, nil
}

// SyncOnce pushes everything pending and pulls everything new, in as few
// requests as the limits allow (one, when there is little to do).
func (s *Syncer) SyncOnce(ctx context.Context) (*Summary, error) {
	select {
	case s.running <- struct{}{}:
		defer func() { <-s.running }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	start := s.now()
	sum, err := s.sync(ctx)
	if err == nil && s.Files != nil {
		// Files after the records: the server then knows which chunks
		// each record names.
		sum.Files, err = s.moveFiles(ctx)
		if sum.Files != nil {
			sum.BytesUp += sum.Files.traffic.Up
			sum.BytesDown += sum.Files.traffic.Down
		}
	}
	if sum != nil {
		sum.Seconds = s.now().Sub(start).Seconds()
		if now := s.now(); err == nil && !sum.server.IsZero() && skew(now, sum.server) > records.MaxAhead {
			// Synced, but a clock this far off makes this laptop's next
			// changes refused, or what it pulls wait: the person is told.
			err = &ClockError{Laptop: now, Server: sum.server}
		}
		if now := s.now(); err == nil && !sum.server.IsZero() && skew(now, sum.server) <= restampSkew {
			// With a clock known to be right, undo (once) what an older
			// version merged from clocks far ahead.
			if _, herr := s.svc.HoldBackFuture(ctx); herr != nil {
				err = herr
			}
		}
		if err == nil && sum.Held > 0 {
			// Everything else was synced; the person is told all the same,
			// since an honest server sends nothing a laptop must refuse.
			err = fmt.Errorf("%w: %d held back (keneshctl status lists them)", records.ErrHeldBack, sum.Held)
		}
	}
	if !errors.Is(err, records.ErrNotEnrolled) && !errors.Is(err, context.Canceled) {
		if nerr := s.svc.NoteSync(context.WithoutCancel(ctx), s.now().UTC(), err); nerr != nil && err == nil {
			err = nerr
		}
	}
	return sum, err
}

// ServerVersion asks the server its release ("0.6.0"; "" from a server
// that does not say), for Settings.
func (s *Syncer) ServerVersion(ctx context.Context) (string, error) {
	e, err := s.svc.Enrollment(ctx)
	if err != nil {
		return "", err
	}
	c, err := s.newClient(e)
	if err != nil {
		return "", err
	}
	defer c.Close()
	h, err := c.Health(ctx)
	if err != nil {
		return "", err
	}
	return h.Version, nil
}

// moveFiles moves the files of one sync on a client of its own.
func (s *Syncer) moveFiles(ctx context.Context) (*FilesSummary, error) {
	e, err := s.svc.Enrollment(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.newClient(e)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	fs, err := s.syncFiles(ctx, c, s.FilesBudget)
	if fs != nil {
		fs.traffic = c.Traffic()
	}
	if err != nil {
		err = fmt.Errorf("files: %w", err)
	}
	return fs, err
}

func (s *Syncer) sync(ctx context.Context) (*Summary, error) {
	e, err := s.svc.Enrollment(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.newClient(e)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	sum := &Summary{}
	defer func() {
		t := c.Traffic()
		sum.BytesUp, sum.BytesDown = t.Up, t.Down
		sum.server = c.ServerTime()
		s.proto.Store(int64(c.ServerProto()))
	}()
	st, err := s.svc.SyncState(ctx)
	if err != nil {
		return sum, err
	}
	// Operations held back for their clock are merged once this laptop's
	// clock has come close enough to theirs.
	if r, err := s.svc.ReleaseHeld(ctx); err != nil {
		return sum, err
	} else {
		sum.Received += r.Applied
		sum.Conflicts += len(r.Conflicts)
	}
	dev := s.svc.Device().ID
	total, acked0, cursor0 := st.Pending, st.Acked, st.Cursor
	limOps, limBytes := pushOps, pushBytes
	// mostOps is the most operations a change set may have in this sync:
	// fewer than the server refused as too large at once.
	mostOps := syncproto.MaxPushOps
	limPull := min(pullBytes, s.pullMost)
	waits, busyWaits := 0, 0
	restamped := false
	// A pulled page is applied while the next request is on its way: on a
	// quick link a laptop catching up spends as long committing pages to
	// its encrypted store as waiting for them. Pages are applied in order
	// (the previous one is finished before the next starts), and a page's
	// operations and the cursor after it are committed together, so the
	// request that overlaps it, which already carries that cursor, costs
	// at worst a page pulled again after a crash.
	var restore func() // BulkMemory's, after the window applying
	defer func() {
		if restore != nil {
			restore()
		}
	}()
	ap := &applier{svc: s.svc, files: s.Files, window: s.bulkOps}
	defer ap.wait(sum) // returns with nothing applying, whatever happens
	// A store with no records yet takes its pull in bulk: pages gathered
	// into windows of bulkOps operations, each window stored at once,
	// keys sorted (records.ApplyBulk).
	if s.bulkOps > 0 {
		if ap.bulk, err = s.svc.BulkLoad(ctx); err != nil {
			return sum, err
		}
		if ap.bulk && s.BulkMemory != nil {
			restore = s.BulkMemory()
		}
	}
	pipeline := true // the backlog may be pushed pipelined (pushPipelined's again)
	for round := 0; round < maxRounds; round++ {
		if pipeline && c.ServerProto() >= 2 && s.svc.Seq()-st.Acked > uint64(limOps) {
			// A backlog of more than one change set, to a server that
			// takes a device's pushes in turn: pushed with requests in
			// flight (pipeline.go); what is left, and the pull, follow
			// below. A pipelined push that stopped short (a change set
			// refused on its way: a gap, when the server read a request
			// before the one sent ahead of it; too large) gives
			// way to one request below, which handles that answer as
			// ever, and the backlog goes on pipelined after it. Only once
			// a sync before, the rest of a 100,000-record push went one
			// request at a time after the first such stop, each waiting
			// for the answer before (BENCHMARKS.md, issue 15, push10).
			// One that got nothing through, or was told to slow down, is
			// not tried again in this sync.
			// The page being applied first: its cursor and the
			// acknowledgements are both the store's sync state.
			if err := ap.wait(sum); err != nil {
				return sum, err
			}
			var err error
			pipeline, err = s.pushPipelined(ctx, c, &st, sum, &limOps, &limBytes, &mostOps, func() {
				if s.Progress == nil {
					return
				}
				// No page yet: how far the push has come.
				if done, all := progress(st.Acked, acked0, total, cursor0, &syncproto.SyncResponse{}); all > 0 {
					s.Progress(done, all)
				}
			})
			if err != nil {
				return sum, err
			}
		}
		ops, size, err := s.svc.PendingEncoded(ctx, st.Acked, limOps, limBytes)
		if err != nil {
			return sum, err
		}
		// Proto is left to the client: binary for a server that said it
		// speaks protocol 2, JSON for an older one.
		req := &syncproto.SyncRequest{Cap: syncproto.CurrentCapability, Device: dev, Cursor: st.Cursor, Pull: true, MaxPull: limPull, PushEncoded: ops}
		sum.Requests++
		sent := s.now()
		resp, err := c.Sync(ctx, req)
		// Only an answered sync says how the link carries a change set: a
		// refusal (paced, say) comes back quickly whatever its size.
		if rtt := s.now().Sub(sent); err == nil {
			c.SetQuickLink(rtt < quickRound)
			limOps, limBytes = growPush(limOps, limBytes, len(ops), size, rtt)
			limOps = min(limOps, mostOps)
			limPull = min(growPull(limPull, resp.More, pullRound(rtt, limPull, ap.bulk)), s.pullMost)
		}
		if !ap.bulk {
			if aerr := ap.wait(sum); aerr != nil {
				return sum, aerr
			}
		}
		var perr *syncproto.Error
		if errors.As(err, &perr) && perr.Code == syncproto.CodeClock {
			// The server took what came before the operation it refused
			// for its clock, and nothing after it.
			if perr.Acked > st.Acked && perr.Acked <= s.svc.Seq() {
				if err := s.svc.SetAcked(ctx, perr.Acked, nil); err != nil {
					return sum, err
				}
				sum.Sent += int(perr.Acked - st.Acked)
				st.Acked = perr.Acked
			}
			server, local := c.ServerTime(), s.now()
			if !restamped && !server.IsZero() && skew(local, server) <= restampSkew {
				// The clock is right now: the operations were stamped
				// while it was wrong. Stamp them again and send them.
				n, err := s.svc.Restamp(ctx, st.Acked+1)
				if err != nil {
					return sum, err
				}
				restamped = true
				if n > 0 {
					continue
				}
			}
			return sum, &ClockError{Laptop: local, Server: server, Err: err}
		}
		if errors.As(err, &perr) && perr.Code == syncproto.CodeGap && perr.Acked < st.Acked {
			// The server holds less than we thought (it was restored from
			// a backup): resend from what it holds.
			st.Acked = perr.Acked
			continue
		}
		if errors.As(err, &perr) && perr.Code == syncproto.CodeUnavailable && perr.RetryAfter > 0 && busyWaits < maxBusyWaits {
			// The server is busy with other laptops' requests, and asks
			// to be tried again: wait and go on with this sync, the
			// secretary seeing it still syncing, not failed.
			busyWaits++
			wait := min(perr.RetryAfter, maxRateWait) + rand.N(maxBusyJitter)
			select {
			case <-time.After(wait):
				continue
			case <-ctx.Done():
				return sum, ctx.Err()
			}
		}
		if errors.As(err, &perr) && perr.Code == syncproto.CodeTooLarge && len(ops) > 1 {
			// The server took nothing of a change set too large for it at
			// once (more than its bound on the memory requests hold,
			// request-memory, lets one request have): half as many
			// operations, down to one, which a server always takes
			// alone, for the rest of this sync.
			mostOps = len(ops) / 2
			limOps = min(limOps, mostOps)
			continue
		}
		if errors.As(err, &perr) && perr.Code == syncproto.CodeRateLimited && waits < s.rateWaits {
			// A laptop catching up sends request after request; the
			// server paces it. Wait as asked and go on with this sync.
			waits++
			wait := min(max(perr.RetryAfter, time.Second), maxRateWait)
			select {
			case <-time.After(wait):
				continue
			case <-ctx.Done():
				return sum, ctx.Err()
			}
		}
		if err != nil {
			return sum, err
		}
		waits, busyWaits = 0, 0
		if err := checkAnswer(resp, req, s.svc.Seq()); err != nil {
			return sum, err
		}
		if err := s.takeAnswer(ctx, resp, &st, sum); err != nil {
			return sum, err
		}
		if len(resp.Ops) > 0 || len(resp.Page) > 0 || resp.Cursor != st.Cursor {
			// Operations that do not decode, or that this laptop may not
			// merge, are held back there: the pull goes on.
			if err := ap.page(ctx, sum, resp, !resp.More); err != nil {
				return sum, err
			}
			st.Cursor = resp.Cursor
		} else if ap.bulk && !resp.More {
			// Caught up with a page that brought nothing new: what was
			// gathered is stored, and the bulk load ends.
			if err := ap.flush(ctx, sum, true); err != nil {
				return sum, err
			}
		}
		seq := s.svc.Seq()
		if s.Progress != nil {
			if done, all := progress(st.Acked, acked0, total, cursor0, resp); all > 0 {
				s.Progress(done, all)
			}
		}
		if st.Acked >= seq && !resp.More {
			if err := ap.wait(sum); err != nil {
				return sum, err
			}
			sum.Acked, sum.Cursor = st.Acked, st.Cursor
			return sum, nil
		}
		if len(ops) == 0 && !resp.More && st.Acked < seq {
			return sum, fmt.Errorf("sync: the server acknowledged %d but this laptop has %d operations and none left to send", st.Acked, seq)
		}
	}
	// Out of rounds with more to pull: what was gathered is stored, and
	// the next sync goes on from it.
	if err := ap.flush(ctx, sum, false); err != nil {
		return sum, err
	}
	if err := ap.wait(sum); err != nil {
		return sum, err
	}
	sum.Acked, sum.Cursor = st.Acked, st.Cursor
	sum.Pending = s.svc.Seq() - st.Acked
	return sum, nil
}

// restampSkew is how far this laptop's clock may be from the server's
// for operations stamped with a wrong clock to be stamped again: well
// inside the server's bound (12 hours ahead, syncserver/internal/ingest),
// so the new stamps are taken; a laptop further off is told to set its
// clock first.
const restampSkew = 6 * time.Hour

// skew is how far apart two clocks are, either way.
func skew(a, b time.Time) time.Duration {
	if d := a.Sub(b); d >= 0 {
		return d
	}
	return b.Sub(a)
}

// checkAnswer refuses an answer that cannot be true of this laptop: an
// acknowledgement beyond seq (the newest operation it has made, read after
// the answer came, so saves made meanwhile count), or a refusal of an
// operation this request did not carry. Believing the first would mark
// unsent work sent, and it would never reach the centre.
func checkAnswer(resp *syncproto.SyncResponse, req *syncproto.SyncRequest, seq uint64) error {
	if resp.Acked > seq {
		return fmt.Errorf("%w: it acknowledged this laptop's changes up to number %d, but this laptop has made %d", ErrBadAnswer, resp.Acked, seq)
	}
	first, last := req.OpSeqs()
	for _, r := range resp.Refused {
		if req.NumOps() == 0 || r.Seq < first || r.Seq > last {
			return fmt.Errorf("%w: it refused change number %d, which this request did not carry", ErrBadAnswer, r.Seq)
		}
	}
	return nil
}

// progress says how far a sync has come: the operations pushed (acked
// since acked0) of the total pending when it began (saves made during the
// sync are the next one's), and the server sequence numbers pulled through
// since cursor0, up to the head the last answer gave.
func progress(acked, acked0, total, cursor0 uint64, resp *syncproto.SyncResponse) (done, all uint64) {
	if total > 0 && acked > acked0 {
		done = min(acked-acked0, total)
	}
	all = total
	if resp.Head > cursor0 {
		all += resp.Head - cursor0
		if resp.Cursor > cursor0 {
			done += min(resp.Cursor, resp.Head) - cursor0
		}
	}
	return done, all
}

// applier applies one pulled page at a time in the background, or, in a
// bulk load, one window of pages.
type applier struct {
	svc   Replica
	files FileStore  // told of the records a page changed (nil: none)
	done  chan error // nil when no page is being applied
	res   records.ApplyResult

	// bulk: pages are gathered into a window (ops, bad, cursor) and
	// applied by ApplyBulk when it holds window operations or the pull
	// has caught up.
	bulk   bool
	window int
	ops    []*changeset.Op
	bad    []records.Unreadable
	cursor uint64
	filled bool // a page was gathered since the last window
	begun  bool // the bulk load is marked under way (BeginBulkLoad)
}

// bulkOps is the size of a bulk load's window in operations: large enough
// that each record's state and index row are written about once (a
// record's operations come together), small enough to bound what is held
// in memory (the window's operations, their records' states and the keys
// to write, until the window is stored).
const bulkOps = 32 << 10

// page takes a pulled page and the cursor after it: applied in the
// background at once, or in a bulk load gathered into the window (the
// window is applied, in the background, when full or when last says the
// pull has caught up).
func (a *applier) page(ctx context.Context, sum *Summary, resp *syncproto.SyncResponse, last bool) error {
	cursor := resp.Cursor
	if !a.bulk {
		a.start(ctx, func() (records.ApplyResult, []*changeset.Op, error) {
			ops, unreadable := pageOps(resp)
			res, err := a.svc.ApplyPulled(ctx, ops, unreadable, cursor)
			return res, ops, err
		})
		return nil
	}
	ops, unreadable := pageOps(resp)
	a.ops = append(a.ops, ops...)
	a.bad = append(a.bad, unreadable...)
	a.cursor, a.filled = cursor, true
	if len(a.ops) >= a.window || last {
		return a.flush(ctx, sum, last)
	}
	return nil
}

// flush applies the bulk load's window gathered so far, if any (or, when
// done, an empty one that ends the bulk load), after the one before it.
func (a *applier) flush(ctx context.Context, sum *Summary, done bool) error {
	if !a.bulk || !a.filled && !done {
		return nil
	}
	if err := a.wait(sum); err != nil {
		return err
	}
	ops, bad, cursor, filled := a.ops, a.bad, a.cursor, a.filled
	a.ops, a.bad, a.filled = nil, nil, false
	if done {
		a.bulk = false // pages after the end of the bulk load: one at a time
	}
	begin := !a.begun && len(ops) > 0
	a.begun = a.begun || begin
	a.start(ctx, func() (records.ApplyResult, []*changeset.Op, error) {
		if begin {
			// Before the first window's writes: a crash inside it leaves
			// operations in the store, which would otherwise make the
			// next sync's pull go page by page (the same records, slower).
			if err := a.svc.BeginBulkLoad(ctx); err != nil {
				return records.ApplyResult{}, nil, err
			}
		}
		if !filled && cursor == 0 {
			// Caught up without a page gathered in this sync: the end of
			// the bulk load is recorded at the cursor stored already.
			st, err := a.svc.SyncState(ctx)
			if err != nil {
				return records.ApplyResult{}, nil, err
			}
			cursor = st.Cursor
		}
		res, err := a.svc.ApplyBulk(ctx, ops, bad, cursor, done)
		return res, ops, err
	})
	return nil
}

// start runs apply in the background; what was there before must have
// been waited for.
func (a *applier) start(ctx context.Context, apply func() (records.ApplyResult, []*changeset.Op, error)) {
	a.done = make(chan error, 1)
	go func() {
		var err error
		var ops []*changeset.Op
		a.res, ops, err = apply()
		if err == nil && a.files != nil {
			// The files of what arrived follow in the same sync.
			for _, op := range ops {
				a.files.Touch(op.Kind, op.Record)
			}
		}
		a.done <- err
	}()
}

// wait waits for the page being applied, if any, and adds what it did to
// sum.
func (a *applier) wait(sum *Summary) error {
	if a.done == nil {
		return nil
	}
	err := <-a.done
	a.done = nil
	if err != nil {
		return err
	}
	sum.Received += a.res.Applied
	sum.Conflicts += len(a.res.Conflicts)
	sum.Held += a.res.Held
	return nil
}

// growPush returns the limits of the next change set after one of n
// operations and size bytes (syncproto.WireSize) took rtt. Per-request
// costs (a durable commit on each side, a round trip) weigh on a laptop
// pushing a long backlog over a quick link: 100,000 records went 25% faster
// with change sets of 2,000 operations than of 500 (see BENCHMARKS.md).
func growPush(ops, bytes, n, size int, rtt time.Duration) (int, int) {
	full := n >= ops || size >= bytes*3/4 // by either limit
	return grow(ops, pushOps, syncproto.MaxPushOps, full, rtt), grow(bytes, pushBytes, maxPushBytes, full, rtt)
}

// pullRound is the round trip of a page asked for with limit that
// growPull judges: rtt, or in a bulk load rtt for each pullBytes of limit.
// A bulk load pulls its next window while the laptop applies the one
// before it, on the same cores, and its 4 MB pages' round trips went over
// quickRound for the laptop's own work, not the link's: the pages shrank
// to 256 KB and a 20,000-record first pull made 33-37 requests instead of
// 17-26 (BENCHMARKS.md, issue 15, pull6). Judged by what the link carries
// in a round trip, a bulk load's pages still shrink on a slow link (256 KB
// that take quickRound or more).
func pullRound(rtt time.Duration, limit int, bulk bool) time.Duration {
	if !bulk || limit <= pullBytes {
		return rtt
	}
	return rtt * pullBytes / time.Duration(limit)
}

// growPull returns the page size to ask for after a page that took rtt;
// full says the server had more to send.
func growPull(limit int, full bool, rtt time.Duration) int {
	return grow(limit, pullBytes, syncproto.MaxPullBytes, full, rtt)
}

// grow is how a limit follows the link: back to start after a slow round
// trip, doubled up to most after a quick one that filled it, and kept
// after a quick one that did not (nothing to learn).
func grow(limit, start, most int, full bool, rtt time.Duration) int {
	switch {
	case rtt >= quickRound:
		return start
	case !full:
		return limit
	}
	return min(limit*2, most)
}
