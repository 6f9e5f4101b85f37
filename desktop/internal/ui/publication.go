package ui

import (
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// publicLine is one line of what the public register shows.
type publicLine struct{ label, value string }

// publicView is what the public will read of an appeal: no name, contact,
// address, PIN or village of the appellant (Law No. 58), only the public
// summary written for it (never the internal description), and the
// appellant's name only with their recorded consent.
func (u *UI) publicView(a *domain.Appeal) []publicLine {
	lines := []publicLine{
		{u.T("field.reg_no"), a.RegNo},
		{u.T("field.received_on"), u.tr.LongDate(a.ReceivedOn)},
		{u.T("field.oblast"), u.regionName(a.Oblast)},
	}
	if a.District != "" {
		lines = append(lines, publicLine{u.T("field.district"), u.districtName(a.District)})
	}
	lines = append(lines,
		publicLine{u.T("field.category"), u.termName(refdata.RightCategories, a.Category)},
	)
	if a.Authority != "" {
		lines = append(lines, publicLine{u.T("field.authority"), u.termName(refdata.Authorities, a.Authority)})
	}
	lines = append(lines, publicLine{u.T("field.status"), u.statusName(string(a.Status))})
	who := u.T("publication.anonymous")
	if a.PublishIdentityConsent && !a.Anonymous && a.Appellant != nil && a.Appellant.Name != "" {
		who = a.Appellant.Name
	}
	lines = append(lines, publicLine{u.T("field.appellant"), who})
	summary := a.PublicSummary
	if summary == "" {
		summary = u.T("publication.no_summary")
	}
	lines = append(lines, publicLine{u.T("field.public_summary"), summary})
	return lines
}

// publishable reports whether an appeal's status allows publication.
func publishable(s domain.Status) bool {
	switch s {
	case domain.StatusVerified, domain.StatusReferred, domain.StatusAnswered, domain.StatusClosed:
		return true
	}
	return false
}
