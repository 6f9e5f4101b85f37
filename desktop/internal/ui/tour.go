package ui

import (
	"context"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/shared/domain"
)

// UnlockWith unlocks the store with a passphrase given at start
// (KENESH_PASSPHRASE), as if typed on the unlock screen; errors show there.
func (u *UI) UnlockWith(pass string) {
	var s *session.Session
	var err error
	start := time.Now()
	u.async(func() {
		s, err = session.Unlock(context.Background(), u.cfg.Dir, pass, u.cfg.Session)
		u.log.Debug("store unlocked", "dir", u.cfg.Dir, "took", time.Since(start), "err", err)
	}, func() {
		if err != nil {
			u.showError(err)
			return
		}
		u.sess = s
		u.enterShell()
	})
}

// Unlocked is the outcome of an unlock started before the interface was
// built (see AdoptUnlock).
type Unlocked struct {
	Session *session.Session
	Err     error
}

// AdoptUnlock shows the home screen when an unlock that main started at
// once (KENESH_PASSPHRASE) finishes: key derivation and reading the index
// then overlap with making the window. A failure shows on the unlock screen.
func (u *UI) AdoptUnlock(res <-chan Unlocked) {
	go func() {
		r := <-res
		u.do(func() {
			if r.Err != nil {
				u.showError(r.Err)
				return
			}
			u.sess = r.Session
			u.enterShell()
		})
	}()
}

// TourStep is one screen of the screenshot tour. Do runs on the UI
// goroutine; Wait, if set, runs after it off the UI goroutine and returns
// when the screen is ready.
type TourStep struct {
	Name string
	Do   func()
	Wait func()
}

// Tour lists the main screens, for the screenshot tool to show in turn in
// the real window. On a directory without a store it shows the first run.
func (u *UI) Tour(pass string) []TourStep {
	if u.fr != nil {
		return u.firstRunTour(pass)
	}
	unlocked := make(chan struct{})
	prev := u.cfg.OnUnlocked
	u.cfg.OnUnlocked = func() {
		if prev != nil {
			prev()
		}
		select {
		case <-unlocked:
		default:
			close(unlocked)
		}
	}
	s := func() *shell { return u.shell }
	find := func(f records.Filter, ok func(records.Summary) bool) string {
		for _, r := range u.summaries(f) {
			if ok(r) {
				return r.ID
			}
		}
		return ""
	}
	reset := func(sec string, extra ...page) {
		u.hideModal()
		s().section = sec
		s().stack = append([]page{s().root(sec)}, extra...)
		s().render()
	}
	var appealID string
	return []TourStep{
		{Name: "01-unlock", Do: func() {}},
		{Name: "02-home", Do: func() { u.UnlockWith(pass) }, Wait: func() { <-unlocked }},
		{Name: "03-events", Do: func() { reset(secEvents) }},
		{Name: "04-event-detail", Do: func() {
			id := find(records.Filter{Kind: domain.KindEvent, DueSoon: 3650}, func(records.Summary) bool { return true })
			if id == "" {
				id = find(records.Filter{Kind: domain.KindEvent}, func(records.Summary) bool { return true })
			}
			reset(secEvents, newEventDetail(u, id))
		}},
		{Name: "05-event-form", Do: func() { reset(secEvents, newEventForm(u, nil)) }},
		{Name: "06-appeals", Do: func() { reset(secAppeals) }},
		{Name: "07-appeals-search", Do: func() {
			reset(secAppeals)
			ap := s().root(secAppeals).(*recordList)
			ap.f.search.SetText("жер")
			ap.f.flag.SetChecked(true)
			ap.reload()
		}},
		{Name: "08-appeal-detail", Do: func() {
			s().root(secAppeals).(*recordList).f.search.SetText("")
			s().root(secAppeals).(*recordList).f.flag.SetChecked(false)
			appealID = find(records.Filter{Kind: domain.KindAppeal, Status: string(domain.StatusReferred)}, func(records.Summary) bool { return true })
			reset(secAppeals, newAppealDetail(u, appealID))
		}},
		{Name: "09-appeal-step", Do: func() {
			d := newAppealDetail(u, appealID)
			reset(secAppeals, d)
			appealStep(d, domain.StatusAnswered)
		}},
		{Name: "10-appeal-publication", Do: func() {
			id := find(records.Filter{Kind: domain.KindAppeal, Status: string(domain.StatusVerified)}, func(records.Summary) bool { return true })
			d := newAppealDetail(u, id)
			reset(secAppeals, d)
			appealPublication(d)
			for _, o := range allObjects(u.lastModal.content) {
				if e, ok := o.(*controls.Entry); ok && e.MultiLine {
					e.SetText(d.rec.Summary)
					break
				}
			}
		}},
		{Name: "11-appeal-form-errors", Do: func() {
			f := newAppealForm(u, nil)
			reset(secAppeals, f)
			f.preset(map[string]string{"appellant.name": "", "appellant.phone": "0555"})
			f.save()
		}},
		{Name: "12-conflicts", Do: func() { reset(secConflicts) }},
		{Name: "13-settings", Do: func() { reset(secSettings) }},
		{Name: "14-exit-question", Do: func() {
			f := newAppealForm(u, nil)
			reset(secAppeals, f)
			f.preset(map[string]string{"summary": "Милиция арызды каттоодон баш тартты"})
			u.RequestClose()
		}},
		{Name: "15-lock", Do: func() {
			if u.exitDialog != nil {
				u.exitDialog.Hide()
			}
			u.DiscardInput()
			u.lock()
		}},
	}
}

func (u *UI) firstRunTour(pass string) []TourStep {
	return []TourStep{
		{Name: "00a-firstrun-language", Do: func() { u.fr.goTo("language") }},
		{Name: "00b-firstrun-create", Do: func() {
			u.fr.goTo("create")
			u.firstForm.pass.SetText("кызыл алма")
			u.firstForm.again.SetText("кызыл алма")
		}},
	}
}

// hideModal closes the dialog the tour opened last.
func (u *UI) hideModal() {
	if u.lastModal != nil {
		u.lastModal.d.Hide()
		u.lastModal = nil
	}
}

// allObjects walks containers and scrolls (what the tour needs to find a
// field inside a dialog).
func allObjects(o fyne.CanvasObject) []fyne.CanvasObject {
	out := []fyne.CanvasObject{o}
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			out = append(out, allObjects(c)...)
		}
	case *container.Scroll:
		out = append(out, allObjects(x.Content)...)
	case *widget.Card:
		out = append(out, allObjects(x.Content)...)
	}
	return out
}
