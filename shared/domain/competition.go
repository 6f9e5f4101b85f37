package domain

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/kenesh/kenesh/shared/caldate"
)

// Competitions: the programme runs competitions for journalists and for
// councils. Central staff set one up (its rules, categories, deadline,
// criteria and jury) and record the entries; each juror scores each entry
// on every criterion on their own laptop, offline. A juror is a device:
// only that device writes the juror's scores, each score an item of its
// own (one per juror and entry, ScoreID), so scores merge and one juror's
// score is never overwritten by another's. A juror marked as related to
// an entry (a conflict of interest) does not score it. The ranking
// (Competition.Ranking) is computed here, once, for the laptops, the
// command line and the public site alike.
//
// A competition is read by every device: a juror may be any laptop
// (central staff's, or a council secretary's judging a journalists'
// competition). Entries carry an author's name and a work already made
// public by its author; nothing in a competition is an appellant's data.

// KindCompetition is the record kind of a competition.
const KindCompetition = "competition"

// Who a competition is for.
const (
	AudienceJournalists = "journalists"
	AudienceCouncils    = "councils"
)

// CompetitionCollections: categories, criteria, jurors, entries and
// scores are items of their own, so central staff adding an entry and a
// juror scoring another both keep theirs.
var CompetitionCollections = []string{"categories", "criteria", "jurors", "entries", "scores"}

// CompetitionScoreFields is the collection a juror's laptop writes: its
// own scores. Everything else is central staff's.
const CompetitionScoreFields = "scores"

// Bounds a competition's numbers are checked against: larger is a typing
// error.
const (
	MaxCriterionPoints = 1000
	MaxPlaces          = 50
	// DefaultPlaces: first, second and third place in each category.
	DefaultPlaces = 3
)

// Competition is a competition with its jury, entries and scores.
type Competition struct {
	ID       string       `json:"id"`
	Title    string       `json:"title"`
	Audience string       `json:"audience"`
	Rules    string       `json:"rules,omitempty"`
	Deadline caldate.Date `json:"deadline"`
	// Places is how many places are awarded in each category (the
	// winners the public site shows); 0 means DefaultPlaces.
	Places      int          `json:"places,omitempty"`
	Categories  []Category   `json:"categories,omitempty"`
	Criteria    []Criterion  `json:"criteria,omitempty"`
	Jurors      []Juror      `json:"jurors,omitempty"`
	Entries     []Entry      `json:"entries,omitempty"`
	Scores      []Score      `json:"scores,omitempty"`
	PublishedOn caldate.Date `json:"published_on,omitzero"`
	Notes       string       `json:"notes,omitempty"`
	Meta        *Meta        `json:"meta,omitempty"`
}

// Category is a competition's category (best investigation, best
// broadcast, ...): entries are ranked within their category.
type Category struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Criterion is what the jurors score an entry on, from 0 to Max points.
type Criterion struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Max  int    `json:"max"`
}

// Juror is a member of the jury: a person and the device (its enrolled
// id) on which they score.
type Juror struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Device string `json:"device"`
}

// LaptopID is a laptop's id as typed or pasted, the way every laptop
// writes it (records.Init: a UUID, lowercase with dashes), when it is a
// UUID in any common spelling (capitals, braces, "urn:uuid:", no
// dashes), and trimmed of spaces when it is none (which Validate
// refuses: a juror named by anything but a laptop's id could never
// score, as the server enrols no laptop by another).
func LaptopID(s string) string {
	s = strings.TrimSpace(s)
	if id, err := uuid.Parse(s); err == nil {
		return id.String()
	}
	return s
}

// exampleLaptopID shows what a laptop's id looks like, in messages.
const exampleLaptopID = "0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9d0e"

// Entry is a work entered in the competition.
type Entry struct {
	ID       string `json:"id"`
	Author   string `json:"author"`
	Title    string `json:"title"`
	Category string `json:"category,omitempty"`
	Link     string `json:"link,omitempty"`
	// File is the work itself, when it was sent as a file; it travels
	// like an event's attachments.
	File        *Attachment  `json:"file,omitempty"`
	SubmittedOn caldate.Date `json:"submitted_on,omitzero"`
	// Related are the jurors (their ids) marked as related to the entry:
	// a conflict of interest; they do not score it.
	Related []string `json:"related,omitempty"`
}

// Score is one juror's score of one entry: points on each criterion, by
// the criterion's id. Its id is ScoreID(Juror, Entry).
type Score struct {
	ID     string         `json:"id"`
	Juror  string         `json:"juror"`
	Entry  string         `json:"entry"`
	Points map[string]int `json:"points"`
	On     caldate.Date   `json:"on,omitzero"`
	Note   string         `json:"note,omitempty"`
}

// ScoreID is the id of juror's score of entry: the same on every laptop,
// so a juror scoring again writes the same item, and different for every
// juror, so no juror writes another's. It is a name-based UUID (version
// 5) of both ids.
func ScoreID(juror, entry string) string {
	return uuid.NewSHA1(scoreSpace, []byte(juror+"/"+entry)).String()
}

// scoreSpace is the namespace of ScoreID; never change it.
var scoreSpace = uuid.MustParse("8b7f0f7c-6d55-4c1e-9a57-2f4f3d8e1c0b")

// PlacesAwarded is how many places each category awards.
func (c *Competition) PlacesAwarded() int {
	if c.Places <= 0 {
		return DefaultPlaces
	}
	return c.Places
}

// Juror finds a juror by id.
func (c *Competition) Juror(id string) (Juror, bool) {
	for _, j := range c.Jurors {
		if j.ID == id {
			return j, true
		}
	}
	return Juror{}, false
}

// JurorOf is the juror who scores on device, if any.
func (c *Competition) JurorOf(device string) (Juror, bool) {
	for _, j := range c.Jurors {
		if j.Device == device && device != "" {
			return j, true
		}
	}
	return Juror{}, false
}

// Entry finds an entry by id.
func (c *Competition) Entry(id string) (Entry, bool) {
	for _, e := range c.Entries {
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}

// Score is juror's score of entry, if they scored it.
func (c *Competition) Score(juror, entry string) (Score, bool) {
	id := ScoreID(juror, entry)
	for _, s := range c.Scores {
		if s.ID == id {
			return s, true
		}
	}
	return Score{}, false
}

// Related reports whether juror is marked as related to entry (a
// conflict of interest).
func (e *Entry) RelatedTo(juror string) bool { return slices.Contains(e.Related, juror) }

// MayScore says whether juror may score entry, and if not why, in a
// sentence a person reads: the one rule the laptop's form, the command
// line and the server's check all use.
func (c *Competition) MayScore(juror, entry string) error {
	j, ok := c.Juror(juror)
	if !ok {
		return fmt.Errorf("%q is not a member of the jury of %q", juror, c.Title)
	}
	e, ok := c.Entry(entry)
	if !ok {
		return fmt.Errorf("%q is not an entry of %q", entry, c.Title)
	}
	if e.RelatedTo(juror) {
		return fmt.Errorf("%s is marked as related to the entry %q by %s (a conflict of interest) and does not score it; the other jurors' scores rank it", j.Name, e.Title, e.Author)
	}
	return nil
}

// complete reports whether s scores every criterion within its bounds.
func (c *Competition) complete(s Score) bool {
	for _, cr := range c.Criteria {
		p, ok := s.Points[cr.ID]
		if !ok || p < 0 || p > cr.Max {
			return false
		}
	}
	return len(c.Criteria) > 0
}

// total is the sum of s's points on the competition's criteria.
func (c *Competition) total(s Score) int {
	n := 0
	for _, cr := range c.Criteria {
		n += s.Points[cr.ID]
	}
	return n
}

// Normalize fills what a form would: the ids of new items (a score's id
// from its juror and entry), trimmed text.
func (c *Competition) Normalize() {
	c.Title = strings.TrimSpace(c.Title)
	c.Audience = strings.TrimSpace(c.Audience)
	for i := range c.Categories {
		c.Categories[i].Name = strings.TrimSpace(c.Categories[i].Name)
		if c.Categories[i].ID == "" {
			c.Categories[i].ID = NewID()
		}
	}
	for i := range c.Criteria {
		c.Criteria[i].Name = strings.TrimSpace(c.Criteria[i].Name)
		if c.Criteria[i].ID == "" {
			c.Criteria[i].ID = NewID()
		}
	}
	for i := range c.Jurors {
		c.Jurors[i].Name = strings.TrimSpace(c.Jurors[i].Name)
		c.Jurors[i].Device = LaptopID(c.Jurors[i].Device)
		if c.Jurors[i].ID == "" {
			c.Jurors[i].ID = NewID()
		}
	}
	for i := range c.Entries {
		e := &c.Entries[i]
		e.Author, e.Title, e.Link = strings.TrimSpace(e.Author), strings.TrimSpace(e.Title), strings.TrimSpace(e.Link)
		if e.ID == "" {
			e.ID = NewID()
		}
	}
	for i := range c.Scores {
		if c.Scores[i].ID == "" {
			c.Scores[i].ID = ScoreID(c.Scores[i].Juror, c.Scores[i].Entry)
		}
	}
}

// Validate checks a competition; today bounds dates (zero skips that
// check). Faults of an item are named by the item's field in the change
// log ("scores/ID.points"), so that the server can tell which operation
// wrote them (CompetitionFaultFields).
func (c *Competition) Validate(today caldate.Date) error {
	ch := &checker{kind: KindCompetition}
	ch.text("title", c.Title, MaxTitle, true)
	switch c.Audience {
	case AudienceJournalists, AudienceCouncils:
	case "":
		ch.add("audience", CodeRequired, "is required: %s or %s", AudienceJournalists, AudienceCouncils)
	default:
		ch.add("audience", CodeUnknown, "%q: a competition is for %s or for %s", c.Audience, AudienceJournalists, AudienceCouncils)
	}
	ch.text("rules", c.Rules, MaxLong, false)
	ch.date("deadline", c.Deadline, true, caldate.Date{})
	if c.Places < 0 || c.Places > MaxPlaces {
		ch.add("places", CodeRange, "%d places: a category awards 1 to %d places (0 for the usual %d)", c.Places, MaxPlaces, DefaultPlaces)
	}
	ids := map[string]bool{}
	item := func(p, id, what string) {
		if !ValidID(id) || ids[p] {
			ch.add(p, CodeFormat, "%q is not %s id, or is used twice", id, what)
		}
		ids[p] = true
	}
	categories := map[string]bool{}
	for _, cat := range c.Categories {
		p := "categories/" + cat.ID
		item(p, cat.ID, "a category's")
		categories[cat.ID] = true
		ch.text(p+".name", cat.Name, MaxTitle, true)
	}
	for _, cr := range c.Criteria {
		p := "criteria/" + cr.ID
		item(p, cr.ID, "a criterion's")
		ch.text(p+".name", cr.Name, MaxTitle, true)
		if cr.Max < 1 || cr.Max > MaxCriterionPoints {
			ch.add(p+".max", CodeRange, "%d: a criterion is scored out of 1 to %d points", cr.Max, MaxCriterionPoints)
		}
	}
	devices := map[string]string{}
	for _, j := range c.Jurors {
		p := "jurors/" + j.ID
		item(p, j.ID, "a juror's")
		ch.text(p+".name", j.Name, MaxShort, true)
		if ch.required(p+".device", j.Device) {
			n := len(ch.errs)
			ch.maxLen(p+".device", j.Device, MaxShort)
			if len(ch.errs) == n && !ValidID(j.Device) {
				ch.add(p+".device", CodeFormat, "%q is not a laptop's id: a laptop's id is a UUID, 36 characters like %s, which Settings and 'keneshctl status' show on the juror's laptop (a juror named by anything else could never score: the server enrols no laptop by another)", j.Device, exampleLaptopID)
			}
			if other, ok := devices[j.Device]; ok {
				ch.add(p+".device", CodeMismatch, "device %s already scores as %s: a juror scores on a device of their own", j.Device, other)
			}
			devices[j.Device] = j.Name
		}
	}
	for _, e := range c.Entries {
		p := "entries/" + e.ID
		item(p, e.ID, "an entry's")
		ch.text(p+".author", e.Author, MaxShort, true)
		ch.text(p+".title", e.Title, MaxTitle, true)
		switch {
		case len(c.Categories) > 0 && e.Category == "":
			ch.add(p+".category", CodeRequired, "is required: the competition has categories, and an entry is ranked in one")
		case e.Category != "" && !categories[e.Category]:
			ch.add(p+".category", CodeUnknown, "%q is not a category of the competition", e.Category)
		}
		if e.Link != "" {
			ch.link(p+".link", e.Link)
		}
		if e.File != nil {
			ch.file(p+".file", *e.File, MaxAttachmentSize)
		}
		ch.date(p+".submitted_on", e.SubmittedOn, false, today)
		ch.notFuture(p+".submitted_on", e.SubmittedOn, today)
		if !e.SubmittedOn.IsZero() && !c.Deadline.IsZero() && e.SubmittedOn.After(c.Deadline) {
			ch.add(p+".submitted_on", CodeRange, "submitted on %s, after the deadline of %s", e.SubmittedOn, c.Deadline)
		}
		for _, j := range e.Related {
			if _, ok := c.Juror(j); !ok {
				ch.add(p+".related", CodeUnknown, "%q is not a member of the jury", j)
			}
		}
	}
	for _, s := range c.Scores {
		p := "scores/" + s.ID
		if s.ID != ScoreID(s.Juror, s.Entry) {
			ch.add(p, CodeMismatch, "is not the score of juror %q for entry %q (a score's id is ScoreID of both)", s.Juror, s.Entry)
			continue
		}
		if err := c.MayScore(s.Juror, s.Entry); err != nil {
			ch.add(p, CodeForbidden, "%v", err)
			continue
		}
		for _, cr := range c.Criteria {
			v, ok := s.Points[cr.ID]
			switch {
			case !ok:
				ch.add(p+".points", CodeRequired, "no points for %q: score every criterion", cr.Name)
			case v < 0 || v > cr.Max:
				ch.add(p+".points", CodeRange, "%d points for %q, which is scored from 0 to %d", v, cr.Name, cr.Max)
			}
		}
		for k := range s.Points {
			if !slices.ContainsFunc(c.Criteria, func(cr Criterion) bool { return cr.ID == k }) {
				ch.add(p+".points", CodeUnknown, "%q is not a criterion of the competition", k)
			}
		}
		ch.date(p+".on", s.On, false, today)
		ch.notFuture(p+".on", s.On, today)
		ch.text(p+".note", s.Note, MaxLong, false)
	}
	ch.date("published_on", c.PublishedOn, false, today)
	ch.notFuture("published_on", c.PublishedOn, today)
	if !c.PublishedOn.IsZero() {
		for _, r := range c.Ranking() {
			if !r.Complete() {
				ch.add("published_on", CodeMismatch, "the ranking of %s is not complete (%s): winners are published once every juror who may score has scored", r.Category.label(), r.MissingText())
			}
		}
	}
	ch.text("notes", c.Notes, MaxLong, false)
	return ch.err()
}

// CompetitionFaultFields are the fields of the change log whose writing
// can cause fe, a fault Competition.Validate found. A score's faults are
// its own: central staff changing a criterion, or marking a juror as
// related to an entry the juror already scored, are never refused for
// it (the score is then left out of the ranking, and the juror asked to
// score again if they may); only the juror's write of the score is. An
// entry in a category removed is the removal's fault too; publishing an
// incomplete ranking is the publication's. ("categories/" stands for
// every item of the collection.)
func CompetitionFaultFields(fe FieldError) []string {
	field, _, _ := strings.Cut(fe.Field, ".")
	switch {
	case strings.HasSuffix(fe.Field, ".category") && strings.HasPrefix(field, "entries/"):
		return []string{field, "categories/"}
	case strings.HasSuffix(fe.Field, ".related"):
		return []string{field, "jurors/"}
	case strings.HasSuffix(fe.Field, ".submitted_on"):
		return []string{field, "deadline"}
	}
	return []string{field}
}

func (cat Category) label() string {
	if cat.Name == "" {
		return "the competition"
	}
	return fmt.Sprintf("category %q", cat.Name)
}

// CategoryByRef finds a category by its id or name (zero if none).
func (c *Competition) CategoryByRef(ref string) Category {
	for _, cat := range c.Categories {
		if cat.ID == ref || strings.EqualFold(cat.Name, strings.TrimSpace(ref)) {
			return cat
		}
	}
	return Category{}
}

// JurorByRef finds a juror by id, name or device.
func (c *Competition) JurorByRef(ref string) (Juror, bool) {
	ref = strings.TrimSpace(ref)
	for _, j := range c.Jurors {
		if j.ID == ref || j.Device == LaptopID(ref) || strings.EqualFold(j.Name, ref) {
			return j, true
		}
	}
	return Juror{}, false
}

// CriterionByRef finds a criterion by its number (from 1, in the
// competition's order), id or name.
func (c *Competition) CriterionByRef(ref string) (Criterion, bool) {
	if n, err := strconv.Atoi(ref); err == nil {
		if n >= 1 && n <= len(c.Criteria) {
			return c.Criteria[n-1], true
		}
		return Criterion{}, false
	}
	for _, cr := range c.Criteria {
		if cr.ID == ref || strings.EqualFold(cr.Name, ref) {
			return cr, true
		}
	}
	return Criterion{}, false
}

// CriteriaText lists the criteria as "1 NAME (0-MAX)", for messages.
func (c *Competition) CriteriaText() string {
	parts := make([]string, len(c.Criteria))
	for i, cr := range c.Criteria {
		parts[i] = fmt.Sprintf("%d %s (0-%d)", i+1, cr.Name, cr.Max)
	}
	return strings.Join(parts, ", ")
}

// FindEntry finds an entry by its id or its number in the competition's
// list (from 1, in the order the entries were added).
func (c *Competition) FindEntry(ref string) (Entry, error) {
	if n, err := strconv.Atoi(ref); err == nil {
		if n >= 1 && n <= len(c.Entries) {
			return c.Entries[n-1], nil
		}
		return Entry{}, fmt.Errorf("entry %d: %q has %d entries, numbered from 1", n, c.Title, len(c.Entries))
	}
	if e, ok := c.Entry(ref); ok {
		return e, nil
	}
	return Entry{}, fmt.Errorf("%q is not an entry of %q: give its id or its number", ref, c.Title)
}

// PublicCompetition is everything the public site shows of a
// competition: its title, audience, the day its winners were published,
// and in each category the winners (PublicWinner). Built field by field
// (Competition.Public), never by copying the competition and blanking
// fields, so a field added to Competition stays off the public site until
// it is added here. Never in it: the jury, the scores and means, the
// conflicts of interest, the entries that did not win, the rules and
// notes, an entry's file or the day it came.
type PublicCompetition struct {
	Title       string           `json:"title"`
	Audience    string           `json:"audience"`
	PublishedOn caldate.Date     `json:"published_on"`
	Categories  []PublicCategory `json:"categories"`
}

// PublicCategory is a category's name ("" when the competition has none)
// and its winners, by place.
type PublicCategory struct {
	Name    string         `json:"name,omitempty"`
	Winners []PublicWinner `json:"winners"`
}

// PublicWinner is a winning entry as the public sees it: its place (tied
// entries share one), its title, its author and its link (the work was
// made public by its author).
type PublicWinner struct {
	Place  int    `json:"place"`
	Tied   bool   `json:"tied,omitempty"`
	Title  string `json:"title"`
	Author string `json:"author"`
	Link   string `json:"link,omitempty"`
}

// Public is what the public site shows of c, and whether it shows it at
// all: only once central staff published it, while every category's
// ranking is complete (a score withdrawn or a juror added after the
// publication takes it off until the ranking is complete again), and
// while it is not deleted.
func (c *Competition) Public() (PublicCompetition, bool) {
	if c.PublishedOn.IsZero() || c.Meta != nil && c.Meta.Deleted {
		return PublicCompetition{}, false
	}
	p := PublicCompetition{Title: c.Title, Audience: c.Audience, PublishedOn: c.PublishedOn}
	for _, r := range c.Ranking() {
		if !r.Complete() {
			return PublicCompetition{}, false
		}
		cat := PublicCategory{Name: r.Category.Name, Winners: []PublicWinner{}}
		for _, s := range r.Winners {
			cat.Winners = append(cat.Winners, PublicWinner{Place: s.Place, Tied: s.Tied, Title: s.Entry.Title, Author: s.Entry.Author, Link: s.Entry.Link})
		}
		p.Categories = append(p.Categories, cat)
	}
	return p, true
}
