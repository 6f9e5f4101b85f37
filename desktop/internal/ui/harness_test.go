package ui

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/settings"
	"github.com/kenesh/kenesh/desktop/internal/showcase"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/shared/domain"
)

const testPass = "тест сырсөзү 2026"

var testSession = session.Options{KDF: keyfile.TestParams, Loop: syncer.LoopOptions{AfterSave: time.Hour, Period: time.Hour}}

// harness runs the interface on a real core (Badger in a temporary
// directory). Everything the interface would hand to the UI goroutine is
// queued and run by the test goroutine, so widgets are only ever touched
// from one goroutine, as in the real app.
type harness struct {
	t   *testing.T
	dir string
	win fyne.Window
	u   *UI
	q   chan func()

	mu  sync.Mutex
	now time.Time
}

func newHarness(t *testing.T, dir, lang string, first bool) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1366, 768))
	h := &harness{t: t, dir: dir, win: w, q: make(chan func(), 10000), now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	set := settings.Defaults()
	set.Language = lang
	cfg := Config{Dir: dir, Settings: set, FirstRun: first, Session: testSession,
		Do: func(f func()) { h.q <- f }, IdleTick: -1, Now: h.clock}
	h.u = New(a, w, cfg)
	h.u.Start()
	t.Cleanup(func() {
		h.drain()
		h.u.Close()
		// Late callbacks of goroutines that were still running.
		for {
			select {
			case <-h.q:
			default:
				return
			}
		}
	})
	h.drain()
	return h
}

func (h *harness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	h.now = h.now.Add(d)
	h.mu.Unlock()
}

// drain runs what is queued for the UI goroutine.
func (h *harness) drain() {
	for {
		select {
		case f := <-h.q:
			f()
		default:
			return
		}
	}
}

// runModal presses the last modal's OK and waits for what it does,
// including work it runs in the background (modal.background).
func (h *harness) runModal() {
	h.t.Helper()
	m := h.u.lastModal
	m.run()
	h.waitFor("the dialog's work", func() bool { return !m.busy })
}

// waitFor runs queued UI work until cond holds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	// Generous: a backup or an unlock derives keys (Argon2id) and under
	// -race on two busy cores that took over 20 s; passing tests never wait
	// this long.
	deadline := time.Now().Add(90 * time.Second)
	for {
		h.drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; screen shows: %s", what, strings.Join(h.texts(), " | "))
		}
		select {
		case f := <-h.q:
			f()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// objects returns everything on the window and its overlays (dialogs).
func (h *harness) objects() []fyne.CanvasObject {
	objs := test.LaidOutObjects(h.win.Content())
	for _, o := range h.win.Canvas().Overlays().List() {
		objs = append(objs, test.LaidOutObjects(o)...)
	}
	return objs
}

// texts returns the visible texts of labels and buttons.
func (h *harness) texts() []string {
	var out []string
	for _, o := range h.objects() {
		if !o.Visible() {
			continue
		}
		switch x := o.(type) {
		case *widget.Label:
			if x.Text != "" {
				out = append(out, x.Text)
			}
		case *widget.Button:
			out = append(out, x.Text)
		}
	}
	return out
}

func (h *harness) shows(text string) bool {
	for _, s := range h.texts() {
		if strings.Contains(s, text) {
			return true
		}
	}
	return false
}

func (h *harness) mustShow(text string) {
	h.t.Helper()
	if !h.shows(text) {
		h.t.Fatalf("%q is not on screen; it shows: %s", text, strings.Join(h.texts(), " | "))
	}
}

func (h *harness) button(text string) *widget.Button {
	h.t.Helper()
	for _, o := range h.objects() {
		if b, ok := o.(*widget.Button); ok && b.Visible() && b.Text == text {
			return b
		}
	}
	h.t.Fatalf("no button %q; screen shows: %s", text, strings.Join(h.texts(), " | "))
	return nil
}

func (h *harness) tap(text string) {
	h.t.Helper()
	test.Tap(h.button(text))
	h.drain()
}

// T is the interface's translation, for assertions in any language.
func (h *harness) T(key string, args ...any) string { return h.u.T(key, args...) }

// unlocked makes a store with councils and unlocks it in the interface.
func unlocked(t *testing.T, lang string, appeals, events, conflicts int) *harness {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	err := showcase.Create(context.Background(), dir, showcase.Options{Passphrase: testPass, DeviceName: "Сынак ноутбугу",
		Appeals: appeals, Events: events, Seed: 7, Conflicts: conflicts, Session: testSession})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, lang, false)
	h.u.UnlockWith(testPass)
	h.waitFor("home", func() bool { return h.u.shell != nil })
	return h
}

func (h *harness) firstCouncil() domain.Council {
	cs, err := h.u.sess.Records().Councils(context.Background())
	if err != nil || len(cs) == 0 {
		h.t.Fatalf("councils: %v %v", cs, err)
	}
	return cs[0]
}
