package ui

import (
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// publicLine is one line of what the public register shows.
type publicLine struct{ label, value string }

// publicView is the preview of what the public will read of an appeal:
// domain.Appeal.Public decides what that is (never the appellant's
// contacts, address, PIN or village; the name only with consent), this
// only puts it into words.
func (u *UI) publicView(a *domain.Appeal) []publicLine {
	p := a.Public()
	lines := []publicLine{
		{u.T("field.reg_no"), p.RegNo},
		{u.T("field.received_on"), u.tr.LongDate(p.ReceivedOn)},
		{u.T("field.oblast"), u.regionName(p.Oblast)},
	}
	if p.District != "" {
		lines = append(lines, publicLine{u.T("field.district"), u.districtName(p.District)})
	}
	lines = append(lines, publicLine{u.T("field.category"), u.termName(refdata.RightCategories, p.Category)})
	if p.Authority != "" {
		lines = append(lines, publicLine{u.T("field.authority"), u.termName(refdata.Authorities, p.Authority)})
	}
	lines = append(lines, publicLine{u.T("field.status"), u.statusName(string(p.Status))})
	who := u.T("publication.anonymous")
	if p.Named {
		who = p.Appellant
	}
	lines = append(lines, publicLine{u.T("field.appellant"), who})
	summary := p.Summary
	if summary == "" {
		summary = u.T("publication.no_summary")
	}
	lines = append(lines, publicLine{u.T("field.public_summary"), summary})
	return lines
}
