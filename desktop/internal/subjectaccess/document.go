package subjectaccess

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// Format names the layout of the JSON document. Fields may be added to it;
// anything else (a field renamed, removed or given another meaning) makes a
// new Format, so a program that reads these documents can tell.
const Format = "kenesh.subject-access/1"

// Document is the answer to a person's request for their data, in one
// language. Its JSON form is the machine-readable answer; WritePDF prints
// the same document for the person.
//
// Every fact is a Field: its name in keneshctl's JSON ("category",
// "appellant.phone"), its label and value in words in the document's
// language, and, where the words stand for a machine value, that value as
// code (a term code such as "police_justice", a status, an ISO date
// "2026-03-01", "true"/"false", a council or region code) or, for a list,
// as codes. Free text has no code: the text is the value.
type Document struct {
	Format   string `json:"format"`
	Language string `json:"language"` // ky, ru or en: the language of every text below
	Title    string `json:"title"`
	From     string `json:"from"`  // who answers: the holder's council, else the laptop
	Date     string `json:"date"`  // the day the document was made, in words
	Intro    string `json:"intro"` // the letter's opening sentence
	// Request: what was searched for, when the request came, when the
	// answer is due under the law, when this document was made.
	Request []Field `json:"request"`
	// Holder: who holds the data (the council, the laptop, its role).
	Holder []Field `json:"holder"`
	// Summary counts what follows, in words.
	Summary string `json:"summary"`
	// Nothing is set when no record names the person: that is an answer too.
	Nothing   string        `json:"nothing,omitempty"`
	Appeals   []Appeal      `json:"appeals"`
	Events    []Event       `json:"events"`
	Published []Publication `json:"published"`
	Rights    Rights        `json:"rights"`
	Signature string        `json:"signature"` // the line the holder signs under
}

// Field is one fact, in words and, where the words stand for a machine
// value, that value.
type Field struct {
	Name  string   `json:"field"`
	Label string   `json:"label"`
	Text  string   `json:"text"`
	Code  string   `json:"code,omitempty"`
	Codes []string `json:"codes,omitempty"`
}

// Item is a part of a record with its own heading: a consultation, an
// attached file, an entry of the history, a role at an event.
type Item struct {
	Heading string  `json:"heading"`
	Fields  []Field `json:"fields"`
}

// Appeal is an appeal where the person is the appellant.
type Appeal struct {
	ID      string `json:"id"`
	RegNo   string `json:"reg_no"`
	Heading string `json:"heading"`
	// Deleted: the appeal was deleted and is kept with its history.
	Deleted       bool    `json:"deleted,omitempty"`
	Fields        []Field `json:"fields"`
	Consultations []Item  `json:"consultations"`
	Attachments   []Item  `json:"attachments"`
	// History: the entries that wrote the person's data, oldest first.
	History []Item `json:"history"`
}

// Event is an event where the person is named.
type Event struct {
	ID      string  `json:"id"`
	Heading string  `json:"heading"`
	Deleted bool    `json:"deleted,omitempty"`
	Fields  []Field `json:"fields"`
	Named   []Item  `json:"named"` // how the person is named there
}

// Publication is what the public register shows, or will show, of one of
// the person's appeals.
type Publication struct {
	Appeal    string `json:"appeal"` // the appeal's registration number
	Heading   string `json:"heading"`
	Published bool   `json:"published"` // false: prepared, not yet published
	Named     bool   `json:"named"`     // the person's name is shown (only with their consent)
	Note      string `json:"note"`      // the above in words
	// Fields: everything the register shows, exactly as it shows it.
	Fields []Field `json:"fields"`
}

// Rights explains the person's rights under the law in force.
type Rights struct {
	Rule       string   `json:"rule"` // the rule's id in assets/law/personal_data.json
	Law        string   `json:"law"`
	AnswerDays int      `json:"answer_days"`
	Paragraphs []string `json:"paragraphs"`
}

// Options choose the document's language and the request's date.
type Options struct {
	Language string // ky, ru or en: the person's, not necessarily the interface's
	// RequestedOn is the day the request was received; zero means the day
	// of the search (in Bishkek). The answer is due a week after it.
	RequestedOn caldate.Date
	Catalog     *refdata.Catalog // nil: the embedded reference data
	Messages    *l10n.Catalog    // nil: the embedded translations
	Rules       *Rules           // nil: the embedded rules
}

// Languages a document can be written in.
var Languages = l10n.Languages

// LanguageError is returned for a language a document cannot be written in.
type LanguageError string

func (e LanguageError) Error() string {
	return fmt.Sprintf("language %q: a document is written in %s", string(e), strings.Join(Languages, ", "))
}

var bishkek = time.FixedZone("Asia/Bishkek", 6*60*60)

// Build puts what was found into words in o.Language.
func Build(f *Found, o Options) (*Document, error) {
	if !l10n.Valid(o.Language) {
		return nil, LanguageError(o.Language)
	}
	if o.Catalog == nil {
		o.Catalog = refdata.Default()
	}
	if o.Messages == nil {
		var err error
		if o.Messages, err = l10n.Load(); err != nil {
			return nil, err
		}
	}
	if o.Rules == nil {
		var err error
		if o.Rules, err = DefaultRules(); err != nil {
			return nil, err
		}
	}
	searched := caldate.Of(f.At.In(bishkek))
	requested := o.RequestedOn
	if requested.IsZero() {
		requested = searched
	}
	if requested.After(searched) {
		return nil, fmt.Errorf("the request's date %s is after today (%s): give the day the request was received", requested, searched)
	}
	rule, err := o.Rules.On(requested)
	if err != nil {
		return nil, err
	}
	b := &builder{tr: o.Messages.In(o.Language), cat: o.Catalog, f: f}
	tr := b.tr
	d := &Document{Format: Format, Language: o.Language, Title: tr.T("person.doc.title"),
		Appeals: []Appeal{}, Events: []Event{}, Published: []Publication{}}

	holderName := f.Holder.Device
	var holder fields
	if f.Holder.Council != "" {
		holderName = b.councilName(f.Holder.Council)
		holder.add(Field{Name: "holder.council", Label: tr.T("field.council"), Text: holderName, Code: f.Holder.Council})
	}
	holder.add(Field{Name: "holder.device", Label: tr.T("person.doc.laptop"), Text: f.Holder.Device})
	if f.Holder.Role != "" {
		holder.add(Field{Name: "holder.role", Label: tr.T("person.doc.holder_role"), Text: b.roleName(f.Holder.Role), Code: f.Holder.Role})
	}
	d.From, d.Holder = holderName, holder
	d.Date = tr.LongDate(searched)

	var req fields
	req.add(Field{Name: "query", Label: tr.T("person.doc.query"), Text: f.Query})
	req.add(b.date("requested_on", "person.doc.requested_on", requested))
	req.add(b.date("answer_by", "person.doc.answer_by", rule.AnswerBy(requested)))
	req.add(Field{Name: "made_at", Label: tr.T("person.doc.made_at"), Text: tr.DateTime(f.At), Code: f.At.UTC().Format(time.RFC3339)})
	d.Request = req
	d.Intro = tr.T("person.doc.intro", "holder", holderName, "date", tr.LongDate(requested))

	for _, a := range f.Appeals {
		d.Appeals = append(d.Appeals, b.appeal(a))
		if p, ok := b.publication(a); ok {
			d.Published = append(d.Published, p)
		}
	}
	for _, m := range f.Events {
		d.Events = append(d.Events, b.event(m))
	}
	d.Summary = tr.T("person.doc.summary", "appeals", len(d.Appeals), "events", len(d.Events), "published", countPublished(d.Published))
	if len(d.Appeals) == 0 && len(d.Events) == 0 {
		d.Nothing = tr.T("person.doc.nothing", "query", f.Query)
	}
	d.Rights = Rights{Rule: rule.ID, Law: rule.Title.In(o.Language), AnswerDays: rule.AnswerDays}
	for i := 1; tr.Has(fmt.Sprintf("person.doc.rights_%d", i)); i++ {
		d.Rights.Paragraphs = append(d.Rights.Paragraphs,
			tr.T(fmt.Sprintf("person.doc.rights_%d", i), "days", rule.AnswerDays, "holder", holderName))
	}
	d.Signature = tr.T("person.doc.signature")
	return d, nil
}

func countPublished(ps []Publication) int {
	n := 0
	for _, p := range ps {
		if p.Published {
			n++
		}
	}
	return n
}

// fields collects facts, leaving out those without a value.
type fields []Field

func (fs *fields) add(f Field) {
	if strings.TrimSpace(f.Text) != "" {
		*fs = append(*fs, f)
	}
}

type builder struct {
	tr  *l10n.Tr
	cat *refdata.Catalog
	f   *Found
}

func (b *builder) text(name, label, v string) Field {
	return Field{Name: name, Label: b.tr.T(label), Text: v}
}

func (b *builder) date(name, label string, d caldate.Date) Field {
	if d.IsZero() {
		return Field{Name: name}
	}
	return Field{Name: name, Label: b.tr.T(label), Text: b.tr.LongDate(d), Code: d.String()}
}

func (b *builder) yesNo(name, label string, v bool) Field {
	text := b.tr.T("common.no")
	if v {
		text = b.tr.T("common.yes")
	}
	return Field{Name: name, Label: b.tr.T(label), Text: text, Code: strconv.FormatBool(v)}
}

func (b *builder) term(name, label string, list refdata.List, code string) Field {
	if code == "" {
		return Field{Name: name}
	}
	return Field{Name: name, Label: b.tr.T(label), Text: b.termName(list, code), Code: code}
}

func (b *builder) terms(name, label string, list refdata.List, codes []string) Field {
	if len(codes) == 0 {
		return Field{Name: name}
	}
	names := make([]string, len(codes))
	for i, c := range codes {
		names[i] = b.termName(list, c)
	}
	return Field{Name: name, Label: b.tr.T(label), Text: strings.Join(names, "; "), Codes: append([]string(nil), codes...)}
}

// termName is a code's name in words; a code this version does not know
// (from a newer one) is shown as it is rather than hidden.
func (b *builder) termName(list refdata.List, code string) string {
	if t, ok := b.cat.Term(list, code); ok {
		return t.Names.In(b.tr.Lang)
	}
	return code
}

func (b *builder) region(code string) Field {
	if code == "" {
		return Field{Name: "oblast"}
	}
	text := code
	if r, ok := b.cat.Region(code); ok {
		text = r.Names.In(b.tr.Lang)
	}
	return Field{Name: "oblast", Label: b.tr.T("field.oblast"), Text: text, Code: code}
}

func (b *builder) district(code string) Field {
	if code == "" {
		return Field{Name: "district"}
	}
	text := code
	if d, _, ok := b.cat.District(code); ok {
		text = d.Names.In(b.tr.Lang)
	}
	return Field{Name: "district", Label: b.tr.T("field.district"), Text: text, Code: code}
}

func (b *builder) councilName(code string) string {
	if c, ok := b.f.Councils[code]; ok && c.Name != "" {
		return c.Name
	}
	return code
}

func (b *builder) council(code string) Field {
	if code == "" {
		return Field{Name: "council"}
	}
	return Field{Name: "council", Label: b.tr.T("field.council"), Text: b.councilName(code), Code: code}
}

func (b *builder) roleName(code string) string {
	if k := "role." + code; b.tr.Has(k) {
		return b.tr.T(k)
	}
	return code
}

func (b *builder) language(name, code string) Field {
	if code == "" {
		return Field{Name: name}
	}
	text := code
	if k := "person.doc.lang_" + code; b.tr.Has(k) {
		text = b.tr.T(k)
	}
	return Field{Name: name, Label: b.tr.T("field.language"), Text: text, Code: code}
}

func (b *builder) status(s domain.Status) Field {
	if s == "" {
		return Field{Name: "status"}
	}
	text := string(s)
	if k := "status." + string(s); b.tr.Has(k) {
		text = b.tr.T(k)
	}
	return Field{Name: "status", Label: b.tr.T("field.status"), Text: text, Code: string(s)}
}

func (b *builder) number(name, label string, n int) Field {
	if n == 0 {
		return Field{Name: name}
	}
	return Field{Name: name, Label: b.tr.T(label), Text: b.tr.Int(n), Code: strconv.Itoa(n)}
}

// appellant lists the appellant's personal data, each part a field of its
// own ("appellant.phone"), leaving out the parts not recorded.
func (b *builder) appellant(fs *fields, p *domain.Appellant) {
	if p == nil {
		return
	}
	fs.add(b.text("appellant.name", "field.appellant_name", p.Name))
	fs.add(b.text("appellant.phone", "field.phone", p.Phone))
	fs.add(b.text("appellant.email", "field.email", p.Email))
	fs.add(b.text("appellant.address", "field.address", p.Address))
	fs.add(b.text("appellant.pin", "field.pin", p.PIN))
}

func (b *builder) appeal(a *domain.Appeal) Appeal {
	tr := b.tr
	out := Appeal{ID: a.ID, RegNo: a.RegNo, Heading: tr.T("person.doc.appeal", "reg_no", a.RegNo),
		Consultations: []Item{}, Attachments: []Item{}, History: []Item{}}
	var fs fields
	fs.add(b.text("reg_no", "field.reg_no", a.RegNo))
	fs.add(b.council(a.Council))
	fs.add(b.date("received_on", "field.received_on", a.ReceivedOn))
	fs.add(b.date("registered_on", "field.registered_on", a.RegisteredOn))
	fs.add(b.term("channel", "field.channel", refdata.AppealChannels, a.Channel))
	if a.EventID != "" {
		text := a.EventID
		if ev, ok := b.f.Linked[a.EventID]; ok {
			text = ev.Title + " (" + tr.LongDate(ev.Date) + ")"
		}
		fs.add(Field{Name: "event_id", Label: tr.T("field.event_id"), Text: text, Code: a.EventID})
	}
	fs.add(b.language("language", a.Language))
	if a.Anonymous {
		fs.add(b.yesNo("anonymous", "field.anonymous", true))
	}
	b.appellant(&fs, a.Appellant)
	fs.add(b.term("gender", "field.gender", refdata.Genders, a.Gender))
	fs.add(b.term("age_group", "field.age_group", refdata.AgeGroups, a.AgeGroup))
	fs.add(b.terms("vulnerable_groups", "field.vulnerable_groups", refdata.VulnerableGroups, a.VulnerableGroups))
	fs.add(b.region(a.Oblast))
	fs.add(b.district(a.District))
	fs.add(b.text("village", "field.village", a.Village))
	fs.add(b.term("category", "field.category", refdata.RightCategories, a.Category))
	fs.add(b.term("authority", "field.authority", refdata.Authorities, a.Authority))
	fs.add(b.text("authority_name", "field.authority_name", a.AuthorityName))
	fs.add(b.text("summary", "field.summary", a.Summary))
	fs.add(b.text("description", "field.description", a.Description))
	fs.add(b.status(a.Status))
	fs.add(b.text("status_note", "field.status_note", a.StatusNote))
	fs.add(b.date("verified_on", "field.verified_on", a.VerifiedOn))
	fs.add(b.text("rejection_reason", "field.rejection_reason", a.RejectionReason))
	fs.add(b.text("referred_to", "field.referred_to", a.ReferredTo))
	fs.add(b.date("referred_on", "field.referred_on", a.ReferredOn))
	fs.add(b.date("answered_on", "field.answered_on", a.AnsweredOn))
	fs.add(b.text("answer_summary", "field.answer_summary", a.AnswerSummary))
	fs.add(b.date("closed_on", "field.closed_on", a.ClosedOn))
	fs.add(b.number("extension_days", "field.extension_days", a.ExtensionDays))
	fs.add(b.text("extension_note", "field.extension_note", a.ExtensionNote))
	if a.Deadlines != nil && a.Status.AwaitsAnswer() && (a.Meta == nil || !a.Meta.Deleted) {
		fs.add(b.date("deadlines.answer_by", "field.answer_by", a.Deadlines.AnswerBy))
	}
	fs.add(b.yesNo("publish_identity_consent", "field.publish_identity_consent", a.PublishIdentityConsent))
	if a.ReadyForPublication {
		fs.add(b.yesNo("ready_for_publication", "field.ready_for_publication", true))
	}
	fs.add(b.text("public_summary", "field.public_summary", a.PublicSummary))
	fs.add(b.yesNo("published", "field.published", a.Published))
	fs.add(b.date("published_on", "field.published_on", a.PublishedOn))
	fs.add(b.text("review_note", "field.review_note", a.ReviewNote))
	if m := a.Meta; m != nil {
		if !m.CreatedAt.IsZero() {
			fs.add(Field{Name: "meta.created_at", Label: tr.T("person.doc.recorded_at"), Text: tr.DateTime(m.CreatedAt), Code: m.CreatedAt.UTC().Format(time.RFC3339)})
		}
		if m.Deleted {
			out.Deleted = true
			fs.add(Field{Name: "meta.deleted", Label: tr.T("person.doc.deleted"), Text: tr.T("person.doc.deleted_explain"), Code: "true"})
		}
	}
	out.Fields = fs

	for _, c := range a.Consultations {
		var cf fields
		cf.add(b.date("on", "field.consult_on", c.On))
		cf.add(b.text("consultant", "field.consultant", c.Consultant))
		cf.add(b.text("summary", "field.consult_summary", c.Summary))
		if c.AtStatus != "" {
			st := b.status(c.AtStatus)
			st.Name, st.Label = "at_status", tr.T("field.at_status")
			cf.add(st)
		}
		out.Consultations = append(out.Consultations, Item{Heading: tr.T("person.doc.consultation", "date", tr.LongDate(c.On)), Fields: cf})
	}
	for _, at := range a.Attachments {
		var af fields
		af.add(b.text("name", "person.doc.file_name", at.Name))
		af.add(b.text("caption", "person.doc.caption", at.Caption))
		af.add(Field{Name: "size", Label: tr.T("person.doc.size"), Text: tr.T("person.doc.kb", "n", int((at.Size+1023)/1024)), Code: strconv.FormatInt(at.Size, 10)})
		af.add(b.date("added_on", "person.doc.added_on", at.AddedOn))
		out.Attachments = append(out.Attachments, Item{Heading: tr.T("person.doc.attachment", "name", at.Name), Fields: af})
	}
	for i, e := range b.f.History[a.ID] {
		out.History = append(out.History, b.historyEntry(i+1, e))
	}
	return out
}

// historyEntry is one entry of an appeal's history that wrote the person's
// data, with the values it wrote.
func (b *builder) historyEntry(n int, e records.Entry) Item {
	tr := b.tr
	action := string(e.Action)
	if k := "history.action." + action; tr.Has(k) {
		action = tr.T(k)
	}
	who := e.Author
	if who == "" {
		who = tr.T("history.unknown_author")
	}
	var fs fields
	fs.add(Field{Name: "at", Label: tr.T("person.doc.when"), Text: tr.DateTime(e.At), Code: e.At.UTC().Format(time.RFC3339)})
	fs.add(Field{Name: "action", Label: tr.T("person.doc.what"), Text: action, Code: string(e.Action)})
	fs.add(Field{Name: "author", Label: tr.T("person.doc.who"), Text: who})
	removed := tr.T("person.doc.removed")
	var p domain.Appellant
	if ok, err := changeValue(e, "appellant", &p); ok {
		switch {
		case err != nil:
			fs.add(Field{Name: "appellant", Label: tr.T("field.appellant"), Text: tr.T("person.doc.unreadable")})
		case p == (domain.Appellant{}):
			fs.add(Field{Name: "appellant", Label: tr.T("field.appellant"), Text: removed})
		default:
			b.appellant(&fs, &p)
		}
	}
	var anon, consent bool
	if ok, err := changeValue(e, "anonymous", &anon); ok && err == nil {
		fs.add(b.yesNo("anonymous", "field.anonymous", anon))
	}
	for _, t := range []struct {
		name string
		list refdata.List
	}{{"gender", refdata.Genders}, {"age_group", refdata.AgeGroups}} {
		var code string
		if ok, err := changeValue(e, t.name, &code); ok && err == nil {
			f := b.term(t.name, "field."+t.name, t.list, code)
			if code == "" {
				f = b.text(t.name, "field."+t.name, removed)
			}
			fs.add(f)
		}
	}
	var groups []string
	if ok, err := changeValue(e, "vulnerable_groups", &groups); ok && err == nil {
		f := b.terms("vulnerable_groups", "field.vulnerable_groups", refdata.VulnerableGroups, groups)
		if len(groups) == 0 {
			f = b.text("vulnerable_groups", "field.vulnerable_groups", removed)
		}
		fs.add(f)
	}
	if ok, err := changeValue(e, "publish_identity_consent", &consent); ok && err == nil {
		fs.add(b.yesNo("publish_identity_consent", "field.publish_identity_consent", consent))
	}
	return Item{Heading: tr.T("person.doc.history_entry", "n", n), Fields: fs}
}

func (b *builder) event(m Mention) Event {
	tr := b.tr
	e := m.Event
	out := Event{ID: e.ID, Heading: e.Title, Named: []Item{}}
	var fs fields
	fs.add(b.text("title", "field.title", e.Title))
	fs.add(b.term("kind", "field.kind", refdata.EventKinds, e.Kind))
	fs.add(b.date("date", "field.date", e.Date))
	fs.add(b.council(e.Council))
	fs.add(b.region(e.Oblast))
	fs.add(b.district(e.District))
	fs.add(b.text("village", "field.village", e.Village))
	fs.add(b.text("venue", "field.venue", e.Venue))
	fs.add(b.text("topic", "field.topic", e.Topic))
	if e.Meta != nil && e.Meta.Deleted {
		out.Deleted = true
		fs.add(Field{Name: "meta.deleted", Label: tr.T("person.doc.deleted"), Text: tr.T("person.doc.deleted_explain"), Code: "true"})
	}
	out.Fields = fs
	for _, s := range m.Speakers {
		var sf fields
		sf.add(b.text("speakers.name", "field.speaker_name", s.Name))
		sf.add(b.text("speakers.role", "field.speaker_role", s.Role))
		sf.add(b.text("speakers.organisation", "field.speaker_org", s.Organisation))
		out.Named = append(out.Named, Item{Heading: tr.T("person.doc.as_speaker"), Fields: sf})
	}
	for _, a := range m.Attendees {
		var af fields
		af.add(b.text("attendees.name", "field.name", a.Name))
		af.add(b.text("attendees.organisation", "field.organisation", a.Organisation))
		af.add(b.term("attendees.group", "training.group", refdata.ParticipantGroups, a.Group))
		af.add(b.term("attendees.gender", "field.gender", refdata.Genders, a.Gender))
		if a.Council != "" {
			af.add(b.text("attendees.council", "field.council_code", a.Council))
		}
		out.Named = append(out.Named, Item{Heading: tr.T("person.doc.as_attendee"), Fields: af})
	}
	return out
}

// publication is what the public register shows of a, exactly as the
// desktop app's preview shows it (domain.Appeal.Public decides: no
// contacts, address, PIN or village, the public summary only, and the name
// only with the appellant's recorded consent). Appeals neither published
// nor prepared for it have none.
func (b *builder) publication(a *domain.Appeal) (Publication, bool) {
	if !a.Published && !a.ReadyForPublication {
		return Publication{}, false
	}
	tr := b.tr
	pub := a.Public()
	p := Publication{Appeal: pub.RegNo, Heading: tr.T("person.doc.appeal", "reg_no", pub.RegNo), Published: a.Published, Named: pub.Named}
	var note []string
	if a.Published {
		if !a.PublishedOn.IsZero() {
			note = append(note, tr.T("person.doc.published_on", "date", tr.LongDate(a.PublishedOn)))
		} else {
			note = append(note, tr.T("person.doc.published_yes"))
		}
	} else {
		note = append(note, tr.T("person.doc.published_ready"))
	}
	if pub.Named {
		note = append(note, tr.T("person.doc.named_with_consent"))
	} else {
		note = append(note, tr.T("person.doc.not_named"))
	}
	p.Note = strings.Join(note, " ")
	var fs fields
	fs.add(b.text("public.reg_no", "field.reg_no", pub.RegNo))
	fs.add(b.date("public.received_on", "field.received_on", pub.ReceivedOn))
	r := b.region(pub.Oblast)
	r.Name = "public.oblast"
	fs.add(r)
	dis := b.district(pub.District)
	dis.Name = "public.district"
	fs.add(dis)
	fs.add(b.term("public.category", "field.category", refdata.RightCategories, pub.Category))
	fs.add(b.term("public.authority", "field.authority", refdata.Authorities, pub.Authority))
	st := b.status(pub.Status)
	st.Name = "public.status"
	fs.add(st)
	who := Field{Name: "public.appellant", Label: tr.T("field.appellant"), Text: tr.T("publication.anonymous")}
	if pub.Named {
		who.Text = pub.Appellant
	}
	fs.add(who)
	fs.add(b.text("public.summary", "field.public_summary", pub.Summary))
	p.Fields = fs
	return p, true
}
