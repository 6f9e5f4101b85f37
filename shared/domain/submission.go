package domain

import (
	"strings"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

// KindSubmission is the record kind of a web submission: an appeal a
// citizen sent through the public form, waiting in a council's inbox.
const KindSubmission = "submission"

// SubmissionStatus is where a web submission is in the council's inbox.
type SubmissionStatus string

const (
	// SubmissionWaiting: received by the server, not yet handled by the
	// council. The legal clock runs from receipt: it must be registered
	// within one working day.
	SubmissionWaiting SubmissionStatus = "waiting"
	// SubmissionRegistered: the council registered it as a new appeal
	// (Appeal names it).
	SubmissionRegistered SubmissionStatus = "registered"
	// SubmissionMerged: it repeats an appeal the council holds (Appeal
	// names it), to which it was joined.
	SubmissionMerged SubmissionStatus = "merged"
	// SubmissionRefused: not an appeal (spam, or outside what councils
	// handle; Refusal says which).
	SubmissionRefused SubmissionStatus = "refused"
)

// SubmissionStatuses in the order an inbox shows them.
var SubmissionStatuses = []SubmissionStatus{SubmissionWaiting, SubmissionRegistered, SubmissionMerged, SubmissionRefused}

// Valid reports whether s is a known status.
func (s SubmissionStatus) Valid() bool {
	for _, v := range SubmissionStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// Why a web submission was refused (Submission.Refusal).
const (
	RefusalSpam       = "spam"         // advertising, nonsense, abuse
	RefusalOutOfScope = "out_of_scope" // not about a right a council takes up
)

// SubmissionRefusals are the reasons a council may give.
var SubmissionRefusals = []string{RefusalSpam, RefusalOutOfScope}

// Limits of the public form, in characters: a person describes what
// happened in a page or two; the limits keep a pasted file or a flood out.
const (
	MaxSubmissionText = 5000
	MaxSubmissionLine = 200 // a name, an address, an authority's name
	MaxContact        = 100 // a phone or an e-mail address
)

// Submission is an appeal a citizen sent through the public form. The
// server makes it (as an operation of its own device, for the chosen
// council) the moment the form is accepted; it reaches the council's
// laptop with its next sync, and the secretary registers it as an appeal,
// merges it with one the council holds, or refuses it. Only the handling
// fields (SubmissionHandlingFields) are ever written after it was made.
type Submission struct {
	ID      string `json:"id"`
	Council string `json:"council"`
	// ReceivedAt is when the server accepted the form; ReceivedOn its day
	// in Bishkek, from which the legal clock runs.
	ReceivedAt time.Time    `json:"received_at"`
	ReceivedOn caldate.Date `json:"received_on"`
	Language   string       `json:"language"` // the form's language: the answer comes in it

	Oblast        string `json:"oblast,omitempty"`
	District      string `json:"district,omitempty"`
	Category      string `json:"category,omitempty"` // "" when the person did not know
	Authority     string `json:"authority,omitempty"`
	AuthorityName string `json:"authority_name,omitempty"`
	Text          string `json:"text"`

	Anonymous              bool       `json:"anonymous,omitempty"`
	Appellant              *Appellant `json:"appellant,omitempty"`
	PublishIdentityConsent bool       `json:"publish_identity_consent,omitempty"`

	// Handling, written by the council's laptop.
	Status    SubmissionStatus `json:"status"`
	Appeal    string           `json:"appeal,omitempty"` // the appeal it became or joined
	HandledOn caldate.Date     `json:"handled_on,omitzero"`
	Refusal   string           `json:"refusal,omitempty"`
	Note      string           `json:"note,omitempty"` // the council's own note, never shown to the public

	// Derived on reading, never stored: the day it must be registered by
	// (one working day after receipt) and whether that day has passed
	// while it waits.
	RegisterBy *caldate.Date `json:"register_by,omitempty"`
	Due        bool          `json:"due,omitempty"`
	Meta       *Meta         `json:"meta,omitempty"`
}

// SubmissionHandlingFields are the fields a council's laptop writes on a
// web submission; what the citizen sent is never changed.
var SubmissionHandlingFields = []string{"status", "appeal", "handled_on", "refusal", "note"}

// SubmissionNotFields are the JSON properties of Submission that are not
// stored as fields.
var SubmissionNotFields = []string{"id", "meta", "register_by", "due"}

// ValidateForm checks what a citizen sent: the council, the text, the
// codes chosen, the contacts (a name and a way to reach them, or
// "anonymous"), and every field's length. The form shows each problem
// beside its field, in the person's language, by the field's name and code.
func (s *Submission) ValidateForm(cat *refdata.Catalog) error {
	c := &checker{kind: KindSubmission}
	c.councilRef("council", s.Council)
	c.language("language", s.Language)
	if s.Language == "" {
		c.add("language", CodeRequired, "is required")
	}
	c.text("text", s.Text, MaxSubmissionText, true)
	if s.Oblast != "" || s.District != "" {
		c.place(cat, "oblast", s.Oblast, "district", s.District)
	}
	c.term(cat, refdata.RightCategories, "category", s.Category, false)
	c.term(cat, refdata.Authorities, "authority", s.Authority, false)
	c.text("authority_name", s.AuthorityName, MaxSubmissionLine, false)
	p := s.Appellant
	if s.Anonymous {
		if p != nil && (p.Name != "" || p.PIN != "" || p.Phone != "" || p.Email != "" || p.Address != "") {
			c.add("anonymous", CodeMismatch, "an anonymous appeal carries no name or contact; clear them or untick anonymous")
		}
		if s.PublishIdentityConsent {
			c.add("publish_identity_consent", CodeMismatch, "an anonymous appeal has no name to publish")
		}
	} else {
		if p == nil || strings.TrimSpace(p.Name) == "" {
			c.add("appellant.name", CodeRequired, "is required unless the appeal is anonymous")
		}
		if p == nil || strings.TrimSpace(p.Phone+p.Email+p.Address) == "" {
			c.add("appellant.contact", CodeRequired, "give a phone, an e-mail or an address so the council can answer, or send it anonymously")
		}
	}
	if p != nil {
		c.text("appellant.name", p.Name, MaxSubmissionLine, false)
		c.text("appellant.address", p.Address, MaxSubmissionLine, false)
		c.maxLen("appellant.phone", p.Phone, MaxContact)
		c.maxLen("appellant.email", p.Email, MaxContact)
		if p.Phone != "" && !phonePattern.MatchString(p.Phone) {
			c.add("appellant.phone", CodeFormat, "%q is not a phone number", p.Phone)
		}
		if p.Email != "" && !emailPattern.MatchString(p.Email) {
			c.add("appellant.email", CodeFormat, "%q is not an e-mail address", p.Email)
		}
		if p.PIN != "" {
			c.add("appellant.pin", CodeForbidden, "the public form does not ask for a personal number")
		}
	}
	return c.err()
}

// Validate checks a stored web submission: what ValidateForm checks, and
// the handling (a registered or merged one names its appeal, a refused one
// says why).
func (s *Submission) Validate(cat *refdata.Catalog) error {
	if err := s.ValidateForm(cat); err != nil {
		return err
	}
	c := &checker{kind: KindSubmission}
	if s.ReceivedAt.IsZero() {
		c.add("received_at", CodeRequired, "is required")
	}
	if s.ReceivedOn.IsZero() {
		c.add("received_on", CodeRequired, "is required")
	}
	if !s.Status.Valid() {
		c.add("status", CodeUnknown, "%q is not a status (one of: %v)", s.Status, SubmissionStatuses)
	}
	switch s.Status {
	case SubmissionRegistered, SubmissionMerged:
		if !ValidID(s.Appeal) {
			c.add("appeal", CodeRequired, "name the appeal it became or joined")
		}
	case SubmissionRefused:
		ok := false
		for _, r := range SubmissionRefusals {
			ok = ok || s.Refusal == r
		}
		if !ok {
			c.add("refusal", CodeUnknown, "%q is not a reason (one of: %v)", s.Refusal, SubmissionRefusals)
		}
	}
	if s.Status != SubmissionWaiting && s.HandledOn.IsZero() {
		c.add("handled_on", CodeRequired, "is required once the submission is handled")
	}
	c.text("note", s.Note, MaxLong, false)
	return c.err()
}

// AsAppeal is the appeal a council registers from a web submission: what
// the citizen sent, received on the day the server received it (the legal
// clock runs from then), through the electronic channel, in the form's
// language. Its summary is the text's first line, cut to fit; the whole
// text is its description. The council completes it as any appeal.
func (s *Submission) AsAppeal() Appeal {
	a := Appeal{Council: s.Council, ReceivedOn: s.ReceivedOn, Channel: "electronic", Language: s.Language,
		Anonymous: s.Anonymous, Oblast: s.Oblast, District: s.District, Category: s.Category,
		Authority: s.Authority, AuthorityName: s.AuthorityName, Description: s.Text,
		PublishIdentityConsent: s.PublishIdentityConsent && !s.Anonymous}
	if s.Appellant != nil && !s.Anonymous {
		p := *s.Appellant
		a.Appellant = &p
	}
	a.Summary = firstLine(s.Text, MaxTitle)
	return a
}

// firstLine is the first non-empty line of s, cut at a word to at most n
// characters (with "…" when cut).
func firstLine(s string, n int) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		r := []rune(line)
		if len(r) <= n {
			return line
		}
		cut := string(r[:n-1])
		if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
			cut = cut[:i]
		}
		return cut + "…"
	}
	return ""
}
