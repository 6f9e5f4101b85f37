package domain

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kenesh/kenesh/shared/refdata"
)

// Trainings (issue 17): an event of kind training keeps who attended and
// which of the programme's materials were used.
//
// Attendees are items of the event's "attendees" collection, one item per
// person with an id of its own (NewID), rather than records of their own
// linked to the event: the changeset already merges a collection item by
// item (two laptops adding people to the same training offline both keep
// theirs, a removal is the item set to null, an operation in the event's
// history), and an attendee then needs no rule of its own for who reads
// and writes it, for encryption or for deletion: it goes wherever the
// training goes, read by the same devices (the training's council and
// central staff). Records of their own would have needed a kind, a read
// scope, an index and a join in every report for the same result.
//
// The materials used are the "materials" collection: an item's id is the
// material's record id, so two laptops marking the same material used
// make the same item, and unmarking one is again an item set to null.

// EventKindTraining is the event kind that keeps an attendance list.
const EventKindTraining = "training"

// Attendee is one person who attended a training. Name and organisation
// are personal data, treated as an appellant's (policy.MayReadAttendance;
// anonymised exports leave them out, domain.Anonymised); gender, group
// and council are what reports count.
type Attendee struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Gender       string `json:"gender,omitempty"`
	Organisation string `json:"organisation,omitempty"`
	// Group is a participant group (refdata.ParticipantGroups: council
	// members, civil society, officials, journalists, citizens).
	Group string `json:"group"`
	// Council is the council the person comes from, when not the
	// training's own (a training may gather several councils' members).
	Council string `json:"council,omitempty"`
}

// MaterialUse marks a material (a record of kind material) as used at a
// training: its id is the material's.
type MaterialUse struct {
	ID string `json:"id"`
}

// IsTraining reports whether the event is a training.
func (e *Event) IsTraining() bool { return e.Kind == EventKindTraining }

// Attendee finds an attendee by id.
func (e *Event) Attendee(id string) (Attendee, bool) {
	for _, a := range e.Attendees {
		if a.ID == id {
			return a, true
		}
	}
	return Attendee{}, false
}

// AttendeesByName are the attendees ordered by name (then id), as lists
// show them.
func (e *Event) AttendeesByName() []Attendee {
	out := append([]Attendee(nil), e.Attendees...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := strings.ToLower(out[i].Name), strings.ToLower(out[j].Name)
		if a != b {
			return a < b
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// UsesMaterial reports whether the training marks material id used.
func (e *Event) UsesMaterial(id string) bool {
	for _, m := range e.Materials {
		if m.ID == id {
			return true
		}
	}
	return false
}

// Counted is what reports count of the event's participants, by group and
// gender: for a training with an attendance list, the list (an attendee
// with no gender counts as unspecified); otherwise the counts typed on
// the event. A training that has a list is counted from it alone, so a
// person is never counted twice (in the list and in a typed count).
func (e *Event) Counted() map[string]GenderCount {
	if !e.IsTraining() || len(e.Attendees) == 0 {
		return e.Participants
	}
	out := map[string]GenderCount{}
	for _, a := range e.Attendees {
		n := out[a.Group]
		switch a.Gender {
		case "female":
			n.Female++
		case "male":
			n.Male++
		default:
			n.Unspecified++
		}
		out[a.Group] = n
	}
	return out
}

// CountedTotal sums Counted over groups.
func (e *Event) CountedTotal() (total GenderCount) {
	for _, g := range e.Counted() {
		total.Female += g.Female
		total.Male += g.Male
		total.Unspecified += g.Unspecified
	}
	return total
}

// MaxAttendees bounds a training's list: more is a pasted file.
const MaxAttendees = 5000

// checkTraining checks the attendance list and the materials used. Faults
// of an item are named by the item's field in the change log
// ("attendees/ID.name"), as a grant's are.
func (c *checker) checkTraining(cat *refdata.Catalog, e *Event) {
	if !e.IsTraining() {
		if len(e.Attendees) > 0 {
			c.add("attendees", CodeMismatch, "an attendance list is kept for trainings; this event is a %s (make it a training, or remove the %d attendees)", e.Kind, len(e.Attendees))
		}
		if len(e.Materials) > 0 {
			c.add("materials", CodeMismatch, "the materials used are kept for trainings; this event is a %s", e.Kind)
		}
	}
	if len(e.Attendees) > MaxAttendees {
		c.add("attendees", CodeRange, "%d attendees, at most %d", len(e.Attendees), MaxAttendees)
	}
	seen := map[string]bool{}
	for _, a := range e.Attendees {
		c.attendee(cat, a, seen[a.ID])
		seen[a.ID] = true
	}
	used := map[string]bool{}
	for _, m := range e.Materials {
		c.materialUse(m, used[m.ID])
		used[m.ID] = true
	}
}

// attendee checks one attendee; twice says its id came before (a
// training's check; ItemFaults, for one alone).
func (c *checker) attendee(cat *refdata.Catalog, a Attendee, twice bool) {
	p := "attendees/" + a.ID
	if !ValidID(a.ID) || twice {
		c.add(p, CodeFormat, "%q is not an attendee's id, or is used twice", a.ID)
	}
	c.text(p+".name", a.Name, MaxShort, true)
	c.term(cat, refdata.Genders, p+".gender", a.Gender, false)
	c.text(p+".organisation", a.Organisation, MaxShort, false)
	c.term(cat, refdata.ParticipantGroups, p+".group", a.Group, true)
	if a.Council != "" {
		c.councilRef(p+".council", a.Council)
	}
}

// materialUse checks one material used; twice as attendee's.
func (c *checker) materialUse(m MaterialUse, twice bool) {
	if !ValidID(m.ID) || twice {
		c.add("materials/"+m.ID, CodeFormat, "%q is not a material's id, or is used twice", m.ID)
	}
}

// Normalize trims what was typed and gives new attendees an id.
func (a *Attendee) Normalize() {
	a.Name = strings.Join(strings.Fields(a.Name), " ")
	a.Organisation = strings.TrimSpace(a.Organisation)
	a.Gender = strings.TrimSpace(a.Gender)
	a.Group = strings.TrimSpace(a.Group)
	a.Council = strings.ToUpper(strings.TrimSpace(a.Council))
	if a.ID == "" {
		a.ID = NewID()
	}
}

// String is the attendee for error messages: the name, else the id.
func (a Attendee) String() string {
	if a.Name != "" {
		return a.Name
	}
	return fmt.Sprintf("attendee %s", a.ID)
}
