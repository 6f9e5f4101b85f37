package export

import (
	"slices"

	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// Type says what a column holds and so how each format writes it.
type Type int

const (
	Text     Type = iota
	Date          // a day: a real date in XLSX, YYYY-MM-DD in CSV
	DateTime      // a moment, in Bishkek time
	Number
	Bool     // yes or no, in words
	Term     // a code of List, by its name
	Terms    // codes of List, by their names, one per line
	Region   // an oblast or city by its name
	District // a district by its name
	Status   // an appeal's status by its name
	Language // ky, ru or en by its name
	Count    // how many items of a list have the field the path names
	Joined   // the texts of a list's items, one per line
	Sum      // the sum of the numbers a list's items hold in the field the path names
)

// Column is one column of a kind's sheet or CSV file: a field of the
// record's JSON (as keneshctl show prints it) by its path, as
// domain.Anonymised names fields, so that whether an anonymised export
// holds it is decided by that one rule and nowhere else.
type Column struct {
	Path string
	// Label is the translation key of its head; Sub, when set, is a
	// second key after it ("Citizens — women").
	Label, Sub string
	// Group names a term of ParticipantGroups for the head's first part.
	Group string
	Type  Type
	List  refdata.List // of Term and Terms
}

// Kind describes how the records of one kind are exported: its sheet and
// columns. A kind of issue 17 (a questionnaire's responses, trainings'
// attendance, grants) plugs in with a Kind here, its fields in
// domain.Anonymised, and records.EachRecord reading it.
type Kind struct {
	Name string // the record kind
	// Sheet is the translation key of its sheet's name; File the stem
	// of its CSV file in a zip.
	Sheet, File string
	Columns     func(cat *refdata.Catalog) []Column
	// Items are the tables of a list of each record (a grant's
	// milestones, its disbursements): a sheet or CSV file of their own
	// after the records', one row an item. JSON holds them in their
	// records.
	Items []*Items
}

// Items is a table of the items of one list of a kind's records. A row
// is the record's object with the list replaced by one item, and Join's
// list by its item of the same id: so a column names a field by its path
// in the record ("milestones.due", "reports.met_on", "council"), and the
// anonymisation rule (domain.Anonymised of the record's kind) decides it
// as it decides the record's.
type Items struct {
	List, Join  string
	Sheet, File string
	Columns     []Column
}

// Kinds lists the kinds exports hold, in the order they are written.
var Kinds = []*Kind{appealKind, eventKind, grantKind}

// KindOf returns the description of a record kind.
func KindOf(name string) (*Kind, bool) {
	i := slices.IndexFunc(Kinds, func(k *Kind) bool { return k.Name == name })
	if i < 0 {
		return nil, false
	}
	return Kinds[i], true
}

// ColumnsOf lists the columns of k an export holds: all of them with
// personal data, else those domain.Anonymised allows.
func (k *Kind) ColumnsOf(cat *refdata.Catalog, personal bool) []Column {
	return allowed(k.Name, k.Columns(cat), personal)
}

func allowed(kind string, cols []Column, personal bool) []Column {
	var out []Column
	for _, c := range cols {
		if personal || domain.Anonymised(kind, c.Path) {
			out = append(out, c)
		}
	}
	return out
}

// Tables counts the tables (sheets, CSV files) of kinds.
func Tables(kinds []string) int {
	n := 0
	for _, name := range kinds {
		if k, ok := KindOf(name); ok {
			n += 1 + len(k.Items)
		}
	}
	return n
}

// rows calls fn with a row of each item of its list in m, a record as
// an object (see Items).
func (it *Items) rows(m map[string]any, fn func(row map[string]any) error) error {
	items, _ := m[it.List].([]any)
	joined, _ := m[it.Join].([]any)
	for _, item := range items {
		o, ok := item.(map[string]any)
		if !ok {
			continue
		}
		row := make(map[string]any, len(m))
		for k, v := range m {
			row[k] = v
		}
		row[it.List] = o
		if it.Join != "" {
			delete(row, it.Join)
			for _, j := range joined {
				if jo, ok := j.(map[string]any); ok && jo["id"] == o["id"] {
					row[it.Join] = jo
				}
			}
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return nil
}

var appealKind = &Kind{Name: domain.KindAppeal, Sheet: "export.sheet.appeals", File: "appeals", Columns: func(*refdata.Catalog) []Column {
	return []Column{
		{Path: "reg_no", Label: "field.reg_no"},
		{Path: "id", Label: "field.id"},
		{Path: "council", Label: "field.council_code"},
		{Path: "received_on", Label: "field.received_on", Type: Date},
		{Path: "registered_on", Label: "field.registered_on", Type: Date},
		{Path: "channel", Label: "field.channel", Type: Term, List: refdata.AppealChannels},
		{Path: "language", Label: "field.language", Type: Language},
		{Path: "anonymous", Label: "field.anonymous", Type: Bool},
		{Path: "appellant.name", Label: "field.appellant_name"},
		{Path: "appellant.phone", Label: "field.phone"},
		{Path: "appellant.email", Label: "field.email"},
		{Path: "appellant.address", Label: "field.address"},
		{Path: "appellant.pin", Label: "field.pin"},
		{Path: "gender", Label: "field.gender", Type: Term, List: refdata.Genders},
		{Path: "age_group", Label: "field.age_group", Type: Term, List: refdata.AgeGroups},
		{Path: "vulnerable_groups", Label: "field.vulnerable_groups", Type: Terms, List: refdata.VulnerableGroups},
		{Path: "oblast", Label: "field.oblast", Type: Region},
		{Path: "district", Label: "field.district", Type: District},
		{Path: "village", Label: "field.village"},
		{Path: "category", Label: "field.category", Type: Term, List: refdata.RightCategories},
		{Path: "authority", Label: "field.authority", Type: Term, List: refdata.Authorities},
		{Path: "authority_name", Label: "field.authority_name"},
		{Path: "summary", Label: "field.summary"},
		{Path: "description", Label: "field.description"},
		{Path: "status", Label: "field.status", Type: Status},
		{Path: "status_note", Label: "field.status_note"},
		{Path: "verified_on", Label: "field.verified_on", Type: Date},
		{Path: "rejection_reason", Label: "field.rejection_reason"},
		{Path: "referred_to", Label: "field.referred_to"},
		{Path: "referred_on", Label: "field.referred_on", Type: Date},
		{Path: "answered_on", Label: "field.answered_on", Type: Date},
		{Path: "answer_summary", Label: "field.answer_summary"},
		{Path: "closed_on", Label: "field.closed_on", Type: Date},
		{Path: "extension_days", Label: "field.extension_days", Type: Number},
		{Path: "extension_note", Label: "field.extension_note"},
		{Path: "deadlines.register_by", Label: "field.register_by", Type: Date},
		{Path: "deadlines.answer_by", Label: "field.answer_by", Type: Date},
		{Path: "overdue", Label: "export.col.overdue", Type: Bool},
		{Path: "publish_identity_consent", Label: "field.publish_identity_consent", Type: Bool},
		{Path: "ready_for_publication", Label: "field.ready_for_publication", Type: Bool},
		{Path: "public_summary", Label: "field.public_summary"},
		{Path: "published", Label: "field.published", Type: Bool},
		{Path: "published_on", Label: "field.published_on", Type: Date},
		{Path: "review_note", Label: "field.review_note"},
		{Path: "consultations.id", Label: "field.consultations", Type: Count},
		{Path: "consultations.summary", Label: "export.col.consultation_texts", Type: Joined},
		{Path: "attachments.id", Label: "field.attachments", Type: Count},
		{Path: "imported.file", Label: "field.imported"},
		{Path: "imported.row", Label: "export.col.imported_row", Type: Number},
		{Path: "meta.created_at", Label: "export.col.created_at", Type: DateTime},
		{Path: "meta.updated_at", Label: "export.col.updated_at", Type: DateTime},
	}
}}

var eventKind = &Kind{Name: domain.KindEvent, Sheet: "export.sheet.events", File: "events", Columns: func(cat *refdata.Catalog) []Column {
	cols := []Column{
		{Path: "id", Label: "field.id"},
		{Path: "council", Label: "field.council_code"},
		{Path: "kind", Label: "field.kind", Type: Term, List: refdata.EventKinds},
		{Path: "title", Label: "field.title"},
		{Path: "topic", Label: "field.topic"},
		{Path: "agenda", Label: "field.agenda"},
		{Path: "date", Label: "field.date", Type: Date},
		{Path: "start_time", Label: "field.start_time"},
		{Path: "duration_minutes", Label: "field.duration_minutes", Type: Number},
		{Path: "oblast", Label: "field.oblast", Type: Region},
		{Path: "district", Label: "field.district", Type: District},
		{Path: "village", Label: "field.village"},
		{Path: "venue", Label: "field.venue"},
		{Path: "language", Label: "field.language", Type: Language},
	}
	for _, g := range cat.Terms(refdata.ParticipantGroups) {
		for _, sex := range []string{"female", "male", "unspecified"} {
			cols = append(cols, Column{Path: "participants." + g.Code + "." + sex, Group: g.Code, Label: "field." + sex, Type: Number})
		}
	}
	return append(cols,
		Column{Path: "speakers.name", Label: "field.speakers", Type: Joined},
		Column{Path: "speakers.role", Label: "field.speaker_role", Type: Joined},
		Column{Path: "decisions", Label: "field.decisions", Type: Joined},
		Column{Path: "followups.id", Label: "field.followups", Type: Count},
		Column{Path: "followups.action", Label: "export.col.followup_texts", Type: Joined},
		Column{Path: "media_links", Label: "field.media_links", Type: Joined},
		// A training's attendance: how many, and (personal exports only)
		// who; the participants' columns above are what was typed.
		Column{Path: "attendees.id", Label: "export.col.attendees", Type: Count},
		Column{Path: "attendees.name", Label: "export.col.attendee_names", Type: Joined},
		Column{Path: "materials.id", Label: "export.col.materials_used", Type: Count},
		Column{Path: "attachments.id", Label: "field.attachments", Type: Count},
		Column{Path: "notes", Label: "field.notes"},
		Column{Path: "imported.file", Label: "field.imported"},
		Column{Path: "imported.row", Label: "export.col.imported_row", Type: Number},
		Column{Path: "meta.created_at", Label: "export.col.created_at", Type: DateTime},
		Column{Path: "meta.updated_at", Label: "export.col.updated_at", Type: DateTime},
	)
}}

// A grant: a row each, its milestones (with the council's report of
// each) and its disbursements in tables of their own.
var grantKind = &Kind{Name: domain.KindGrant, Sheet: "export.sheet.grants", File: "grants", Columns: func(*refdata.Catalog) []Column {
	return []Column{
		{Path: "id", Label: "field.id"},
		{Path: "council", Label: "field.council_code"},
		{Path: "purpose", Label: "field.purpose"},
		{Path: "amount", Label: "field.amount", Type: Number},
		{Path: "currency", Label: "field.currency"},
		{Path: "start_on", Label: "field.start_on", Type: Date},
		{Path: "end_on", Label: "field.end_on", Type: Date},
		{Path: "disbursements.amount", Label: "export.col.disbursed", Type: Sum},
		{Path: "disbursements.id", Label: "export.col.disbursements", Type: Count},
		{Path: "milestones.id", Label: "export.col.milestones", Type: Count},
		// A report with a day is a milestone met (a withdrawn report
		// has none).
		{Path: "reports.met_on", Label: "export.col.milestones_met", Type: Count},
		{Path: "notes", Label: "field.notes"},
		{Path: "meta.created_at", Label: "export.col.created_at", Type: DateTime},
		{Path: "meta.updated_at", Label: "export.col.updated_at", Type: DateTime},
	}
}, Items: []*Items{
	{List: "milestones", Join: "reports", Sheet: "export.sheet.grant_milestones", File: "grant_milestones", Columns: []Column{
		{Path: "id", Label: "export.col.grant_id"},
		{Path: "council", Label: "field.council_code"},
		{Path: "milestones.id", Label: "field.id"},
		{Path: "milestones.title", Label: "field.milestone"},
		{Path: "milestones.due", Label: "field.due_on", Type: Date},
		{Path: "reports.met", Label: "field.met", Type: Bool},
		{Path: "reports.met_on", Label: "field.met_on", Type: Date},
		{Path: "reports.note", Label: "export.col.report_note"},
	}},
	{List: "disbursements", Sheet: "export.sheet.grant_disbursements", File: "grant_disbursements", Columns: []Column{
		{Path: "id", Label: "export.col.grant_id"},
		{Path: "council", Label: "field.council_code"},
		{Path: "disbursements.id", Label: "field.id"},
		{Path: "disbursements.on", Label: "field.paid_on", Type: Date},
		{Path: "disbursements.amount", Label: "field.amount", Type: Number},
		{Path: "disbursements.note", Label: "field.notes"},
	}},
}}

// Head is a column's head in words.
func (c Column) Head(w reports.Words) string {
	h := w.Tr.T(c.Label)
	if c.Group != "" {
		h = w.Term(refdata.ParticipantGroups, c.Group) + " — " + h
	}
	return h
}
