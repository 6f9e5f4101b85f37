package syncer

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// State of the background loop, as the status bar shows it.
type State string

const (
	StateIdle        State = "idle"         // in step with the server, as far as known
	StateSyncing     State = "syncing"      // a sync is running
	StateOffline     State = "offline"      // the server cannot be reached; retrying with backoff
	StateError       State = "error"        // the last sync failed for another reason; retrying
	StateBlocked     State = "blocked"      // revoked, unknown or too old: retrying will not help
	StateNotEnrolled State = "not_enrolled" // no server yet
)

// Status is the loop's state, sent to subscribers on every change.
type Status struct {
	State     State     `json:"state"`
	Pending   uint64    `json:"pending"`
	LastOK    time.Time `json:"last_ok,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	// Err is the last error itself (nil when the last sync went through):
	// what a user interface tells its person, in their language, by what
	// the error is (errors.Is, errors.As: a *syncproto.Error, a
	// *ClockError, a refusal's fields), never by matching LastError's
	// English.
	Err error `json:"-"`
	// LastCode is the protocol code of the last error (syncproto.CodeOf),
	// for logs and scripts.
	LastCode    syncproto.Code `json:"last_code,omitempty"`
	NextAttempt time.Time      `json:"next_attempt,omitzero"`
	Done, Total uint64         // progress of the running sync (see Syncer.Progress)
	// Files is how far moving files has come in the running sync (bytes
	// and speed: "12 of 40 MB, 3 minutes left").
	Files FilesProgress `json:"-"`
	Last  *Summary      `json:"last,omitempty"`
}

// LoopOptions tune the background loop.
type LoopOptions struct {
	AfterSave  time.Duration // wait after a save, so a burst of saves is one sync (default 3 s)
	Period     time.Duration // sync this often when idle (default 10 min)
	MinBackoff time.Duration // first retry delay after a failure (default 5 s)
	MaxBackoff time.Duration // longest retry delay (default 5 min)
	// FilesBudget bounds the time one sync spends moving files (default
	// 5 min), so that records keep syncing on a slow link; what is left
	// goes in the next sync, soon after.
	FilesBudget time.Duration
}

func (o *LoopOptions) defaults() {
	if o.AfterSave == 0 {
		o.AfterSave = 3 * time.Second
	}
	if o.Period == 0 {
		o.Period = 10 * time.Minute
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = 5 * time.Second
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.FilesBudget == 0 {
		o.FilesBudget = 5 * time.Minute
	}
}

// Loop runs syncs in the background.
type Loop struct {
	s    *Syncer
	o    LoopOptions
	kick chan struct{}

	mu     sync.Mutex
	status Status
	subs   map[chan Status]struct{}
}

// NewLoop returns a background loop over s.
func NewLoop(s *Syncer, o LoopOptions) *Loop {
	o.defaults()
	return &Loop{s: s, o: o, kick: make(chan struct{}, 1), subs: map[chan Status]struct{}{}}
}

// Trigger asks for a sync now ("Sync now"), also after a permanent error.
func (l *Loop) Trigger() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Status returns the current status.
func (l *Loop) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status
}

// Subscribe returns a channel of status changes (the newest wins when the
// reader is slow) and a function to stop.
func (l *Loop) Subscribe() (<-chan Status, func()) {
	ch := make(chan Status, 1)
	l.mu.Lock()
	l.subs[ch] = struct{}{}
	ch <- l.status
	l.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.subs, ch)
			l.mu.Unlock()
			close(ch)
		})
	}
}

func (l *Loop) set(f func(*Status)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(&l.status)
	for ch := range l.subs {
		select { // keep only the newest status for a slow reader
		case <-ch:
		default:
		}
		ch <- l.status
	}
}

// Run syncs until ctx ends. It returns ctx.Err().
func (l *Loop) Run(ctx context.Context) error {
	saves, stop := l.s.svc.Subscribe()
	defer stop()
	l.s.Progress = func(done, total uint64) { l.set(func(st *Status) { st.Done, st.Total = done, total }) }
	l.s.FilesProgress = func(p FilesProgress) { l.set(func(st *Status) { st.Files = p }) }
	l.s.FilesBudget = l.o.FilesBudget

	backoff := time.Duration(0)
	timer := time.NewTimer(0) // sync at start
	defer timer.Stop()
	blocked := false
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.kick:
			blocked, backoff = false, 0
		case _, ok := <-saves:
			if !ok {
				return ctx.Err()
			}
			l.refreshPending(ctx)
			if blocked || backoff > 0 {
				continue // a failing sync is retried on its own schedule
			}
			resetTimer(timer, l.o.AfterSave)
			continue
		case <-timer.C:
			if blocked {
				continue
			}
			if backoff > 0 {
				// Offline: probe cheaply before a full sync, so the sync
				// starts as soon as the network is back.
				if err := l.probe(ctx); err != nil {
					backoff = l.nextBackoff(backoff)
					l.scheduleRetry(timer, backoff, err)
					continue
				}
			}
		}
		l.set(func(st *Status) { st.State, st.Done, st.Total, st.Files = StateSyncing, 0, 0, FilesProgress{} })
		sum, err := l.s.SyncOnce(ctx)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return ctx.Err()
		}
		pending := l.pending(ctx)
		switch {
		case err == nil, errors.Is(err, records.ErrHeldBack):
			// Held-back operations do not stop a sync: it succeeded, and
			// the status keeps saying what was set aside.
			backoff = 0
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			l.set(func(st *Status) {
				st.State, st.LastOK, st.LastError, st.Err, st.LastCode, st.Pending, st.Last, st.NextAttempt = StateIdle, time.Now(), msg, err, "", pending, sum, time.Time{}
			})
			if sum != nil && sum.Files != nil && sum.Files.More {
				// Files are left for want of time: on with them soon.
				resetTimer(timer, l.o.AfterSave)
			} else {
				resetTimer(timer, l.o.Period)
			}
		case errors.Is(err, records.ErrNotEnrolled):
			blocked = true
			l.set(func(st *Status) { st.State, st.Pending = StateNotEnrolled, pending })
		case permanent(err):
			blocked = true
			l.set(func(st *Status) {
				st.State, st.LastError, st.Err, st.LastCode, st.Pending, st.Last = StateBlocked, err.Error(), err, errCode(err), pending, sum
			})
		default:
			backoff = l.nextBackoff(backoff)
			l.set(func(st *Status) { st.Pending, st.Last = pending, sum })
			l.scheduleRetry(timer, backoff, err)
		}
	}
}

func (l *Loop) probe(ctx context.Context) error {
	e, err := l.s.svc.Enrollment(ctx)
	if err != nil {
		return err
	}
	c, err := l.s.newClient(e)
	if err != nil {
		return err
	}
	defer c.Close()
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, err = c.Health(pctx)
	return err
}

func (l *Loop) scheduleRetry(timer *time.Timer, backoff time.Duration, err error) {
	state := StateError
	var perr *syncproto.Error
	if errors.As(err, &perr) && perr.Code == syncproto.CodeUnreachable {
		state = StateOffline
	}
	next := time.Now().Add(backoff)
	l.set(func(st *Status) {
		st.State, st.LastError, st.Err, st.LastCode, st.NextAttempt = state, err.Error(), err, errCode(err), next
	})
	resetTimer(timer, backoff)
}

// nextBackoff doubles the delay up to the maximum, with full jitter so that
// laptops coming back online together do not all call at once.
func (l *Loop) nextBackoff(prev time.Duration) time.Duration {
	d := prev * 2
	if prev == 0 {
		d = l.o.MinBackoff
	}
	d = min(d, l.o.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

func (l *Loop) pending(ctx context.Context) uint64 {
	st, err := l.s.svc.SyncState(ctx)
	if err != nil {
		return 0
	}
	return st.Pending
}

func (l *Loop) refreshPending(ctx context.Context) {
	p := l.pending(ctx)
	l.set(func(st *Status) { st.Pending = p })
}

// permanent reports errors that retrying cannot fix without a person.
func permanent(err error) bool {
	return errors.Is(err, syncproto.ErrRevoked) || errors.Is(err, syncproto.ErrUnauthorized) ||
		errors.Is(err, syncproto.ErrProtocol) || errors.Is(err, syncproto.ErrSeqConflict) ||
		errors.Is(err, syncclient.ErrPlainHTTP) || errors.Is(err, syncclient.ErrBadURL)
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	t.Reset(d)
}

// errCode is the protocol code err means, or "" for an error the
// protocol has no code for (the laptop's own: a wrong address, a store).
func errCode(err error) syncproto.Code {
	if c := syncproto.CodeOf(err); c != syncproto.CodeInternal || errors.Is(err, syncproto.ErrServer) {
		return c
	}
	return ""
}
