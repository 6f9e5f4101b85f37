package domain

import (
	"errors"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
)

func validGrant() Grant {
	return Grant{
		ID: NewID(), Council: "NRN-ATB", Purpose: "Кампания: жергиликтүү бюджетти ачык талкуулоо",
		Amount: 150000, Currency: "KGS", StartOn: caldate.MustParse("2026-03-01"), EndOn: caldate.MustParse("2026-09-30"),
		Milestones: []Milestone{
			{ID: "0190e0b2-0000-7000-8000-000000000001", Title: "Угуу өткөрүлдү", Due: caldate.MustParse("2026-05-15")},
			{ID: "0190e0b2-0000-7000-8000-000000000002", Title: "Отчет", Due: caldate.MustParse("2026-09-30")},
		},
		Reports:       []MilestoneReport{{ID: "0190e0b2-0000-7000-8000-000000000001", Met: true, MetOn: caldate.MustParse("2026-05-10")}},
		Disbursements: []Disbursement{{ID: "0190e0b2-0000-7000-8000-0000000000d1", On: caldate.MustParse("2026-03-05"), Amount: 100000}},
	}
}

func TestGrantValidate(t *testing.T) {
	today := caldate.MustParse("2026-06-01")
	cases := []struct {
		name   string
		change func(g *Grant)
		field  string // "" valid
		code   string
		words  string // in the message
	}{
		{"valid", func(*Grant) {}, "", "", ""},
		{"no purpose", func(g *Grant) { g.Purpose = " " }, "purpose", CodeRequired, "required"},
		{"zero amount", func(g *Grant) { g.Amount = 0 }, "amount", CodeRange, "positive"},
		{"negative amount", func(g *Grant) { g.Amount = -5 }, "amount", CodeRange, "positive"},
		{"too many zeros", func(g *Grant) { g.Amount = 15_000_000_000 }, "amount", CodeRange, "zeros"},
		{"dollars", func(g *Grant) { g.Currency = "USD" }, "currency", CodeUnknown, "Kyrgyz som"},
		{"no start", func(g *Grant) { g.StartOn = caldate.Date{} }, "start_on", CodeRequired, "required"},
		{"ends before it starts", func(g *Grant) { g.EndOn = caldate.MustParse("2026-02-01") }, "end_on", CodeRange, "not after it starts on 2026-03-01"},
		{"ends the day it starts", func(g *Grant) { g.EndOn = g.StartOn }, "end_on", CodeRange, "not after"},
		{"no council", func(g *Grant) { g.Council = "" }, "council", CodeRequired, "council"},
		{"milestone without title", func(g *Grant) { g.Milestones[0].Title = "" }, "milestones/0190e0b2-0000-7000-8000-000000000001.title", CodeRequired, "required"},
		{"milestone after the end", func(g *Grant) { g.Milestones[1].Due = caldate.MustParse("2026-10-01") }, "milestones/0190e0b2-0000-7000-8000-000000000002.due", CodeRange, "outside the grant (2026-03-01 to 2026-09-30)"},
		{"milestone twice", func(g *Grant) { g.Milestones[1].ID = g.Milestones[0].ID }, "milestones/0190e0b2-0000-7000-8000-000000000001", CodeFormat, "twice"},
		{"report of no milestone", func(g *Grant) { g.Reports[0].ID = "0190e0b2-0000-7000-8000-000000000009" }, "reports/0190e0b2-0000-7000-8000-000000000009", CodeUnknown, "does not have"},
		{"met without a day", func(g *Grant) { g.Reports[0].MetOn = caldate.Date{} }, "reports/0190e0b2-0000-7000-8000-000000000001.met_on", CodeRequired, "the day the milestone was met"},
		{"not met with a day", func(g *Grant) { g.Reports[0].Met = false }, "reports/0190e0b2-0000-7000-8000-000000000001.met_on", CodeMismatch, "not met"},
		{"met in the future", func(g *Grant) { g.Reports[0].MetOn = caldate.MustParse("2026-06-02") }, "reports/0190e0b2-0000-7000-8000-000000000001.met_on", CodeRange, "future"},
		{"met before the start", func(g *Grant) { g.Reports[0].MetOn = caldate.MustParse("2026-02-20") }, "reports/0190e0b2-0000-7000-8000-000000000001.met_on", CodeRange, "before the grant starts"},
		{"disbursement of nothing", func(g *Grant) { g.Disbursements[0].Amount = 0 }, "disbursements/0190e0b2-0000-7000-8000-0000000000d1.amount", CodeRange, "positive"},
		{"disbursement without a day", func(g *Grant) { g.Disbursements[0].On = caldate.Date{} }, "disbursements/0190e0b2-0000-7000-8000-0000000000d1.on", CodeRequired, "required"},
		{"disbursed over the amount", func(g *Grant) {
			g.Disbursements = append(g.Disbursements, Disbursement{ID: "0190e0b2-0000-7000-8000-0000000000d2", On: caldate.MustParse("2026-05-20"), Amount: 50001})
		}, "disbursements", CodeRange, "150001 som disbursed in all, more than the grant's 150000 som"},
		{"disbursed exactly the amount", func(g *Grant) {
			g.Disbursements = append(g.Disbursements, Disbursement{ID: "0190e0b2-0000-7000-8000-0000000000d2", On: caldate.MustParse("2026-05-20"), Amount: 50000})
		}, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := validGrant()
			c.change(&g)
			err := g.Validate(today)
			if c.field == "" {
				if err != nil {
					t.Fatalf("valid grant refused: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("want a validation error, got %v", err)
			}
			for _, fe := range ve.Fields {
				if fe.Field == c.field && fe.Code == c.code && strings.Contains(fe.Message, c.words) {
					return
				}
			}
			t.Fatalf("want %s %s %q, got %v", c.field, c.code, c.words, err)
		})
	}
}

func TestGrantDerived(t *testing.T) {
	g := validGrant()
	if g.Disbursed() != 100000 || g.MetCount() != 1 {
		t.Fatalf("disbursed %d, met %d", g.Disbursed(), g.MetCount())
	}
	if got := g.NextDue(); got != caldate.MustParse("2026-09-30") {
		t.Fatalf("next due %s: the first milestone is met", got)
	}
	g.Reports = nil
	if got := g.NextDue(); got != caldate.MustParse("2026-05-15") {
		t.Fatalf("next due %s", got)
	}
	g.Reports = []MilestoneReport{{ID: g.Milestones[0].ID, Met: true}, {ID: g.Milestones[1].ID, Met: true}}
	if !g.NextDue().IsZero() {
		t.Fatal("every milestone met: nothing is due")
	}
	n := Grant{Currency: " kgs ", Milestones: []Milestone{{Title: "b", Due: caldate.MustParse("2026-05-02")}, {Title: "a", Due: caldate.MustParse("2026-05-01")}}, Disbursements: []Disbursement{{Amount: 1}}}
	n.Normalize()
	if n.Currency != "KGS" || n.Milestones[0].Title != "a" || !ValidID(n.Milestones[1].ID) || !ValidID(n.Disbursements[0].ID) {
		t.Fatalf("normalized %+v", n)
	}
	e := Grant{}
	e.Normalize()
	if e.Currency != CurrencyKGS {
		t.Fatalf("the default currency: %q", e.Currency)
	}
}

func TestGrantFaultFields(t *testing.T) {
	cases := []struct {
		field string
		want  string
	}{
		{"end_on", "start_on end_on"},
		{"disbursements", "amount disbursements/"},
		{"milestones/x.due", "milestones/x start_on end_on"},
		{"milestones/x.title", "milestones/x"},
		{"reports/x.met_on", "reports/x milestones/x start_on"},
		{"purpose", "purpose"},
	}
	for _, c := range cases {
		if got := strings.Join(GrantFaultFields(FieldError{Field: c.field}), " "); got != c.want {
			t.Errorf("%s: %q, want %q", c.field, got, c.want)
		}
	}
}
