package ui

import (
	"fmt"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"reflect"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
)

// walkRendered visits every object of the tree the way a driver draws it:
// containers' objects and, for a widget, the objects of the renderer Fyne
// keeps for that very widget (not a fresh one).
func walkRendered(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	visit(o)
	switch x := o.(type) {
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walkRendered(c, visit)
		}
	case *fyne.Container:
		for _, c := range x.Objects {
			walkRendered(c, visit)
		}
	}
}

// screenObjects is what the window shows now, dialogs and pop-ups included.
func (h *harness) screenObjects() []fyne.CanvasObject {
	var out []fyne.CanvasObject
	add := func(o fyne.CanvasObject) { out = append(out, o) }
	walkRendered(h.win.Content(), add)
	for _, o := range h.win.Canvas().Overlays().List() {
		walkRendered(o, add)
	}
	return out
}

// extendedBy returns the widget a BaseWidget inside w says it belongs to
// (what ExtendBaseWidget was given): Fyne asks the driver for the canvas,
// the position and the renderer of that widget, so it must be w itself.
// ok is false when w holds no BaseWidget.
func extendedBy(w fyne.Widget) (impl uintptr, ok bool) {
	v := reflect.ValueOf(w)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return 0, false
	}
	base := reflect.TypeOf(widget.BaseWidget{})
	var find func(s reflect.Value) (reflect.Value, bool)
	find = func(s reflect.Value) (reflect.Value, bool) {
		for i := 0; i < s.NumField(); i++ {
			f := s.Type().Field(i)
			if !f.Anonymous {
				continue
			}
			fv := s.Field(i)
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if fv.Type() == base {
				return fv, true
			}
			if fv.Kind() == reflect.Struct {
				if b, ok := find(fv); ok {
					return b, true
				}
			}
		}
		return reflect.Value{}, false
	}
	b, found := find(v.Elem())
	if !found {
		return 0, false
	}
	implField := b.FieldByName("impl")
	if !implField.IsValid() || implField.IsNil() {
		return 0, true
	}
	return implField.Elem().Pointer(), true
}

// checkWidgetsAreRendered fails for every widget on screen that Fyne would
// not find again: one whose BaseWidget belongs to another object (an
// embedded *widget.Select put on screen through a wrapper). In a real
// window such a widget gets no canvas (its pop-up crashes) and its
// refreshes go to a renderer nobody draws.
func checkWidgetsAreRendered(t *testing.T, h *harness, screen string) {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range h.screenObjects() {
		w, isWidget := o.(fyne.Widget)
		if !isWidget {
			continue
		}
		impl, ok := extendedBy(w)
		if !ok {
			continue
		}
		if impl != reflect.ValueOf(w).Pointer() {
			name := fmt.Sprintf("%T", w)
			if !seen[name] {
				seen[name] = true
				t.Errorf("%s: a %s on screen is not the widget its BaseWidget belongs to (ExtendBaseWidget was given another object): Fyne cannot find its canvas or redraw it", screen, name)
			}
		}
	}
}

// screensForTest opens every screen and dialog in turn and calls check on
// each (with the harness showing it).
func screensForTest(t *testing.T, h *harness, check func(screen string)) {
	t.Helper()
	s := h.u.shell
	check("home")
	for _, sec := range sections {
		s.navigate(sec)
		h.drain()
		check(sec)
	}
	ap := h.u.summaries(records.Filter{Kind: domain.KindAppeal, Status: string(domain.StatusReceived)})[0].ID
	ev := h.u.summaries(records.Filter{Kind: domain.KindEvent})[0].ID
	s.navigate(secAppeals)
	d := newAppealDetail(h.u, ap)
	s.push(d)
	check("appeal detail")
	appealStep(d, domain.StatusUnderReview)
	check("workflow step dialog")
	h.u.hideModal()
	appealConsultation(d)
	check("consultation dialog")
	h.u.hideModal()
	s.push(newAppealForm(h.u, d.rec))
	check("appeal edit form")
	s.popNow()
	s.newAppeal()
	check("new appeal form")
	s.popNow()
	s.navigate(secEvents)
	e := newEventDetail(h.u, ev)
	s.push(e)
	check("event detail")
	f := newEventForm(h.u, e.rec)
	f.rows("followups").AddRow("")
	s.push(f)
	check("event edit form")
	s.popNow()
	s.newEvent()
	check("new event form")
}

func TestEveryWidgetOnScreenIsTheOneFyneRenders(t *testing.T) {
	h := unlocked(t, "ky", 30, 10, 1)
	screensForTest(t, h, func(screen string) { checkWidgetsAreRendered(t, h, screen) })
}

// selects returns the drop-downs on screen.
func (h *harness) selects() []*controls.CodeSelect {
	var out []*controls.CodeSelect
	for _, o := range h.screenObjects() {
		if s, ok := o.(*controls.CodeSelect); ok && s.Visible() && !s.Disabled() {
			out = append(out, s)
		}
	}
	return out
}

// shownText is the text a drop-down draws (its renderer's), which is what
// a person reads, whatever its Selected field says.
func shownText(o fyne.Widget) string {
	for _, c := range test.WidgetRenderer(o).Objects() {
		if r, ok := c.(*widget.RichText); ok {
			return r.String()
		}
	}
	return ""
}

// TestEveryDropDownShowsWhatIsChosen opens every drop-down of every screen
// as a person does (a tap, then a tap on an option of the pop-up) and
// checks that the field then shows that option and gives back its code.
func TestEveryDropDownShowsWhatIsChosen(t *testing.T) {
	h := unlocked(t, "ky", 30, 10, 1)
	total := 0
	screensForTest(t, h, func(screen string) {
		for i := 0; ; i++ {
			// Found again each time: a choice may redraw the page (text size).
			sels := h.selects()
			if i >= len(sels) {
				break
			}
			s := sels[i]
			if len(s.Options) < 2 {
				continue
			}
			total++
			before := len(h.win.Canvas().Overlays().List())
			test.Tap(s)
			h.drain()
			overlays := h.win.Canvas().Overlays().List()
			if len(overlays) <= before {
				t.Errorf("%s: drop-down %d (%q) opened no list", screen, i, s.Selected)
				continue
			}
			menu := overlays[len(overlays)-1]
			// The last option: never the one a form starts with.
			pick := len(s.Options) - 1
			if s.SelectedIndex() == pick {
				pick = 1
			}
			want := s.Options[pick]
			var item fyne.Tappable
			for _, o := range test.LaidOutObjects(menu) {
				if it, ok := o.(fyne.Tappable); ok && menuItemText(o) == want {
					item = it
				}
			}
			if item == nil {
				t.Errorf("%s: drop-down %d lists no option %q", screen, i, want)
				menu.Hide()
				continue
			}
			item.Tapped(&fyne.PointEvent{})
			h.drain()
			if got := shownText(s); got != want {
				t.Errorf("%s: drop-down %d: chose %q, it shows %q", screen, i, want, got)
			}
			if s.Code() != s.Codes()[pick] {
				t.Errorf("%s: drop-down %d: chose %q, its code is %q, want %q", screen, i, want, s.Code(), s.Codes()[pick])
			}
		}
	})
	if total < 20 {
		t.Fatalf("only %d drop-downs were tried: the walk misses screens", total)
	}
}

// menuItemText is the label of a pop-up menu's item.
func menuItemText(o fyne.CanvasObject) string {
	v := reflect.ValueOf(o)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := v.Elem().FieldByName("Item")
	if !f.IsValid() || f.IsNil() {
		return ""
	}
	if mi, ok := f.Interface().(*fyne.MenuItem); ok {
		return mi.Label
	}
	return ""
}
