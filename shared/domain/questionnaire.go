package domain

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/kenesh/kenesh/shared/caldate"
)

// Questionnaires (needs assessments, pre/post training tests, feedback):
// central staff publish a definition, read from an XLSForm workbook
// (shared/xlsform), and every laptop fills it offline. Each version of a
// definition is a record of its own, so a response is always checked and
// exported against the version it was filled with.

// KindQuestionnaire is the record kind of one version of a questionnaire's
// definition; every device reads them.
const KindQuestionnaire = "questionnaire"

// KindResponse is the record kind of a filled questionnaire: a council's
// record, like its events.
const KindResponse = "response"

// MaxDefinition bounds a definition's JSON: it travels in one operation.
const MaxDefinition = 1 << 20

// Questionnaire is one version of a questionnaire's definition. Its record
// id is QuestionnaireID(FormID, Version): publishing the same version
// twice is refused, a new version is a new record.
type Questionnaire struct {
	ID      string `json:"id"`
	FormID  string `json:"form_id"`
	Version string `json:"version"`
	// Title is the form's title by language (ky, ru, en), for lists.
	Title       map[string]string `json:"title,omitempty"`
	PublishedOn caldate.Date      `json:"published_on"`
	// Definition is the form as xlsform.Form's JSON; xlsform.Decode reads
	// and checks it.
	Definition json.RawMessage `json:"definition"`
	// Source is the workbook's file name, for people.
	Source string `json:"source,omitempty"`
	Meta   *Meta  `json:"meta,omitempty"`
}

// Response is a questionnaire filled for a council: the answers to each
// question, one item each, so that two laptops that answer different
// questions of the same response both keep theirs, and a question
// answered differently on two is a conflict of that question alone.
type Response struct {
	ID      string `json:"id"`
	Council string `json:"council"`
	// FormID and Version name the definition it was filled with.
	FormID  string `json:"form_id"`
	Version string `json:"version"`
	// FilledOn is the day it was filled (a test before a training, a
	// visit's assessment).
	FilledOn caldate.Date `json:"filled_on"`
	// Event is the event (a training) the response belongs to, if any.
	Event   string   `json:"event,omitempty"`
	Answers []Answer `json:"answers,omitempty"`
	Meta    *Meta    `json:"meta,omitempty"`
}

// Answer is one question's answer: its name in the form (the item's id)
// and its value as xlsform.Answers holds it.
type Answer struct {
	ID    string          `json:"id"`
	Value json.RawMessage `json:"value"`
}

// ResponseCollections are the collections of a response's fields.
var ResponseCollections = []string{"answers"}

// QuestionnaireID is the record id of version of the form formID: the
// same on every laptop, so a version is published once.
func QuestionnaireID(formID, version string) string {
	return uuid.NewSHA1(questionnaireSpace, []byte(formID+"/"+version)).String()
}

// questionnaireSpace is QuestionnaireID's namespace; never change it.
var questionnaireSpace = uuid.MustParse("8f1d3c52-6a0b-4e57-9a3e-2b7d0c4e6f19")

// formName is a form id or a question's name as XLSForm allows it.
var formName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$`)

var formVersion = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,50}$`)

// Validate checks a definition record's own fields (the definition itself
// is checked by xlsform.Decode, in shared/policy).
func (q *Questionnaire) Validate(today caldate.Date) error {
	c := &checker{kind: KindQuestionnaire}
	if !formName.MatchString(q.FormID) {
		c.add("form_id", CodeFormat, "%q is not a form id", q.FormID)
	}
	if !formVersion.MatchString(q.Version) {
		c.add("version", CodeFormat, "%q is not a version", q.Version)
	}
	if q.ID != "" && q.ID != QuestionnaireID(q.FormID, q.Version) {
		c.add("id", CodeMismatch, "%s is not the record id of %s version %s", q.ID, q.FormID, q.Version)
	}
	for l, s := range q.Title {
		c.language("title", l)
		c.maxLen("title", s, MaxTitle)
	}
	c.date("published_on", q.PublishedOn, true, today)
	switch {
	case len(q.Definition) == 0:
		c.add("definition", CodeRequired, "is required")
	case len(q.Definition) > MaxDefinition:
		c.add("definition", CodeTooLong, "is %d bytes, at most %d", len(q.Definition), MaxDefinition)
	}
	c.maxLen("source", q.Source, MaxShort)
	return c.err()
}

// Normalize trims what was typed.
func (r *Response) Normalize() {
	r.FormID, r.Version = strings.TrimSpace(r.FormID), strings.TrimSpace(r.Version)
}

// Validate checks a response's own fields; its answers are checked against
// its definition by xlsform (shared/policy.CheckResponse).
func (r *Response) Validate(today caldate.Date) error {
	c := &checker{kind: KindResponse}
	c.councilRef("council", r.Council)
	if !formName.MatchString(r.FormID) {
		c.add("form_id", CodeFormat, "%q is not a form id", r.FormID)
	}
	if !formVersion.MatchString(r.Version) {
		c.add("version", CodeFormat, "%q is not a version", r.Version)
	}
	c.date("filled_on", r.FilledOn, true, today)
	if r.Event != "" && !ValidID(r.Event) {
		c.add("event", CodeFormat, "%q is not an event's id", r.Event)
	}
	seen := map[string]bool{}
	for _, a := range r.Answers {
		if !formName.MatchString(a.ID) || seen[a.ID] {
			c.add("answers", CodeFormat, "%q is not a question's name, or is answered twice", a.ID)
		}
		seen[a.ID] = true
	}
	return c.err()
}

// AnswerMap is the response's answers by question name, as xlsform
// reads them.
func (r *Response) AnswerMap() map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(r.Answers))
	for _, a := range r.Answers {
		out[a.ID] = a.Value
	}
	return out
}
