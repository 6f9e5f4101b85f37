package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
)

// A grant in each language: no grant panel on the home screen before
// there is a grant; a grant with a milestone past its day shows as late
// on the home screen and on the Grants page; its page lists milestones
// and disbursements; the council marks the late milestone met, and it is
// late nowhere after.
func TestGrantPage(t *testing.T) {
	for _, lang := range []string{"ky", "ru", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := unlocked(t, lang, 0, 0, 0)
			svc := h.u.sess.Records()
			today := svc.Today() // 2026-11-25
			if h.shows(h.T("home.grants_late_none")) || h.shows(h.T("home.grants_late", "n", 0)) {
				t.Fatal("a grant panel with no grant here")
			}
			c := h.firstCouncil()
			g, err := svc.SaveGrant(context.Background(), domain.Grant{Council: c.Code, Purpose: "Жергиликтүү бюджетти ачык талкуулоо кампаниясы",
				Amount: 150000, StartOn: today.AddDays(-90), EndOn: today.AddDays(90),
				Milestones: []domain.Milestone{
					{Title: "Ачык угуу өткөрүлдү", Due: today.AddDays(-10)},
					{Title: "Жыйынтык отчет", Due: today.AddDays(90)},
				},
				Disbursements: []domain.Disbursement{{On: today.AddDays(-80), Amount: 100000, Note: "№ 17"}}})
			if err != nil {
				t.Fatal(err)
			}
			h.waitFor("the late milestone on the home screen", func() bool { return h.shows(h.T("home.grants_late", "n", 1)) })

			h.tap(h.T("home.grants_all"))
			gp, ok := h.u.shell.top().(*grantsPage)
			if !ok || gp.links[g.ID] == nil {
				t.Fatalf("the Grants page lists the grant: %v", ok)
			}
			h.mustShow(h.T("grants.line", "council", c.Name, "amount", int64(150000), "paid", int64(100000), "met", 0, "total", 2))
			h.mustShow(h.T("grants.late", "n", 1))
			test.Tap(gp.links[g.ID].(fyne.Tappable))
			h.drain()
			d, ok := h.u.shell.top().(*grantDetail)
			if !ok {
				t.Fatalf("the grant's page is not shown: %T", h.u.shell.top())
			}
			h.mustShow(h.T("grant.disbursed", "paid", int64(100000), "amount", int64(150000)))
			h.mustShow(h.T("grant.milestone_line", "n", 1, "title", "Ачык угуу өткөрүлдү", "date", today.AddDays(-10)))
			h.mustShow(h.T("grant.late_days", "days", 10))
			h.mustShow(h.T("grant.not_reported"))
			h.mustShow(h.T("grant.disbursement_line", "date", today.AddDays(-80), "amount", int64(100000)))
			if lang == "ky" {
				shot(t, h, "ky-12d-grant.png")
			}

			first := g.MilestonesByDue()[0].ID
			test.Tap(d.marks[first])
			h.waitFor("the milestone met", func() bool { return h.shows(h.T("grant.met_on", "date", today)) })
			if got, err := svc.Grant(context.Background(), g.ID); err != nil || !got.MilestoneMet(first) {
				t.Fatalf("the report is saved: %v", err)
			}
			if h.shows(h.T("grant.late_days", "days", 10)) {
				t.Fatal("still late on its page")
			}
			h.u.shell.navigate(secHome)
			h.waitFor("nothing late on the home screen", func() bool { return h.shows(h.T("home.grants_late_none")) })

			// Withdrawn, it is late again.
			h.u.shell.push(newGrantDetail(h.u, g.ID))
			h.drain()
			h.tap(h.T("grant.unmark"))
			h.waitFor("late again", func() bool { return h.shows(h.T("grant.late_days", "days", 10)) })
			if got, err := svc.Grant(context.Background(), g.ID); err != nil || got.MilestoneMet(first) {
				t.Fatalf("the report is withdrawn: %v", err)
			}
		})
	}
}

// enrollAs makes the harness's laptop one of role (of council) and
// rebuilds the window as that role sees it.
func (h *harness) enrollAs(role, council string) {
	h.t.Helper()
	if err := h.u.sess.Records().Enroll(context.Background(), records.Enrollment{Server: "https://kenesh.example.kg", ServerID: "test", Token: "t",
		Role: role, Council: council, Name: "Сынак", At: time.Now()}); err != nil {
		h.t.Fatal(err)
	}
	h.u.shell.rebuild()
	h.u.shell.show()
	h.drain()
}

// newGrantTyped opens a new grant's form as central staff do, from the
// Grants page, and types its terms: the first council, the purpose, the
// amount and the first and last days as given (typed, so they may be
// wrong). It returns the form and the council.
func (h *harness) newGrantTyped(purpose, amount, start, end string) (*grantForm, domain.Council) {
	h.t.Helper()
	c := h.firstCouncil()
	h.enrollAs(domain.RoleCentral, "")
	h.u.shell.push(newGrantsPage(h.u))
	h.drain()
	h.tap(h.T("grant.new"))
	f, ok := h.u.shell.top().(*grantForm)
	if !ok {
		h.t.Fatalf("no grant form: %T", h.u.shell.top())
	}
	f.council.SetCode(c.Code)
	test.Type(f.purpose, purpose)
	test.Type(f.amount, amount)
	test.Type(f.start, start)
	test.Type(f.end, end)
	return f, c
}

// day is the day n days from today as the forms take it.
func (h *harness) day(n int) string {
	return h.u.tr.DateInput(h.u.sess.Records().Today().AddDays(n))
}

// Central staff record a grant in the form, in each language: what cannot
// be read and what domain.Grant.Validate refuses is shown beside its
// field in the language, nothing is saved until it is right, and nothing
// typed is lost; then they edit it. The council's secretary sees no form
// of the grant and reports a milestone with the day and what was done; a
// day in the future is refused beside the day.
func TestGrantForms(t *testing.T) {
	for _, lang := range []string{"ky", "ru", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := unlocked(t, lang, 0, 0, 0)
			ctx := context.Background()
			svc := h.u.sess.Records()
			today := svc.Today()
			day := h.day
			f, c := h.newGrantTyped("Жергиликтүү бюджетти ачык талкуулоо кампаниясы", "150 000", "31.02.2026", day(-60))
			errOf := func(name string) string {
				t.Helper()
				fl, ok := f.fs.fields[name]
				if !ok {
					t.Fatalf("no field %s", name)
				}
				return fl.err.Text
			}
			saved := func() int {
				list, err := svc.Grants(ctx, "")
				if err != nil {
					t.Fatal(err)
				}
				return len(list)
			}
			h.tap(h.T("grant.add_milestone"))
			h.tap(h.T("grant.add_disbursement"))
			m, x := f.mrows[0], f.drows[0]
			test.Type(m.title, "Ачык угуу өткөрүлдү")
			test.Type(m.due, day(200))
			test.Type(x.on, day(-5))
			test.Type(x.amount, "200000")
			h.tap(h.T("action.save"))
			if got := errOf("start_on"); got != h.T("err.format.date") || f.fs.top.Text != h.T("form.fix_marked") || saved() != 0 {
				t.Fatalf("a day that cannot be read: %q, on top %q, %d saved", got, f.fs.top.Text, saved())
			}
			// Read, but wrong: the end before the start, the milestone
			// after the end, more paid than the amount; each beside its
			// field, in the language.
			f.start.SetText(day(-30))
			h.tap(h.T("action.save"))
			for name, want := range map[string]string{"end_on": h.T("grant.err.end_on"), "disbursements": h.T("grant.err.disbursements"),
				"milestones/" + m.id: h.T("field.due") + ": " + h.T("grant.err.item.due"), "start_on": ""} {
				if got := errOf(name); !strings.Contains(got, want) || (want == "") != (got == "") {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
			if !strings.HasPrefix(f.fs.top.Text, h.T("form.fix", "n", 3)) || saved() != 0 {
				t.Fatalf("on top %q, %d saved", f.fs.top.Text, saved())
			}
			if lang == "ky" {
				shot(t, h, "ky-12e-grant-form.png")
			}
			if f.purpose.Text != "Жергиликтүү бюджетти ачык талкуулоо кампаниясы" || m.title.Text != "Ачык угуу өткөрүлдү" {
				t.Fatal("what was typed is lost")
			}
			// Back, unsaved: asked first, and the form stays.
			h.u.shell.pop()
			h.drain()
			if h.u.shell.top() != page(f) {
				t.Fatal("an unsaved grant form left without asking")
			}
			if d, ok := h.win.Canvas().Overlays().Top().(*widget.PopUp); !ok || d == nil {
				t.Fatalf("no question before leaving: %T", h.win.Canvas().Overlays().Top())
			}
			h.win.Canvas().Overlays().Remove(h.win.Canvas().Overlays().Top())
			f.end.SetText(day(300))
			x.amount.SetText("100000")
			test.Type(x.note, "№ 17")
			h.tap(h.T("action.save"))
			d, ok := h.u.shell.top().(*grantDetail)
			if !ok {
				t.Fatalf("saved, the grant's page is not shown: %T; on top %q", h.u.shell.top(), f.fs.top.Text)
			}
			g, err := svc.Grant(ctx, d.id)
			if err != nil || g.Council != c.Code || g.Amount != 150000 || g.StartOn != today.AddDays(-30) || len(g.Milestones) != 1 ||
				g.Milestones[0].ID != m.id || g.Milestones[0].Due != today.AddDays(200) || g.Disbursed() != 100000 || g.Disbursements[0].Note != "№ 17" {
				t.Fatalf("saved %+v %v", g, err)
			}
			if len(d.marks) != 0 {
				t.Fatal("central staff are offered to report the council's milestone")
			}
			// Edited: a milestone more, the amount raised.
			h.tap(h.T("action.edit"))
			f = h.u.shell.top().(*grantForm)
			if f.council != nil || len(f.mrows) != 1 || f.amount.Text != "150000" {
				t.Fatalf("the edit form: council %v, %d milestones, amount %q", f.council, len(f.mrows), f.amount.Text)
			}
			h.tap(h.T("grant.add_milestone"))
			test.Type(f.mrows[1].title, "Жыйынтык отчет")
			test.Type(f.mrows[1].due, day(10))
			f.amount.SetText("180000")
			h.tap(h.T("action.save"))
			if g, err = svc.Grant(ctx, g.ID); err != nil || len(g.Milestones) != 2 || g.Amount != 180000 || g.Disbursed() != 100000 {
				t.Fatalf("edited %+v %v", g, err)
			}

			// The council's secretary: no form, a report.
			h.enrollAs(domain.RoleSecretary, c.Code)
			h.u.shell.push(newGrantsPage(h.u))
			h.drain()
			if h.shows(h.T("grant.new")) {
				t.Fatal("a secretary is offered a new grant")
			}
			h.u.shell.push(newGrantDetail(h.u, g.ID))
			h.drain()
			d = h.u.shell.top().(*grantDetail)
			if h.shows(h.T("action.edit")) {
				t.Fatal("a secretary is offered to edit the grant")
			}
			first := g.MilestonesByDue()[0]
			test.Tap(d.writes[first.ID])
			h.drain()
			rf := d.reporting
			if rf == nil {
				t.Fatal("no report form")
			}
			rf.on.SetText(day(1))
			test.Type(rf.note, "42 киши катышты")
			h.tap(h.T("grant.report_save"))
			p := "reports/" + first.ID
			if got := rf.fs.fields[p+".met_on"].err.Text; got != h.T("grant.err.met_on") {
				t.Fatalf("met tomorrow: %q", got)
			}
			if g, _ := svc.Grant(ctx, g.ID); g.MetCount() != 0 {
				t.Fatal("a report of tomorrow saved")
			}
			rf.on.SetText(day(-1))
			if lang == "ky" {
				shot(t, h, "ky-12f-grant-report.png")
			}
			h.tap(h.T("grant.report_save"))
			h.waitFor("the milestone met", func() bool { return h.shows(h.T("grant.met_on", "date", today.AddDays(-1))) })
			h.mustShow("42 киши катышты")
			if g, err := svc.Grant(ctx, g.ID); err != nil || g.MetCount() != 1 {
				t.Fatalf("reported: %+v %v", g, err)
			} else if r, _ := g.Report(first.ID); r.MetOn != today.AddDays(-1) || r.Note != "42 киши катышты" {
				t.Fatalf("the report: %+v", r)
			}
		})
	}
}

// TestGrantDraftKeptAndOffered: what central staff type into a new grant,
// its milestones and payments included, is kept as a draft as they type;
// the next unlock offers it, continuing puts it back (each row with its
// id) over the Grants page, and saving drops the draft. An edit's draft
// opens over the grant's page with the grant's own milestone ids, and
// giving it up drops it.
func TestGrantDraftKeptAndOffered(t *testing.T) {
	h := unlocked(t, "ru", 0, 0, 0)
	ctx := context.Background()
	today := h.u.sess.Records().Today()
	// Not h.day: the days are read again after this window is closed.
	day := func(n int) string { return h.u.tr.DateInput(today.AddDays(n)) }
	f, c := h.newGrantTyped("Ачык бюджет", "150 000", day(-30), day(300))
	h.tap(h.T("grant.add_milestone"))
	h.tap(h.T("grant.add_milestone"))
	h.tap(h.T("grant.add_disbursement"))
	m1, m2, x := f.mrows[0], f.mrows[1], f.drows[0]
	test.Type(m1.title, "Ачык угуу")
	test.Type(m1.due, day(60))
	test.Type(m2.title, "Жыйынтык отчет")
	test.Type(m2.due, "31.02") // kept as typed, though it cannot be read
	test.Type(x.on, day(-5))
	test.Type(x.amount, "50000")
	test.Type(x.note, "№ 17")
	h.waitFor("the draft", func() bool {
		d, err := h.u.sess.Records().Draft(ctx)
		return err == nil && d != nil && d.Kind == domain.KindGrant && d.Inputs["disbursements/"+x.id+".note"] == "№ 17"
	})
	h.mustShow(h.T("draft.saved", "time", h.u.cfg.Now()))
	dir := h.dir
	h.u.Close()

	h2 := newHarness(t, dir, "ru", false)
	h2.u.UnlockWith(testPass)
	h2.waitFor("the offer", func() bool { return h2.shows(h2.T("draft.found_title")) })
	h2.tap(h2.T("draft.continue"))
	f2, ok := h2.u.shell.top().(*grantForm)
	if !ok {
		t.Fatalf("continuing opened %T", h2.u.shell.top())
	}
	if n := len(h2.u.shell.stack); n < 2 {
		t.Fatalf("the grant form opened alone (%d pages): Back leads nowhere", n)
	} else if _, ok := h2.u.shell.stack[n-2].(*grantsPage); !ok {
		t.Fatalf("under the form: %T, want the Grants page", h2.u.shell.stack[n-2])
	}
	if f2.council.Code() != c.Code || f2.purpose.Text != "Ачык бюджет" || f2.amount.Text != "150 000" || f2.end.Text != day(300) ||
		len(f2.mrows) != 2 || len(f2.drows) != 1 || !f2.dirty() {
		t.Fatalf("the form after continuing: council %q purpose %q amount %q end %q, %d milestones, %d payments, dirty %v",
			f2.council.Code(), f2.purpose.Text, f2.amount.Text, f2.end.Text, len(f2.mrows), len(f2.drows), f2.dirty())
	}
	for i, want := range []*milestoneRow{m1, m2} {
		if r := f2.mrows[i]; r.id != want.id || r.title.Text != want.title.Text || r.due.Text != want.due.Text {
			t.Errorf("milestone %d: %s %q %q, want %s %q %q", i, r.id, r.title.Text, r.due.Text, want.id, want.title.Text, want.due.Text)
		}
	}
	if r := f2.drows[0]; r.id != x.id || r.on.Text != day(-5) || r.amount.Text != "50000" || r.note.Text != "№ 17" {
		t.Errorf("payment: %s %q %q %q", r.id, r.on.Text, r.amount.Text, r.note.Text)
	}
	f2.mrows[1].due.SetText(day(200))
	h2.tap(h2.T("action.save"))
	d, ok := h2.u.shell.top().(*grantDetail)
	if !ok {
		t.Fatalf("saved, the grant's page is not shown: %T; on top %q", h2.u.shell.top(), f2.fs.top.Text)
	}
	if dr, err := h2.u.sess.Records().Draft(ctx); err != nil || dr != nil {
		t.Fatalf("the draft outlived the save: %+v %v", dr, err)
	}
	g, err := h2.u.sess.Records().Grant(ctx, d.id)
	if err != nil || len(g.Milestones) != 2 || g.Milestones[0].ID != m1.id || g.Disbursements[0].ID != x.id {
		t.Fatalf("saved %+v %v", g, err)
	}

	// An edit: the first milestone removed, the second's title changed,
	// kept; then a milestone comes from another laptop (central staff
	// elsewhere) and the app is closed.
	h2.tap(h2.T("action.edit"))
	f3 := h2.u.shell.top().(*grantForm)
	h2.tap(h2.T("grant.remove"))
	if len(f3.mrows) != 1 || f3.mrows[0].id != m2.id {
		t.Fatalf("the first Remove took another row: %d rows", len(f3.mrows))
	}
	f3.mrows[0].title.SetText("Жыйынтык отчет тапшырылды")
	h2.u.keepDraft()
	elsewhere := *g
	elsewhere.Milestones = append(elsewhere.Milestones, domain.Milestone{Title: "Ачык угуунун отчету", Due: today.AddDays(100)})
	g3, err := h2.u.sess.Records().SaveGrant(ctx, elsewhere)
	if err != nil || len(g3.Milestones) != 3 {
		t.Fatalf("a milestone from elsewhere: %+v %v", g3, err)
	}
	var m3 string
	for _, m := range g3.Milestones {
		if m.Title == "Ачык угуунун отчету" {
			m3 = m.ID
		}
	}
	h2.u.Close()

	h3 := newHarness(t, dir, "ru", false)
	h3.u.UnlockWith(testPass)
	h3.waitFor("the offer", func() bool { return h3.shows(h3.T("draft.found_title")) })
	h3.tap(h3.T("draft.continue"))
	f4, ok := h3.u.shell.top().(*grantForm)
	if !ok || f4.id != g.ID {
		t.Fatalf("continuing the edit opened %T", h3.u.shell.top())
	}
	if under := h3.u.shell.stack[len(h3.u.shell.stack)-2]; under.(*grantDetail).id != g.ID {
		t.Fatal("the edit's form is not over its grant's page")
	}
	// The removed milestone stays removed, the edited one is as typed,
	// the one from elsewhere is kept (saving would remove it otherwise).
	if len(f4.mrows) != 2 || f4.mrows[0].id != m2.id || f4.mrows[0].title.Text != "Жыйынтык отчет тапшырылды" ||
		f4.mrows[1].id != m3 || f4.mrows[1].title.Text != "Ачык угуунун отчету" || !f4.dirty() {
		t.Fatalf("the edit after continuing: %d milestones, dirty %v", len(f4.mrows), f4.dirty())
	}
	// Given up: Back, "discard", and no draft is left.
	h3.u.shell.pop()
	h3.tap(h3.T("form.discard"))
	if _, ok := h3.u.shell.top().(*grantDetail); !ok {
		t.Fatalf("after giving up: %T", h3.u.shell.top())
	}
	if dr, err := h3.u.sess.Records().Draft(ctx); err != nil || dr != nil {
		t.Fatalf("the draft outlived giving up: %+v %v", dr, err)
	}
}

// TestGrantReportDraftKept: what a council's secretary types into a
// milestone's report (the day and what was done) is kept as a draft as
// they type, like a record's form; leaving the grant's page asks first;
// the next unlock offers the draft, continuing opens the report's form
// on the grant's page (over the Grants page) with what was typed, and
// saving reports the milestone and drops the draft. Cancel drops it too.
func TestGrantReportDraftKept(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	ctx := context.Background()
	svc := h.u.sess.Records()
	today := svc.Today()
	c := h.firstCouncil()
	g, err := svc.SaveGrant(ctx, domain.Grant{Council: c.Code, Purpose: "Ачык бюджет", Amount: 150000, StartOn: today.AddDays(-90), EndOn: today.AddDays(90),
		Milestones: []domain.Milestone{{Title: "Ачык угуу өткөрүлдү", Due: today.AddDays(-10)}, {Title: "Жыйынтык отчет", Due: today.AddDays(90)}}})
	if err != nil {
		t.Fatal(err)
	}
	first := g.MilestonesByDue()[0].ID
	h.enrollAs(domain.RoleSecretary, c.Code)
	h.u.shell.push(newGrantsPage(h.u))
	h.u.shell.push(newGrantDetail(h.u, g.ID))
	h.drain()
	d := h.u.shell.top().(*grantDetail)
	test.Tap(d.writes[first])
	h.drain()
	if d.dirty() {
		t.Fatal("the report's form is unsaved input before anything is typed")
	}
	d.reporting.on.SetText(h.day(-2))
	test.Type(d.reporting.note, "42 киши катышты, 3 сунуш кабыл алынды")
	h.waitFor("the draft", func() bool {
		dr, err := svc.Draft(ctx)
		return err == nil && dr != nil && dr.Kind == domain.KindGrant && dr.Record == g.ID && dr.Inputs["report"] == first &&
			dr.Inputs["note"] == "42 киши катышты, 3 сунуш кабыл алынды" && dr.Inputs["met_on"] == h.day(-2)
	})
	h.mustShow(h.T("draft.saved", "time", h.u.cfg.Now()))
	h.u.shell.pop()
	h.drain()
	if h.u.shell.top() != page(d) {
		t.Fatal("the grant's page left with an unsaved report, without asking")
	}
	if o, ok := h.win.Canvas().Overlays().Top().(*widget.PopUp); !ok || o == nil {
		t.Fatalf("no question before leaving: %T", h.win.Canvas().Overlays().Top())
	}
	h.win.Canvas().Overlays().Remove(h.win.Canvas().Overlays().Top())
	dir := h.dir
	h.u.Close()

	h2 := newHarness(t, dir, "ky", false)
	h2.u.UnlockWith(testPass)
	h2.waitFor("the offer", func() bool { return h2.shows(h2.T("draft.found_title")) })
	h2.tap(h2.T("draft.continue"))
	svc2 := h2.u.sess.Records()
	d2, ok := h2.u.shell.top().(*grantDetail)
	if !ok || d2.id != g.ID {
		t.Fatalf("continuing opened %T", h2.u.shell.top())
	}
	if n := len(h2.u.shell.stack); n < 2 {
		t.Fatalf("the grant's page opened alone (%d pages): Back leads nowhere", n)
	} else if _, ok := h2.u.shell.stack[n-2].(*grantsPage); !ok {
		t.Fatalf("under the grant's page: %T, want the Grants page", h2.u.shell.stack[n-2])
	}
	rf := d2.reporting
	if rf == nil || rf.milestone != first || rf.on.Text != h2.day(-2) || rf.note.Text != "42 киши катышты, 3 сунуш кабыл алынды" || !d2.dirty() {
		t.Fatalf("the report after continuing: %+v", rf)
	}
	h2.tap(h2.T("grant.report_save"))
	h2.waitFor("the milestone met", func() bool { return h2.shows(h2.T("grant.met_on", "date", today.AddDays(-2))) })
	if got, err := svc2.Grant(ctx, g.ID); err != nil || !got.MilestoneMet(first) {
		t.Fatalf("the report continued is saved: %v", err)
	} else if r, _ := got.Report(first); r.Note != "42 киши катышты, 3 сунуш кабыл алынды" {
		t.Fatalf("the report: %+v", r)
	}
	if dr, err := svc2.Draft(ctx); err != nil || dr != nil {
		t.Fatalf("the draft outlived the save: %+v %v", dr, err)
	}

	// Typed, then given up with Cancel: no draft left.
	second := g.MilestonesByDue()[1].ID
	test.Tap(d2.writes[second])
	h2.drain()
	test.Type(d2.reporting.note, "Даярдалууда")
	h2.u.keepDraft()
	if dr, err := svc2.Draft(ctx); err != nil || dr == nil || dr.Inputs["report"] != second {
		t.Fatalf("the second report's draft: %+v %v", dr, err)
	}
	h2.tap(h2.T("action.cancel"))
	if d2.reporting != nil {
		t.Fatal("Cancel left the report's form open")
	}
	if dr, err := svc2.Draft(ctx); err != nil || dr != nil {
		t.Fatalf("the draft outlived Cancel: %+v %v", dr, err)
	}
}

// TestGrantItemFaultsReadWell: a milestone's or a payment's fault is shown
// in its row after the name of the control at fault ("Due: "), in each
// language; the words after it do not name that control again ("Срок:
// Срок этапа ...", "Күнү: Төлөмдүн күнү ..." read badly).
func TestGrantItemFaultsReadWell(t *testing.T) {
	for _, lang := range []string{"ky", "ru", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := unlocked(t, lang, 0, 0, 0)
			day := h.day
			f, _ := h.newGrantTyped("Ачык бюджет", "100000", day(-30), day(30))
			h.tap(h.T("grant.add_milestone"))
			h.tap(h.T("grant.add_disbursement"))
			h.tap(h.T("grant.add_disbursement"))
			m, late, zero := f.mrows[0], f.drows[0], f.drows[1]
			test.Type(m.title, "Ачык угуу")
			test.Type(m.due, day(200))
			test.Type(late.on, day(5))
			test.Type(late.amount, "100")
			test.Type(zero.on, day(-5))
			test.Type(zero.amount, "0")
			h.tap(h.T("action.save"))
			for _, c := range []struct{ row, control, key string }{
				{"milestones/" + m.id, "due", "grant.err.item.due"},
				{"disbursements/" + late.id, "on", "grant.err.item.on"},
				{"disbursements/" + zero.id, "amount", "grant.err.item.amount"},
			} {
				name := h.T("field." + c.control)
				got := f.fs.fields[c.row].err.Text
				if want := name + ": " + h.T(c.key); got != want {
					t.Errorf("%s: %q, want %q", c.control, got, want)
				}
				word := strings.ToLower(strings.Fields(strings.Trim(name, ",:"))[0])
				word = strings.TrimRight(word, ",")
				if n := strings.Count(strings.ToLower(got), word); n != 1 {
					t.Errorf("%s: %q names %q %d times", c.control, got, word, n)
				}
			}
		})
	}
}

// TestGrantEditKeepsWhatCameMeanwhile: a milestone and a payment another
// laptop added while the grant's form was open are still there after the
// form is saved (the form writes what it holds: they were removed).
func TestGrantEditKeepsWhatCameMeanwhile(t *testing.T) {
	h := unlocked(t, "en", 0, 0, 0)
	ctx := context.Background()
	svc := h.u.sess.Records()
	today := svc.Today()
	h.enrollAs(domain.RoleCentral, "")
	g, err := svc.SaveGrant(ctx, domain.Grant{Council: h.firstCouncil().Code, Purpose: "Open budget", Amount: 150000,
		StartOn: today.AddDays(-30), EndOn: today.AddDays(300), Milestones: []domain.Milestone{{Title: "Hearing", Due: today.AddDays(60)}}})
	if err != nil {
		t.Fatal(err)
	}
	h.u.shell.push(newGrantDetail(h.u, g.ID))
	h.drain()
	h.tap(h.T("action.edit"))
	f := h.u.shell.top().(*grantForm)
	elsewhere := *g
	elsewhere.Milestones = append(slices.Clone(g.Milestones), domain.Milestone{Title: "Report", Due: today.AddDays(200)})
	elsewhere.Disbursements = []domain.Disbursement{{On: today.AddDays(-1), Amount: 50000}}
	if _, err := svc.SaveGrant(ctx, elsewhere); err != nil {
		t.Fatal(err)
	}
	f.amount.SetText("180000")
	h.tap(h.T("action.save"))
	got, err := svc.Grant(ctx, g.ID)
	if err != nil || got.Amount != 180000 || len(got.Milestones) != 2 || len(got.Disbursements) != 1 {
		t.Fatalf("after the edit: %+v %v; on the form %q", got, err, f.fs.top.Text)
	}
}
