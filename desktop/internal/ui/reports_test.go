package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/domain"
)

// links lists the report's numbers that open lists, by their probe names.
func (p *reportsPage) links(h *harness) map[string]*controls.Link {
	out := map[string]*controls.Link{}
	for _, o := range test.LaidOutObjects(p.body) {
		if l, ok := o.(*controls.Link); ok {
			for obj, name := range h.u.names {
				if obj == fyne.CanvasObject(l) {
					out[name] = l
				}
			}
		}
	}
	return out
}

// The Reports page: the figures of this quarter, a number that opens the
// records behind it, a district, figures side by side, a past day, and a
// file saved and recorded in the history.
func TestReportsPage(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	h.u.names = map[fyne.CanvasObject]string{} // the probe's names, to find the numbers
	h.u.listRows = map[*widget.List][]fyne.CanvasObject{}
	ctx := context.Background()
	svc := h.u.sess.Records()
	c := h.firstCouncil()
	if c.District == "" {
		t.Fatalf("the first council %+v names no district", c)
	}
	for i, ch := range []string{"phone", "phone", "letter"} {
		district := "" // the letter's appeal names its district
		if ch == "letter" {
			district = c.District
		}
		_, err := svc.CreateAppeal(ctx, domain.Appeal{Council: c.Code, Channel: ch, Oblast: c.Oblast, District: district, Category: "health",
			Appellant: &domain.Appellant{Name: "Сыдыкова Айгүл " + itoa(i)}, Summary: "ФАПта дары жок"})
		if err != nil {
			t.Fatal(err)
		}
	}
	h.u.shell.navigate(secReports)
	p := h.u.shell.root(secReports).(*reportsPage)
	h.waitFor("the figures", func() bool { return p.report != nil && p.report.Summary.Appeals.Total == 3 })
	h.mustShow(h.T("report.sec.by_channel"))
	links := p.links(h)
	phone := links["reports.n."+reports.AppealsChannel+".phone"]
	if phone == nil || phone.Text != "2" {
		t.Fatalf("no link for the appeals by phone: %v", links)
	}
	// A number opens the list of the records it counts.
	test.Tap(phone)
	h.drain()
	list, ok := h.u.shell.top().(*selectionList)
	if !ok || list.rl.pg.total != 2 || !strings.Contains(list.title(), "2") {
		t.Fatalf("the list behind a number: %T %+v", h.u.shell.top(), list)
	}
	h.u.shell.pop()

	// A district: the oblast first, then one of its districts, which
	// leaves the councils of that district to choose from.
	p.oblast.SetCode(c.Oblast)
	if !slices.Contains(p.district.Codes(), c.District) {
		t.Fatalf("the districts of %s offered: %v", c.Oblast, p.district.Codes())
	}
	p.district.SetCode(c.District)
	h.waitFor("the figures of a district", func() bool {
		return p.report != nil && p.report.Filter.District == c.District && p.report.Summary.Appeals.Total == 1
	})
	for _, code := range p.council.Codes()[1:] {
		if co := h.council(code); co.District != c.District {
			t.Errorf("council %s of %s offered for district %s", code, co.District, c.District)
		}
	}
	p.oblast.SetCode("") // every oblast: no district
	h.waitFor("the figures of every oblast", func() bool {
		return p.report != nil && p.report.Filter.District == "" && p.report.Filter.Oblast == "" && p.report.Summary.Appeals.Total == 3
	})
	if p.district.Code() != "" || len(p.district.Codes()) != 1 {
		t.Errorf("districts %v (%q chosen) with every oblast", p.district.Codes(), p.district.Code())
	}

	// Side by side per council: a drop-down.
	p.by.SetSelected(h.T("report.by.council"))
	h.waitFor("the figures by council", func() bool { return p.report != nil && p.report.Filter.By == reports.ByCouncil })
	h.mustShow(h.T("report.by.council"))
	h.mustShow(c.Name)

	// As of yesterday nothing was recorded; no number opens a list.
	p.asOf.SetText(h.u.tr.DateInput(svc.Today().AddDays(-1)))
	p.load()
	h.waitFor("the figures as of yesterday", func() bool { return p.report != nil && !p.report.Filter.AsOf.IsZero() })
	if p.report.Summary.Appeals.Total != 0 || len(p.links(h)) != 0 {
		t.Errorf("as of yesterday: %d appeals, %d links", p.report.Summary.Appeals.Total, len(p.links(h)))
	}
	// A wrong day says so.
	p.asOf.SetText("32.13.2026")
	p.load()
	h.mustShow(h.T("report.bad_date"))

	// Saved: the file, and its record in the history.
	p.asOf.SetText("")
	path := filepath.Join(t.TempDir(), "отчет.xlsx")
	f, _ := p.readFilter()
	p.export(path, export.Options{Format: domain.FormatXLSX, Filter: f, Language: "ky"})
	h.waitFor("the export saved", func() bool { _, err := os.Stat(path); return err == nil && h.shows(h.T("report.export_title")) })
	xs, err := svc.Exports(ctx)
	if err != nil || len(xs) != 1 || xs[0].Format != "xlsx" || xs[0].Records != 3 {
		t.Fatalf("history %+v %v", xs, err)
	}
}

// council is the council of code, as this laptop holds it.
func (h *harness) council(code string) domain.Council {
	cs, err := h.u.sess.Records().Councils(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, c := range cs {
		if c.Code == code {
			return c
		}
	}
	h.t.Fatalf("no council %s", code)
	return domain.Council{}
}

// Personal data goes into a saved file only after a confirmation: with
// the box ticked, saving the records asks first; a PDF (the figures, no
// records) asks nothing.
func TestReportsPersonalDataAsksFirst(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	h.u.shell.navigate(secReports)
	p := h.u.shell.root(secReports).(*reportsPage)
	if !p.personal.Visible() {
		t.Fatal("no choice of personal data on a laptop that may export it")
	}
	p.personal.SetChecked(true)
	p.save(domain.FormatPDF)
	h.drain()
	if h.shows(h.T("report.personal_text")) {
		t.Fatal("a PDF asked about personal data")
	}
	p.save(domain.FormatXLSX)
	h.drain()
	h.mustShow(h.T("report.personal_text"))
}
