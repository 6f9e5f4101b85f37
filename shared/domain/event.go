package domain

import (
	"fmt"
	"regexp"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

// KindEvent is the record kind of an event.
const KindEvent = "event"

// KindMaterial is the record kind of a trainer's material (a guide, a
// booklet, a presentation), read by every council.
const KindMaterial = "material"

// EventCollections: follow-up actions (and attachments) are items of their
// own, so two people adding actions to the same hearing both keep theirs;
// so are a training's attendees and the materials it used (training.go).
var EventCollections = []string{"followups", "attachments", "attendees", "materials"}

// Event is a hearing, public platform, forum, round table, conference, mobile
// reception, training or live broadcast.
type Event struct {
	ID              string                 `json:"id"`
	Council         string                 `json:"council"`
	Kind            string                 `json:"kind"`
	Title           string                 `json:"title"`
	Topic           string                 `json:"topic,omitempty"`
	Agenda          string                 `json:"agenda,omitempty"`
	Date            caldate.Date           `json:"date"`
	StartTime       string                 `json:"start_time,omitempty"`
	DurationMinutes int                    `json:"duration_minutes,omitempty"`
	Oblast          string                 `json:"oblast"`
	District        string                 `json:"district,omitempty"`
	Village         string                 `json:"village,omitempty"`
	Venue           string                 `json:"venue,omitempty"`
	Language        string                 `json:"language,omitempty"`
	Participants    map[string]GenderCount `json:"participants,omitempty"`
	Speakers        []Speaker              `json:"speakers,omitempty"`
	Decisions       []string               `json:"decisions,omitempty"`
	FollowUps       []FollowUp             `json:"followups,omitempty"`
	MediaLinks      []string               `json:"media_links,omitempty"`
	Attachments     []Attachment           `json:"attachments,omitempty"`
	Notes           string                 `json:"notes,omitempty"`
	// Attendees and Materials are a training's (training.go).
	Attendees []Attendee    `json:"attendees,omitempty"`
	Materials []MaterialUse `json:"materials,omitempty"`
	// Imported is set on an event that came from a legacy spreadsheet.
	Imported *Imported `json:"imported,omitempty"`
	Meta     *Meta     `json:"meta,omitempty"`
}

// GenderCount counts participants of one group.
type GenderCount struct {
	Female      int `json:"female,omitempty"`
	Male        int `json:"male,omitempty"`
	Unspecified int `json:"unspecified,omitempty"`
}

// Total of the three.
func (g GenderCount) Total() int { return g.Female + g.Male + g.Unspecified }

// Speaker is someone who spoke: usually an official, lawyer or expert.
type Speaker struct {
	Name         string `json:"name"`
	Role         string `json:"role,omitempty"`
	Organisation string `json:"organisation,omitempty"`
}

// FollowUp is an action decided at an event, owed by someone by a date.
type FollowUp struct {
	ID     string       `json:"id"`
	Action string       `json:"action"`
	Owner  string       `json:"owner"`
	Due    caldate.Date `json:"due"`
	Status string       `json:"status"`
	DoneOn caldate.Date `json:"done_on,omitzero"`
}

// Open reports whether the action is still owed.
func (f FollowUp) Open() bool { return f.Status == "" || f.Status == "open" }

// ParticipantTotal sums participants over groups.
func (e *Event) ParticipantTotal() (total GenderCount) {
	for _, g := range e.Participants {
		total.Female += g.Female
		total.Male += g.Male
		total.Unspecified += g.Unspecified
	}
	return total
}

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// maxCount bounds a participant count: larger is a typing error.
const maxCount = 100000

// Validate checks an event; today bounds dates (zero skips that check).
func (e *Event) Validate(cat *refdata.Catalog, today caldate.Date) error {
	c := &checker{kind: KindEvent}
	c.councilRef("council", e.Council)
	c.term(cat, refdata.EventKinds, "kind", e.Kind, true)
	c.text("title", e.Title, MaxTitle, true)
	c.text("topic", e.Topic, MaxTitle, false)
	c.text("agenda", e.Agenda, MaxLong, false)
	c.date("date", e.Date, true, today)
	if e.StartTime != "" && !hhmm.MatchString(e.StartTime) {
		c.add("start_time", CodeFormat, "%q is not a time (HH:MM, 24-hour)", e.StartTime)
	}
	if e.DurationMinutes < 0 || e.DurationMinutes > 7*24*60 {
		c.add("duration_minutes", CodeRange, "%d is not a duration in minutes (0 to a week)", e.DurationMinutes)
	}
	c.place(cat, "oblast", e.Oblast, "district", e.District)
	c.text("village", e.Village, MaxShort, false)
	c.text("venue", e.Venue, MaxShort, false)
	c.language("language", e.Language)
	for group, n := range e.Participants {
		field := "participants." + group
		if !cat.Has(refdata.ParticipantGroups, group) {
			c.add(field, CodeUnknown, "%q is not a participant group (one of: %s)", group, codes(cat, refdata.ParticipantGroups))
		}
		for _, v := range []int{n.Female, n.Male, n.Unspecified} {
			if v < 0 || v > maxCount {
				c.add(field, CodeRange, "count %d must be between 0 and %d", v, maxCount)
				break
			}
		}
	}
	for i, s := range e.Speakers {
		f := fmt.Sprintf("speakers[%d]", i)
		c.text(f+".name", s.Name, MaxShort, true)
		c.text(f+".role", s.Role, MaxShort, false)
		c.text(f+".organisation", s.Organisation, MaxShort, false)
	}
	for i, d := range e.Decisions {
		c.text(fmt.Sprintf("decisions[%d]", i), d, MaxLong, true)
	}
	for i, f := range e.FollowUps {
		c.followUp(cat, fmt.Sprintf("followups[%d]", i), f)
	}
	for i, l := range e.MediaLinks {
		c.link(fmt.Sprintf("media_links[%d]", i), l)
	}
	c.text("notes", e.Notes, MaxLong, false)
	c.attachments(e.Attachments)
	c.imported(e.Imported)
	c.checkTraining(cat, e)
	return c.err()
}

// Normalize fills defaults a form would: ids and status of new follow-up
// actions, ids of new attendees.
func (e *Event) Normalize() {
	for i := range e.Attendees {
		e.Attendees[i].Normalize()
	}
	for i := range e.FollowUps {
		if e.FollowUps[i].ID == "" {
			e.FollowUps[i].ID = NewID()
		}
		if e.FollowUps[i].Status == "" {
			e.FollowUps[i].Status = "open"
		}
	}
}

// followUp checks one follow-up action, named p (an event's Validate;
// ItemFaults, for one alone).
func (c *checker) followUp(cat *refdata.Catalog, p string, f FollowUp) {
	if !ValidID(f.ID) {
		c.add(p+".id", CodeFormat, "%q is not an id", f.ID)
	}
	c.text(p+".action", f.Action, MaxTitle, true)
	c.text(p+".owner", f.Owner, MaxShort, true)
	c.date(p+".due", f.Due, true, caldate.Date{})
	c.term(cat, refdata.FollowupStatuses, p+".status", f.Status, true)
	c.date(p+".done_on", f.DoneOn, false, caldate.Date{})
}
