package ui

import (
	"context"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"sort"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

func (u *UI) catalog() *refdata.Catalog {
	if u.sess != nil {
		return u.sess.Records().Catalog()
	}
	return refdata.Default()
}

// roleName is an enrollment role for a person.
func (u *UI) roleName(code string) string {
	if k := "role." + code; u.tr.Has(k) {
		return u.T(k)
	}
	return code
}

func (u *UI) statusName(code string) string {
	if code == "" {
		return ""
	}
	return u.T("status." + code)
}

func (u *UI) termName(list refdata.List, code string) string {
	if code == "" {
		return ""
	}
	if t, ok := u.catalog().Term(list, code); ok {
		return t.Names.In(u.Lang())
	}
	return code
}

func (u *UI) regionName(code string) string {
	if r, ok := u.catalog().Region(code); ok {
		return r.Names.In(u.Lang())
	}
	return code
}

func (u *UI) districtName(code string) string {
	if d, _, ok := u.catalog().District(code); ok {
		return d.Names.In(u.Lang())
	}
	return code
}

// councils returns the installation's councils (codes and "name (code)").
func (u *UI) councils() (codes, names []string) {
	cs, err := u.sess.Records().Councils(context.Background())
	if err != nil {
		u.log.Warn("reading councils", "err", err)
	}
	for _, c := range cs {
		codes = append(codes, c.Code)
		names = append(names, c.Name+" ("+c.Code+")")
	}
	return codes, names
}

func (u *UI) councilName(code string) string {
	cs, _ := u.sess.Records().Councils(context.Background())
	for _, c := range cs {
		if c.Code == code {
			return c.Name
		}
	}
	return code
}

func (u *UI) regionChoices() (codes, names []string) {
	for _, r := range u.catalog().Regions() {
		codes = append(codes, r.Code)
		names = append(names, r.Names.In(u.Lang()))
	}
	return codes, names
}

func (u *UI) districtChoices(region string) (codes, names []string) {
	r, ok := u.catalog().Region(region)
	if !ok {
		return nil, nil
	}
	for _, d := range r.Districts {
		codes = append(codes, d.Code)
		names = append(names, d.Names.In(u.Lang()))
	}
	return codes, names
}

// periods a list can be narrowed to, computed from today.
var periods = []string{"", "month", "quarter", "year", "last_year"}

func periodRange(p string, today caldate.Date) (from, to caldate.Date) {
	switch p {
	case "month":
		return caldate.New(today.Year(), today.Month(), 1), today
	case "quarter":
		return today.AddDays(-91), today
	case "year":
		return caldate.New(today.Year(), 1, 1), today
	case "last_year":
		return caldate.New(today.Year()-1, 1, 1), caldate.New(today.Year()-1, 12, 31)
	}
	return caldate.Date{}, caldate.Date{}
}

func (u *UI) periodSelect(changed func(string)) *controls.CodeSelect {
	names := make([]string, 0, len(periods)-1)
	for _, p := range periods[1:] {
		names = append(names, u.T("period."+p))
	}
	return u.newCodeSelect(periods[1:], names, u.T("period.any"), changed)
}

func (u *UI) statusSelect(anyLabel string, changed func(string)) *controls.CodeSelect {
	var codes, names []string
	for _, s := range domain.Statuses {
		codes = append(codes, string(s))
		names = append(names, u.statusName(string(s)))
	}
	return u.newCodeSelect(codes, names, anyLabel, changed)
}

// pageSize is how many list lines are read at a time as a list scrolls.
const pageSize = 200

// pager feeds a virtualised list from the index a page at a time, so that
// a list of 100,000 records builds only the lines on screen.
type pager struct {
	u     *UI
	f     records.Filter
	total int
	pages map[int][]records.Summary
	all   []records.Summary // the whole list, when it is sorted here (late first)
}

func (p *pager) reset(f records.Filter) {
	p.f, p.pages, p.all = f, map[int][]records.Summary{}, nil
	if f.Overdue || f.DueSoon > 0 {
		// What is late is read whole and put in order of lateness, the
		// most overdue first: a short list, and the order that matters.
		p.all = lateFirst(p.u.summaries(f))
		p.total = len(p.all)
		return
	}
	rows, total, err := p.u.sess.Records().ListPage(f, 0, pageSize)
	if err != nil {
		p.u.log.Warn("list", "err", err)
	}
	p.total, p.pages[0] = total, rows
}

// lateFirst orders records by their deadline, the earliest (most late)
// first: an appeal's answer date, an event's next follow-up date.
func lateFirst(rows []records.Summary) []records.Summary {
	due := func(s records.Summary) *caldate.Date {
		if s.Kind == domain.KindEvent || s.Kind == domain.KindGrant {
			return s.DueNext
		}
		return s.AnswerBy
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := due(rows[i]), due(rows[j])
		switch {
		case a == nil:
			return false
		case b == nil:
			return true
		}
		return a.Before(*b)
	})
	return rows
}

// at returns line i, reading its page if needed.
func (p *pager) at(i int) (records.Summary, bool) {
	if p.all != nil {
		if i < len(p.all) {
			return p.all[i], true
		}
		return records.Summary{}, false
	}
	n := i / pageSize
	rows, ok := p.pages[n]
	if !ok {
		if len(p.pages) > 50 { // a long scroll: keep memory flat
			p.pages = map[int][]records.Summary{}
		}
		var err error
		rows, _, err = p.u.sess.Records().ListPage(p.f, n*pageSize, pageSize)
		if err != nil {
			p.u.log.Warn("list page", "err", err)
		}
		p.pages[n] = rows
	}
	if k := i % pageSize; k < len(rows) {
		return rows[k], true
	}
	return records.Summary{}, false
}

// summaries is what a list shows: the index answers in milliseconds even
// for 100,000 records, so every keystroke can query again.
func (u *UI) summaries(f records.Filter) []records.Summary {
	out, err := u.sess.Records().List(f)
	if err != nil {
		u.log.Warn("list", "err", err)
	}
	return out
}
