package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

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
