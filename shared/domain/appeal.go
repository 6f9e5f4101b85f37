package domain

import (
	"fmt"
	"regexp"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/deadline"
	"github.com/kenesh/kenesh/shared/refdata"
)

// KindAppeal is the record kind of a citizen's appeal.
const KindAppeal = "appeal"

// AppealCollections are the fields of an appeal that hold items of their
// own (consultations, attachments), so that two people adding one each to
// the same appeal both keep theirs (changeset.Schema.Collections).
var AppealCollections = []string{"consultations", "attachments"}

// Appeal is a citizen's appeal (кайрылуу) about a violation of rights.
//
// Personal data of the appellant lives in Appellant alone: one field that
// can be stripped for publication and, later, encrypted to central staff,
// while gender, age group and vulnerable groups stay countable in reports.
type Appeal struct {
	ID           string       `json:"id"`
	RegNo        string       `json:"reg_no"`
	Council      string       `json:"council"`
	ReceivedOn   caldate.Date `json:"received_on"`
	RegisteredOn caldate.Date `json:"registered_on"`
	Channel      string       `json:"channel"`
	EventID      string       `json:"event_id,omitempty"`
	Language     string       `json:"language,omitempty"`

	Anonymous        bool       `json:"anonymous,omitempty"`
	Appellant        *Appellant `json:"appellant,omitempty"`
	Gender           string     `json:"gender,omitempty"`
	AgeGroup         string     `json:"age_group,omitempty"`
	VulnerableGroups []string   `json:"vulnerable_groups,omitempty"`

	Oblast   string `json:"oblast"`
	District string `json:"district,omitempty"`
	Village  string `json:"village,omitempty"`

	Category      string `json:"category"`
	Authority     string `json:"authority,omitempty"`
	AuthorityName string `json:"authority_name,omitempty"`
	Summary       string `json:"summary"`
	Description   string `json:"description,omitempty"`

	Status          Status       `json:"status"`
	StatusNote      string       `json:"status_note,omitempty"`
	VerifiedOn      caldate.Date `json:"verified_on,omitzero"`
	RejectionReason string       `json:"rejection_reason,omitempty"`
	ReferredTo      string       `json:"referred_to,omitempty"`
	ReferredOn      caldate.Date `json:"referred_on,omitzero"`
	AnsweredOn      caldate.Date `json:"answered_on,omitzero"`
	AnswerSummary   string       `json:"answer_summary,omitempty"`
	ClosedOn        caldate.Date `json:"closed_on,omitzero"`
	ExtensionDays   int          `json:"extension_days,omitempty"`
	ExtensionNote   string       `json:"extension_note,omitempty"`

	PublishIdentityConsent bool   `json:"publish_identity_consent,omitempty"`
	ReadyForPublication    bool   `json:"ready_for_publication,omitempty"`
	PublicSummary          string `json:"public_summary,omitempty"`

	// Review by central staff: only they write these (the server refuses
	// them from a council's laptop).
	Published   bool         `json:"published,omitempty"`
	PublishedOn caldate.Date `json:"published_on,omitzero"`
	ReviewNote  string       `json:"review_note,omitempty"`

	Consultations []Consultation `json:"consultations,omitempty"`
	Attachments   []Attachment   `json:"attachments,omitempty"`

	// Imported is set on an appeal that came from a legacy spreadsheet.
	Imported *Imported `json:"imported,omitempty"`

	// Derived on reading, never stored.
	Deadlines    *deadline.Deadlines `json:"deadlines,omitempty"`
	Overdue      bool                `json:"overdue,omitempty"`
	NextStatuses []Status            `json:"next_statuses,omitempty"`
	Meta         *Meta               `json:"meta,omitempty"`
}

// Appellant is the personal data of the person who appealed.
type Appellant struct {
	Name    string `json:"name,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Email   string `json:"email,omitempty"`
	Address string `json:"address,omitempty"`
	PIN     string `json:"pin,omitempty"`
}

// Consultation is free legal advice given on an appeal, at any step.
type Consultation struct {
	ID         string       `json:"id"`
	On         caldate.Date `json:"on"`
	Consultant string       `json:"consultant"`
	Summary    string       `json:"summary"`
	AtStatus   Status       `json:"at_status,omitempty"`
}

var (
	pinPattern   = regexp.MustCompile(`^[12][0-9]{13}$`)
	phonePattern = regexp.MustCompile(`^\+?[0-9 ()-]{5,20}$`)
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// Validate checks an appeal; today bounds dates (zero skips that check).
func (a *Appeal) Validate(cat *refdata.Catalog, today caldate.Date) error {
	c := &checker{kind: KindAppeal}
	c.councilRef("council", a.Council)
	c.date("received_on", a.ReceivedOn, true, today)
	c.notFuture("received_on", a.ReceivedOn, today)
	c.date("registered_on", a.RegisteredOn, true, today)
	c.notFuture("registered_on", a.RegisteredOn, today)
	if !a.ReceivedOn.IsZero() && !a.RegisteredOn.IsZero() && a.RegisteredOn.Before(a.ReceivedOn) {
		c.add("registered_on", CodeRange, "%s is before the appeal was received (%s)", a.RegisteredOn, a.ReceivedOn)
	}
	c.term(cat, refdata.AppealChannels, "channel", a.Channel, true)
	if a.EventID != "" && !ValidID(a.EventID) {
		c.add("event_id", CodeFormat, "%q is not an event id", a.EventID)
	}
	c.language("language", a.Language)

	if a.Anonymous && a.Appellant != nil && (a.Appellant.Name != "" || a.Appellant.PIN != "") {
		c.add("appellant", CodeMismatch, "an anonymous appeal carries no name or PIN; clear them or set anonymous to false")
	}
	if !a.Anonymous && (a.Appellant == nil || a.Appellant.Name == "") {
		c.add("appellant.name", CodeRequired, "is required unless the appeal is anonymous")
	}
	if p := a.Appellant; p != nil {
		c.text("appellant.name", p.Name, MaxShort, false)
		c.text("appellant.address", p.Address, MaxShort, false)
		if p.Phone != "" && !phonePattern.MatchString(p.Phone) {
			c.add("appellant.phone", CodeFormat, "%q is not a phone number", p.Phone)
		}
		if p.Email != "" && !emailPattern.MatchString(p.Email) {
			c.add("appellant.email", CodeFormat, "%q is not an e-mail address", p.Email)
		}
		if p.PIN != "" && !pinPattern.MatchString(p.PIN) {
			c.add("appellant.pin", CodeFormat, "a personal ID number (ПИН) has 14 digits starting with 1 or 2")
		}
	}
	c.term(cat, refdata.Genders, "gender", a.Gender, false)
	c.term(cat, refdata.AgeGroups, "age_group", a.AgeGroup, false)
	for i, g := range a.VulnerableGroups {
		c.term(cat, refdata.VulnerableGroups, fmt.Sprintf("vulnerable_groups[%d]", i), g, true)
	}

	c.place(cat, "oblast", a.Oblast, "district", a.District)
	c.text("village", a.Village, MaxShort, false)
	c.term(cat, refdata.RightCategories, "category", a.Category, true)
	c.term(cat, refdata.Authorities, "authority", a.Authority, false)
	c.text("authority_name", a.AuthorityName, MaxShort, false)
	c.text("summary", a.Summary, MaxTitle, true)
	c.text("description", a.Description, MaxLong, false)

	if !a.Status.Valid() {
		c.add("status", CodeUnknown, "%q is not a status (one of: %v)", a.Status, Statuses)
	}
	c.text("status_note", a.StatusNote, MaxLong, false)
	c.text("rejection_reason", a.RejectionReason, MaxLong, false)
	c.text("referred_to", a.ReferredTo, MaxShort, false)
	c.text("answer_summary", a.AnswerSummary, MaxLong, false)
	for _, d := range []struct {
		f string
		v caldate.Date
	}{{"verified_on", a.VerifiedOn}, {"referred_on", a.ReferredOn}, {"answered_on", a.AnsweredOn}, {"closed_on", a.ClosedOn}} {
		c.date(d.f, d.v, false, today)
		c.notFuture(d.f, d.v, today)
		if !d.v.IsZero() && !a.ReceivedOn.IsZero() && d.v.Before(a.ReceivedOn) {
			c.add(d.f, CodeRange, "%s is before the appeal was received (%s)", d.v, a.ReceivedOn)
		}
	}
	if a.ExtensionDays < 0 {
		c.add("extension_days", CodeRange, "cannot be negative")
	}
	if a.ExtensionDays > 0 && a.ExtensionNote == "" {
		c.add("extension_note", CodeRequired, "an extension needs a note of how the citizen was told")
	}
	c.text("public_summary", a.PublicSummary, MaxPublicSummary, false)
	if a.ReadyForPublication {
		if !Publishable(a.Status) {
			c.add("ready_for_publication", CodeForbidden, "only a verified appeal can be published (it is %s)", a.Status)
		}
		if a.PublicSummary == "" {
			c.add("public_summary", CodeRequired, "is required to publish: write what the public may read")
		}
	}
	c.text("review_note", a.ReviewNote, MaxLong, false)
	if a.Published && !a.ReadyForPublication {
		c.add("published", CodeForbidden, "only an appeal marked ready for publication can be published")
	}
	for i, k := range a.Consultations {
		c.consultation(fmt.Sprintf("consultations[%d]", i), k, today)
	}
	c.attachments(a.Attachments)
	c.imported(a.Imported)
	return c.err()
}

// Normalize fills what a new appeal takes by default.
func (a *Appeal) Normalize(today caldate.Date) {
	if a.Status == "" {
		a.Status = StatusReceived
	}
	if a.ReceivedOn.IsZero() {
		a.ReceivedOn = today
	}
	if a.RegisteredOn.IsZero() {
		a.RegisteredOn = today
	}
	if a.Anonymous && a.Appellant != nil && *a.Appellant == (Appellant{}) {
		a.Appellant = nil
	}
	for i := range a.Consultations {
		if a.Consultations[i].ID == "" {
			a.Consultations[i].ID = NewID()
		}
		if a.Consultations[i].On.IsZero() {
			a.Consultations[i].On = today
		}
		if a.Consultations[i].AtStatus == "" {
			a.Consultations[i].AtStatus = a.Status
		}
	}
}

// Step is what a person gives when moving an appeal: a note, and for some
// steps the authority, date or answer the step needs.
type Step struct {
	To     Status       `json:"to"`
	Note   string       `json:"note,omitempty"`
	On     caldate.Date `json:"on,omitzero"`
	Target string       `json:"target,omitempty"` // referred: to whom
	Answer string       `json:"answer,omitempty"` // answered: what the authority said
}

// Move applies a workflow step, with the fields each step requires.
func (a *Appeal) Move(s Step, today caldate.Date) error {
	if !CanMove(a.Status, s.To) {
		return &TransitionError{From: a.Status, To: s.To}
	}
	on := s.On
	if on.IsZero() {
		on = today
	}
	c := &checker{kind: KindAppeal}
	switch s.To {
	case StatusVerified:
		a.VerifiedOn = on
	case StatusRejected:
		if c.required("note", s.Note) {
			a.RejectionReason = s.Note
		}
	case StatusReferred:
		if s.Target == "" && a.AuthorityName == "" {
			c.add("target", CodeRequired, "say to whom the appeal is referred (an authority, the Ombudsman's office or a lawyer)")
		}
		a.ReferredTo = s.Target
		if a.ReferredTo == "" {
			a.ReferredTo = a.AuthorityName
		}
		a.ReferredOn = on
	case StatusAnswered:
		if c.required("answer", s.Answer) {
			a.AnswerSummary = s.Answer
		}
		a.AnsweredOn = on
	case StatusClosed:
		a.ClosedOn = on
	case StatusUnderReview:
		// reopening clears the decision it reverses
		a.RejectionReason = ""
	}
	if err := c.err(); err != nil {
		return err
	}
	a.Status = s.To
	a.StatusNote = s.Note
	return nil
}

// ReviewFields are the fields central staff write when they review an
// appeal; a council's laptop may not write them.
var ReviewFields = []string{"published", "published_on", "review_note"}

// consultation checks one consultation, named p (an appeal's Validate;
// ItemFaults, for one alone).
func (c *checker) consultation(p string, k Consultation, today caldate.Date) {
	if !ValidID(k.ID) {
		c.add(p+".id", CodeFormat, "%q is not an id", k.ID)
	}
	c.date(p+".on", k.On, true, today)
	c.notFuture(p+".on", k.On, today)
	c.text(p+".consultant", k.Consultant, MaxShort, true)
	c.text(p+".summary", k.Summary, MaxLong, true)
}
