package domain

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// What an anonymised export may hold: the one rule, used by the laptop's
// exports (every format), its reports and, later, the server's. It is a
// list of the fields that may go out, never a list of those that may not:
// a field added to a record kind stays out of anonymised exports until it
// is added here, with the reason it names nobody.
//
// Never in it (Law No. 58 on personal data): the appellant's name,
// contacts, address and personal number (PIN), the village of an appeal (in
// a small village it names the person), and every free text a secretary
// writes about a case (summary, description, notes of the workflow and of
// the review, the answer, to whom it was referred, the authority's name as
// typed, consultations' texts), since a secretary may have written a name
// or an address into any of them. Of an event, the names of speakers and
// of those owing follow-up actions, the texts of its agenda, decisions,
// actions and notes, and its links; of a training's attendees, their names
// and organisations (an attendee's gender, group and council stay: what
// reports count them by). Of any record, who made it (a laptop's
// name may be its secretary's) and the names of attached files. The
// public summary stays: it is written for the public register.
//
// A path names a field by its JSON name; "a.b" is field b of the object (or
// of every item of the list) a; "a.*" every field of a, whatever its name
// (the participant groups of an event).
var anonymisedFields = map[string][]string{
	KindAppeal: {
		"id", "reg_no", "council", "received_on", "registered_on", "channel", "event_id", "language",
		// Countable, naming nobody: what reports count appellants by.
		"anonymous", "gender", "age_group", "vulnerable_groups",
		"oblast", "district", "category", "authority",
		"status", "verified_on", "referred_on", "answered_on", "closed_on", "extension_days",
		"publish_identity_consent", "ready_for_publication", "public_summary", "published", "published_on",
		"consultations.id", "consultations.on", "consultations.at_status",
		"attachments.id", "attachments.mime", "attachments.size", "attachments.added_on",
		"imported.row", "imported.digest", "imported.ref",
		"deadlines.*", "overdue",
		"meta.created_at", "meta.updated_at", "meta.deleted",
	},
	KindEvent: {
		// The title and topic of a public event are public: they are what
		// the event was announced as.
		"id", "council", "kind", "title", "topic", "date", "start_time", "duration_minutes",
		"oblast", "district", "village", "venue", "language",
		"participants.*",
		"speakers.role", "speakers.organisation",
		"followups.id", "followups.due", "followups.status", "followups.done_on",
		"attendees.id", "attendees.gender", "attendees.group", "attendees.council",
		"materials.id",
		"attachments.id", "attachments.mime", "attachments.size", "attachments.added_on",
		"imported.row", "imported.digest", "imported.ref",
		"meta.created_at", "meta.updated_at", "meta.deleted",
	},
	KindGrant: {
		// A grant is public money: its purpose, amount, dates and the
		// titles of its milestones are what the grant agreement says and
		// the programme publishes. Its notes, the council's notes on its
		// reports and the notes of payments are free texts that may name
		// someone.
		"id", "council", "purpose", "amount", "currency", "start_on", "end_on",
		"milestones.id", "milestones.title", "milestones.due",
		"reports.id", "reports.met", "reports.met_on",
		"disbursements.id", "disbursements.on", "disbursements.amount",
		"meta.created_at", "meta.updated_at", "meta.deleted",
	},
}

// Anonymised reports whether an anonymised export may hold field path of a
// record of kind (see anonymisedFields: "appellant.name" may not,
// "gender" may, "participants.citizens.female" may). An unknown kind holds
// nothing.
func Anonymised(kind, path string) bool {
	for _, allowed := range anonymisedFields[kind] {
		if allowed == path {
			return true
		}
		if prefix, ok := strings.CutSuffix(allowed, "*"); ok && strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

// AnonymisedFields lists the field paths an anonymised export may hold of
// kind, in the rule's order (for documentation and for exports that show
// what they left out).
func AnonymisedFields(kind string) []string { return slices.Clone(anonymisedFields[kind]) }

// Anonymise returns what an anonymised export may hold of rec, a record of
// kind as its JSON encodes it (domain.Appeal, domain.Event): the same JSON
// object with every field Anonymised does not allow left out, at every
// depth. Lists of objects keep their items, each with its allowed fields.
//
// It reads the typed record directly (see anonymiseTyped): a field the
// rule leaves out is never read, and nothing is encoded to JSON and
// decoded again; what it returns is what anonymiseJSON, the same rule on
// the record's JSON, returns (a test compares the two on many records).
func Anonymise(kind string, rec any) (map[string]any, error) {
	if _, ok := anonymisedFields[kind]; !ok {
		return nil, fmt.Errorf("anonymise: %q is not a record kind an export holds", kind)
	}
	if m, ok, err := anonymiseTyped(kind, rec); ok {
		if err != nil {
			return nil, fmt.Errorf("anonymise %s: %w", kind, err)
		}
		return m, nil
	}
	return anonymiseJSON(kind, rec)
}

// anonymiseJSON is Anonymise through the record's JSON: encoded, decoded
// as an object, and what the rule does not allow deleted from it.
func anonymiseJSON(kind string, rec any) (map[string]any, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("anonymise %s: %w", kind, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("anonymise %s: not a JSON object: %w", kind, err)
	}
	keepAllowed(kind, "", m)
	return m, nil
}

// keepAllowed deletes from m (at path prefix) what Anonymised does not allow.
func keepAllowed(kind, prefix string, m map[string]any) {
	for k, v := range m {
		path := prefix + k
		if Anonymised(kind, path) {
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			keepAllowed(kind, path+".", x)
			if len(x) > 0 && anyAllowedUnder(kind, path) {
				continue
			}
		case []any:
			kept := x[:0]
			for _, item := range x {
				if o, ok := item.(map[string]any); ok && anyAllowedUnder(kind, path) {
					keepAllowed(kind, path+".", o)
					kept = append(kept, o)
				}
			}
			if len(kept) > 0 {
				m[k] = kept
				continue
			}
		}
		delete(m, k)
	}
}

// anyAllowedUnder reports whether some allowed path lies under path.
func anyAllowedUnder(kind, path string) bool {
	for _, allowed := range anonymisedFields[kind] {
		if strings.HasPrefix(allowed, path+".") {
			return true
		}
	}
	return false
}
