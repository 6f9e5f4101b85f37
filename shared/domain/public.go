package domain

import "github.com/kenesh/kenesh/shared/caldate"

// PublicAppeal is everything the public may read of an appeal: what the
// public register shows, the desktop app previews, and a subject-access
// answer reports as "what the public register shows of you" (an
// anonymised export follows its own rule, Anonymised, which never carries
// the name). It is built field by field
// from the appeal (Appeal.Public), never by copying it and blanking
// fields, so a field added to Appeal stays private until it is added here.
//
// Never in it (Law No. 58 on personal data): the appellant's contacts,
// address or personal number (PIN), the village (in a small village it
// names the person), the internal summary and description, the notes of
// the workflow and of the review, consultations and files. The name only
// with the appellant's recorded consent, and never for an anonymous appeal.
type PublicAppeal struct {
	RegNo        string
	ReceivedOn   caldate.Date
	RegisteredOn caldate.Date
	// AnsweredOn and ClosedOn are zero until the appeal reaches that step.
	AnsweredOn caldate.Date
	ClosedOn   caldate.Date
	// AnswerBy is the legal deadline of the answer (with the extension
	// granted), zero when the appeal's deadlines were not derived: so the
	// public can see whether it was answered in time.
	AnswerBy caldate.Date
	// PublishedOn is when central staff published it (zero before).
	PublishedOn caldate.Date
	Oblast      string // a region code (refdata)
	District    string // a district code; "" when none was recorded
	Category    string // a right category code
	Authority   string // an authority code; "" when none was recorded
	Status      Status
	// Named: the appellant consented to be named and the appeal is not
	// anonymous; Appellant is then their name, "" otherwise.
	Named     bool
	Appellant string
	// Summary is the public summary written for publication ("" when none
	// is written yet), never the appeal's own summary.
	Summary string
}

// Public is what the public may read of a (see PublicAppeal).
func (a *Appeal) Public() PublicAppeal {
	p := PublicAppeal{RegNo: a.RegNo, ReceivedOn: a.ReceivedOn, RegisteredOn: a.RegisteredOn, AnsweredOn: a.AnsweredOn,
		ClosedOn: a.ClosedOn, PublishedOn: a.PublishedOn, Oblast: a.Oblast, District: a.District,
		Category: a.Category, Authority: a.Authority, Status: a.Status, Summary: a.PublicSummary}
	if a.Deadlines != nil {
		p.AnswerBy = a.Deadlines.AnswerBy
	}
	if a.PublishIdentityConsent && !a.Anonymous && a.Appellant != nil && a.Appellant.Name != "" {
		p.Named, p.Appellant = true, a.Appellant.Name
	}
	return p
}

// InRegister reports whether the public register shows a: central staff
// published it, the council marked it ready with a public summary, its
// status may be published, and it is not deleted. Every condition is
// checked, not only the "published" flag: a council that withdraws its
// readiness, reopens the appeal or deletes it takes it off the register
// at once, whatever central staff wrote before.
func (a *Appeal) InRegister() bool {
	deleted := a.Meta != nil && a.Meta.Deleted
	return a.Published && a.ReadyForPublication && a.PublicSummary != "" && Publishable(a.Status) && !deleted
}

// Publishable reports whether an appeal in status s may be marked ready for
// publication and published: once the council verified it, whatever came
// after (referred, answered, closed); never before, nor when rejected.
func Publishable(s Status) bool {
	switch s {
	case StatusVerified, StatusReferred, StatusAnswered, StatusClosed:
		return true
	}
	return false
}
