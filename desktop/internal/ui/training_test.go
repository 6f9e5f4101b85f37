package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/xlsform"
)

// overlayButton is the button labelled text on the dialog on top.
func overlayButton(h *harness, text string) *widget.Button {
	h.t.Helper()
	top := h.win.Canvas().Overlays().Top()
	if top != nil {
		for _, o := range test.LaidOutObjects(top) {
			if b, ok := o.(*widget.Button); ok && b.Visible() && b.Text == text {
				return b
			}
		}
	}
	h.t.Fatalf("no dialog with a button %q", text)
	return nil
}

// scrollTo scrolls the scroll inside o that holds the label text so that
// the label is at its top (for a screenshot of a section further down).
func scrollTo(h *harness, o fyne.CanvasObject, text string) {
	h.t.Helper()
	// at is where the label is inside x, if it is.
	var at func(x fyne.CanvasObject) (fyne.Position, bool)
	at = func(x fyne.CanvasObject) (fyne.Position, bool) {
		if l, ok := x.(*widget.Label); ok && l.Text == text {
			return l.Position(), true
		}
		var kids []fyne.CanvasObject
		switch c := x.(type) {
		case *fyne.Container:
			kids = c.Objects
		case fyne.Widget:
			kids = test.WidgetRenderer(c).Objects()
		}
		for _, k := range kids {
			if p, ok := at(k); ok {
				return p.Add(x.Position()), true
			}
		}
		return fyne.Position{}, false
	}
	scroll := func() bool {
		for _, x := range test.LaidOutObjects(o) {
			if sc, ok := x.(*container.Scroll); ok {
				if p, ok := at(sc.Content); ok {
					sc.ScrollToOffset(fyne.NewPos(0, p.Y-sc.Content.Position().Y-12))
					return true
				}
			}
		}
		return false
	}
	// Once more after the queue is drained: a change that arrived
	// meanwhile draws the page again, from its top.
	h.drain()
	if !scroll() {
		h.t.Fatalf("no scroll holds %q", text)
	}
	h.drain()
	scroll()
}

// selectsIn are the drop-downs inside o, in order.
func selectsIn(o fyne.CanvasObject) []*controls.CodeSelect {
	var out []*controls.CodeSelect
	for _, x := range test.LaidOutObjects(o) {
		if s, ok := x.(*controls.CodeSelect); ok {
			out = append(out, s)
		}
	}
	return out
}

func modalEntries(h *harness) []*controls.Entry {
	var out []*controls.Entry
	for _, o := range test.LaidOutObjects(h.u.lastModal.content) {
		if e, ok := o.(*controls.Entry); ok {
			out = append(out, e)
		}
	}
	return out
}

// A training's page on the council's laptop in each language: the list
// it has, counted in the participants' table; an attendee added with the
// mouse (refused first without a name and group, the dialog keeping what
// was typed), corrected and removed; a material marked used and unmarked;
// the tests before and after, with the share correct and the mean.
func TestTrainingPage(t *testing.T) {
	for _, lang := range []string{"ky", "ru", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := unlocked(t, lang, 0, 0, 0)
			ctx := context.Background()
			svc := h.u.sess.Records()
			content := make([]byte, 50_000)
			rand.Read(content)
			m, err := h.u.sess.Files().Publish(ctx, files.MaterialInput{Title: "Кайрылуулар менен иштөө боюнча колдонмо", Language: "ky",
				File: files.Input{Name: "колдонмо.pdf"}}, bytes.NewReader(content))
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile("../../../shared/xlsform/testdata/training_test.xlsx")
			if err != nil {
				t.Fatal(err)
			}
			form, err := xlsform.Read(data)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.PublishQuestionnaire(ctx, form, "training_test.xlsx"); err != nil {
				t.Fatal(err)
			}
			c := h.firstCouncil()
			if err := svc.Enroll(ctx, records.Enrollment{Server: "http://127.0.0.1:1", ServerID: "s", Token: "k1.x", Council: c.Code, Role: domain.RoleSecretary, Name: "Катчы"}); err != nil {
				t.Fatal(err)
			}
			h.u.shell.rebuild()
			h.u.shell.show()
			ev, err := svc.CreateEvent(ctx, domain.Event{Council: c.Code, Kind: domain.EventKindTraining, Title: "Кайрылуулар менен иштөө: окуу",
				Date: svc.Today().AddDays(-1), Oblast: c.Oblast, District: c.District, Venue: "Айыл өкмөтүнүн залы"})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.SaveAttendees(ctx, ev.ID, []domain.Attendee{
				{Name: "Гүлнара Үсөнова", Gender: "female", Group: "council_members", Organisation: "Коомдук кеңеш"},
				{Name: "Өмүрбек Ңуров", Gender: "male", Group: "officials", Organisation: "Айыл өкмөтү"},
			}); err != nil {
				t.Fatal(err)
			}
			for _, a := range []string{
				`{"stage": "pre", "q1": "d30", "q2": "anyone", "q3": ["request"], "confidence": 2}`,
				`{"stage": "pre", "q1": "d14", "q2": "anyone", "q3": ["fine"], "confidence": 3}`,
				`{"stage": "post", "q1": "d14", "q2": "council", "q3": ["request", "hearing"], "confidence": 4}`,
				`{"stage": "post", "q1": "d14", "q2": "anyone", "q3": ["request", "hearing"], "confidence": 5}`,
			} {
				if _, err := svc.SaveResponse(ctx, domain.Response{FormID: "training_test", Council: c.Code, Event: ev.ID, Answers: answersJSON(t, a)}); err != nil {
					t.Fatal(err)
				}
			}

			d := newEventDetail(h.u, ev.ID)
			h.u.shell.push(d)
			h.drain()
			h.mustShow(h.T("training.attendance", "n", 2))
			h.mustShow("Гүлнара Үсөнова")
			h.mustShow(h.T("training.counted_from_list"))
			h.mustShow(h.T("training.materials_none"))
			// Before: 0 and 1 of 3 right; after: 3 and 2 of 3.
			h.mustShow(h.T("training.results_counts", "pre", 2, "post", 2))
			h.mustShow(h.T("training.score", "pre", h.T("training.percent", "n", 17), "post", h.T("training.percent", "n", 83)))
			h.mustShow(h.T("training.percent", "n", 50)) // q1 before; q2 after
			h.mustShow(decimal(h.u, xlsform.Stat{N: 2, Value: 4.5}))

			// Added with the mouse: refused without a name and group, then saved.
			test.Tap(d.steps["attendee.add"])
			h.drain()
			test.Tap(overlayButton(h, h.T("action.save")))
			h.drain()
			h.mustShow(h.T("err.required"))
			if got, _ := svc.Event(ctx, ev.ID); len(got.Attendees) != 2 {
				t.Fatalf("saved without a name: %+v", got.Attendees)
			}
			entries := modalEntries(h)
			entries[0].SetText("Ботагөз Ыдырысова")
			entries[1].SetText("Нарын FM")
			sels := selectsIn(h.u.lastModal.content) // gender, group
			if len(sels) != 2 {
				t.Fatalf("%d drop-downs in the dialog", len(sels))
			}
			sels[0].SetCode("female")
			sels[1].SetCode("journalists")
			test.Tap(overlayButton(h, h.T("action.save")))
			h.drain()
			h.waitFor("three on the list", func() bool { return h.shows(h.T("training.attendance", "n", 3)) })
			got, _ := svc.Event(ctx, ev.ID)
			var added domain.Attendee
			for _, a := range got.Attendees {
				if a.Name == "Ботагөз Ыдырысова" {
					added = a
				}
			}
			if added.Group != "journalists" || added.Gender != "female" || added.Organisation != "Нарын FM" {
				t.Fatalf("added: %+v", got.Attendees)
			}
			if n := got.Counted()["journalists"]; n.Female != 1 {
				t.Errorf("counted: %v", got.Counted())
			}
			if lang == "ky" {
				scrollTo(h, d.body, h.T("training.materials"))
				shot(t, h, "ky-12f-training-results.png")
				scrollTo(h, d.body, h.T("training.attendance", "n", 3))
				shot(t, h, "ky-12e-training.png")
			}

			// Corrected.
			test.Tap(d.steps["attendee.edit."+added.ID])
			h.drain()
			modalEntries(h)[1].SetText("Нарын радиосу")
			test.Tap(overlayButton(h, h.T("action.save")))
			h.drain()
			if a, _ := mustEvent(t, svc, ev.ID).Attendee(added.ID); a.Organisation != "Нарын радиосу" || a.Name != "Ботагөз Ыдырысова" {
				t.Fatalf("corrected: %+v", a)
			}

			// Removed, after a question.
			test.Tap(d.steps["attendee.remove."+added.ID])
			h.drain()
			test.Tap(overlayButton(h, h.T("training.remove")))
			h.drain()
			h.waitFor("two on the list", func() bool { return h.shows(h.T("training.attendance", "n", 2)) })
			if _, ok := mustEvent(t, svc, ev.ID).Attendee(added.ID); ok {
				t.Fatal("still on the list")
			}

			// A material marked used, then not.
			var sel *controls.CodeSelect
			for _, x := range selectsIn(d.body) {
				if slices.Contains(x.Codes(), m.ID) {
					sel = x
				}
			}
			if sel == nil {
				t.Fatal("no drop-down of materials")
			}
			sel.SetCode(m.ID)
			test.Tap(d.steps["material.use"])
			h.drain()
			if !mustEvent(t, svc, ev.ID).UsesMaterial(m.ID) {
				t.Fatal("the material is not marked used")
			}
			h.mustShow("Кайрылуулар менен иштөө боюнча колдонмо")
			test.Tap(d.steps["material.unuse."+m.ID])
			h.drain()
			if mustEvent(t, svc, ev.ID).UsesMaterial(m.ID) {
				t.Fatal("the material is still marked used")
			}
			h.mustShow(h.T("training.materials_none"))
		})
	}
}

func mustEvent(t *testing.T, svc *records.Service, id string) *domain.Event {
	t.Helper()
	e, err := svc.Event(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func answersJSON(t *testing.T, js string) []domain.Answer {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	var out []domain.Answer
	for k, v := range m {
		out = append(out, domain.Answer{ID: k, Value: v})
	}
	return out
}
