package ui

import (
	"testing"

	"fyne.io/fyne/v2"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/settings"
	"github.com/kenesh/kenesh/shared/domain"
)

// TestScreensFit1366x768 keeps every main screen within a 1366×768 laptop
// screen (less the menu bar and a taskbar), in every language and at a
// larger text size: a window whose content is larger than the screen is cut
// off, and Fyne cannot shrink it. Every text size Settings offers is
// checked.
func TestScreensFit1366x768(t *testing.T) {
	limit := fyne.NewSize(1366, 768-30-40)
	for _, lang := range []string{"ky", "ru", "en"} {
		for _, scale := range settings.ScaleChoices { // every size offered
			h := unlocked(t, lang, 60, 20, 1)
			if scale != 1 {
				h.u.set.TextScale = scale
				h.u.applyTheme()
				h.u.redraw()
			}
			s := h.u.shell
			check := func(name string) {
				t.Helper()
				h.drain()
				if got := h.win.Content().MinSize(); got.Width > limit.Width || got.Height > limit.Height {
					t.Errorf("%s at %.0f%%: %s needs %.0f×%.0f, more than %.0f×%.0f", lang, scale*100, name, got.Width, got.Height, limit.Width, limit.Height)
				}
			}
			check("home")
			for _, sec := range sections {
				s.navigate(sec)
				if rp, ok := s.root(sec).(*reportsPage); ok {
					// The figures and charts come from a goroutine.
					h.waitFor("the report", func() bool { return rp.report != nil })
				}
				check(sec)
			}
			ap := h.u.summaries(records.Filter{Kind: domain.KindAppeal})[0].ID
			ev := h.u.summaries(records.Filter{Kind: domain.KindEvent})[0].ID
			s.navigate(secAppeals)
			d := newAppealDetail(h.u, ap)
			s.push(d)
			check("appeal detail")
			s.push(newAppealForm(h.u, d.rec))
			check("appeal form")
			s.navigate(secEvents)
			e := newEventDetail(h.u, ev)
			s.push(e)
			check("event detail")
			s.push(newEventForm(h.u, e.rec))
			check("event form")
			h.u.lock()
			check("lock screen")
		}
	}
}
