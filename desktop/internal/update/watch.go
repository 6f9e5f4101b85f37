package update

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// State is where updating stands, as the app shows it.
type State string

const (
	StateNone        State = ""            // nothing newer (or not asked yet)
	StateDownloading State = "downloading" // a newer release is coming, a piece at a time
	StateReady       State = "ready"       // downloaded and verified: "restart to update"
	StateRefused     State = "refused"     // the server offers one that is not taken (Err says why)
	StateManaged     State = "managed"     // a newer release is out; this Kenesh is a system package, its administrator updates it
)

// Status is sent to subscribers on every change.
type Status struct {
	State State
	// Version is the release offered (StateDownloading, StateReady,
	// and StateRefused when its signature verified).
	Version     string
	Done, Total int64
	// Err is why a release was refused (rel.ErrUntrusted, rel.ErrMismatch,
	// ErrOlder), or the last check's failure while downloading.
	Err error
}

// Watcher checks for an update after syncs, in the background: at most
// once per Every while there is nothing to fetch, after every sync while
// a download is under way (each check bounded by Options.Budget).
type Watcher struct {
	o      Options
	server func(context.Context) (string, error)
	every  time.Duration
	kick   chan struct{}

	mu   sync.Mutex
	st   Status
	last time.Time
	subs map[chan Status]struct{}
	busy sync.Mutex // one Check or Apply at a time
}

// NewWatcher makes a Watcher; server gives the sync server's address at
// each check (an error, such as not enrolled yet, skips the check).
// every 0 is six hours.
func NewWatcher(o Options, server func(context.Context) (string, error), every time.Duration) *Watcher {
	if every <= 0 {
		every = 6 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{o: o, server: server, every: every, kick: make(chan struct{}, 1), subs: map[chan Status]struct{}{}}
	if r, err := New(o).Ready(); err == nil && !o.Managed {
		w.st = Status{State: StateReady, Version: r.Manifest.Version, Done: r.Manifest.Size, Total: r.Manifest.Size}
	}
	return w
}

// Kick asks for a check (after a sync went through); it never waits.
func (w *Watcher) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Status is where updating stands now.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st
}

// Subscribe returns a channel of changes (the newest wins for a slow
// reader) and a function to stop.
func (w *Watcher) Subscribe() (<-chan Status, func()) {
	ch := make(chan Status, 1)
	w.mu.Lock()
	w.subs[ch] = struct{}{}
	ch <- w.st
	w.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			w.mu.Lock()
			delete(w.subs, ch)
			w.mu.Unlock()
			close(ch)
		})
	}
}

func (w *Watcher) set(st Status) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.st = st
	for ch := range w.subs {
		select {
		case <-ch:
		default:
		}
		ch <- st
	}
}

// Run checks at each Kick until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		}
		w.mu.Lock()
		due := w.st.State == StateDownloading || time.Since(w.last) >= w.every
		w.mu.Unlock()
		if due {
			w.CheckNow(ctx)
		}
	}
}

// CheckNow checks and fetches at once, and says where updating stands.
func (w *Watcher) CheckNow(ctx context.Context) Status {
	w.busy.Lock()
	defer w.busy.Unlock()
	addr, err := w.server(ctx)
	if err != nil {
		return w.Status()
	}
	o := w.o
	o.Server = addr
	u := New(o)
	var version string
	var managed *ManagedError
	r, err := u.Check(ctx, func(p Progress) {
		version = p.Manifest.Version
		w.set(Status{State: StateDownloading, Version: p.Manifest.Version, Done: p.Done, Total: p.Total})
	})
	w.mu.Lock()
	w.last = time.Now()
	prev := w.st
	w.mu.Unlock()
	switch {
	case err == nil:
		w.set(Status{State: StateReady, Version: r.Manifest.Version, Done: r.Manifest.Size, Total: r.Manifest.Size})
	case errors.Is(err, ErrNotNewer):
		w.set(Status{})
	case errors.As(err, &managed):
		w.set(Status{State: StateManaged, Version: managed.Version})
	case errors.Is(err, ErrLater), ctx.Err() != nil:
		// Goes on with the next sync.
	case IsRefusal(err):
		w.set(Status{State: StateRefused, Version: version, Err: err})
	default:
		// The link failed: a download goes on next time, as it stood.
		if prev.State == StateDownloading {
			prev.Err = err
			w.set(prev)
		}
		o.Logger.Info("update: check failed", "err", err)
	}
	return w.Status()
}

// Apply installs the ready release and starts it (Updater.Apply); the
// caller quits when it returns nil.
func (w *Watcher) Apply(ctx context.Context, args []string) error {
	w.busy.Lock()
	defer w.busy.Unlock()
	return New(w.o).Apply(ctx, args)
}
