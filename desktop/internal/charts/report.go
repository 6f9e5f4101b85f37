package charts

import (
	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/shared/refdata"
)

// Chart ids.
const (
	ByOblast       = "by_oblast"
	ByCategory     = "appeals_by_category"
	ByMonth        = "by_month"
	ParticipantsBy = "participants_by_gender"
)

// ForReport makes the charts of a report: appeals and events by oblast
// (from byOblast, a report of the same filter by oblast), appeals by the
// right at stake, appeals and events over the months (from byMonth, by
// month), participants by group and gender. A report it lacks is left
// out (nil).
func ForReport(r, byOblast, byMonth *reports.Report, w reports.Words) []Chart {
	tr := w.Tr
	var out []Chart
	if byOblast != nil {
		c := Chart{ID: ByOblast, Title: tr.T("chart.by_oblast"), Horizontal: true}
		ap := Series{Name: tr.T("report.col.appeals"), Color: Blue}
		ev := Series{Name: tr.T("report.col.events"), Color: Orange}
		for _, g := range byOblast.Groups {
			c.Labels = append(c.Labels, w.Group(reports.ByOblast, g.Key))
			ap.Values = append(ap.Values, float64(g.Appeals.Total))
			ev.Values = append(ev.Values, float64(g.Events.Total))
		}
		c.Series = []Series{ap, ev}
		reverse(&c) // top to bottom as the table reads
		out = append(out, c)
	}
	if r != nil {
		c := Chart{ID: ByCategory, Title: tr.T("chart.by_category"), Horizontal: true, Unit: tr.T("report.col.appeals")}
		s := Series{Name: tr.T("report.col.appeals"), Color: Blue}
		for _, t := range w.Cat.Terms(refdata.RightCategories) {
			if n := r.Summary.Appeals.ByCategory[t.Code]; n > 0 {
				c.Labels = append(c.Labels, t.Names.In(tr.Lang))
				s.Values = append(s.Values, float64(n))
			}
		}
		c.Series = []Series{s}
		reverse(&c)
		out = append(out, c)
	}
	if byMonth != nil {
		c := Chart{ID: ByMonth, Title: tr.T("chart.by_month")}
		ap := Series{Name: tr.T("report.col.appeals"), Color: Blue}
		ev := Series{Name: tr.T("report.col.events"), Color: Orange}
		for _, g := range byMonth.Groups {
			if g.Key == reports.None {
				continue
			}
			c.Labels = append(c.Labels, w.Group(reports.ByMonth, g.Key))
			ap.Values = append(ap.Values, float64(g.Appeals.Total))
			ev.Values = append(ev.Values, float64(g.Events.Total))
		}
		c.Series = []Series{ap, ev}
		out = append(out, c)
	}
	if r != nil {
		c := Chart{ID: ParticipantsBy, Title: tr.T("chart.participants"), Horizontal: true, Stacked: true, Unit: tr.T("report.col.participants")}
		f := Series{Name: tr.T("field.female"), Color: Pink}
		m := Series{Name: tr.T("field.male"), Color: Blue}
		u := Series{Name: tr.T("field.unspecified"), Color: Grey}
		for _, t := range w.Cat.Terms(refdata.ParticipantGroups) {
			g := r.Summary.Events.Participants[t.Code]
			c.Labels = append(c.Labels, t.Names.In(tr.Lang))
			f.Values = append(f.Values, float64(g.Female))
			m.Values = append(m.Values, float64(g.Male))
			u.Values = append(u.Values, float64(g.Unspecified))
		}
		c.Series = []Series{f, m, u}
		reverse(&c)
		out = append(out, c)
	}
	return out
}

// reverse turns a horizontal chart's categories over: the plot draws the
// first at the bottom, a table lists it at the top.
func reverse(c *Chart) {
	rev := func(n int, swap func(i, j int)) {
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			swap(i, j)
		}
	}
	rev(len(c.Labels), func(i, j int) { c.Labels[i], c.Labels[j] = c.Labels[j], c.Labels[i] })
	for k := range c.Series {
		v := c.Series[k].Values
		rev(len(v), func(i, j int) { v[i], v[j] = v[j], v[i] })
	}
}
