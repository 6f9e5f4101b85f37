package xlsform

import (
	"regexp"
	"strings"
)

// Question types a form may hold.
const (
	TypeText           = "text"
	TypeInteger        = "integer"
	TypeDecimal        = "decimal"
	TypeDate           = "date"
	TypeSelectOne      = "select_one"
	TypeSelectMultiple = "select_multiple"
	TypeNote           = "note"
	TypeGroup          = "group" // begin group ... end group
)

// Languages a form's texts may be written in: those of the desktop app.
var Languages = []string{"ky", "ru", "en"}

// Text is a text in several languages, by language code; "" is a text
// written without a language (a plain "label" column).
type Text map[string]string

// In is the text in lang, else the text without a language, else the first
// of ky, ru, en that the form has: a form is never shown with a blank.
func (t Text) In(lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	if s := t[""]; s != "" {
		return s
	}
	for _, l := range Languages {
		if s := t[l]; s != "" {
			return s
		}
	}
	return ""
}

// Empty reports whether the text has no words in any language.
func (t Text) Empty() bool {
	for _, s := range t {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// Form is a questionnaire as its XLSForm defines it. It travels as JSON
// (a definition record): Decode reads it back and checks it as Read does.
type Form struct {
	// ID is the settings sheet's form_id; Version its version (a text:
	// forms from Kobo carry a date-like number, others v1, v2).
	ID      string `json:"form_id"`
	Version string `json:"version"`
	Title   Text   `json:"title,omitempty"`
	// DefaultLanguage is the settings sheet's default_language, as a code.
	DefaultLanguage string `json:"default_language,omitempty"`
	// Questions are the survey sheet's rows in order, groups holding
	// theirs.
	Questions []*Question `json:"questions"`
	// Choices are the choices sheet's lists, by list_name.
	Choices map[string][]*Choice `json:"choices,omitempty"`

	byName map[string]*Question
	parent map[string]*Question // a question's group
	order  []*Question          // every question and group, in document order
}

// Question is one row of the survey sheet (a group: its begin row, with
// the rows up to its end row as Children).
type Question struct {
	Type string `json:"type"`
	Name string `json:"name"`
	// List is a select's list_name in the choices sheet.
	List  string `json:"list,omitempty"`
	Label Text   `json:"label,omitempty"`
	Hint  Text   `json:"hint,omitempty"`
	// Required, Constraint, Relevant and ChoiceFilter are expressions
	// (Required "true()" for yes); empty: none.
	Required          string `json:"required,omitempty"`
	RequiredMessage   Text   `json:"required_message,omitempty"`
	Constraint        string `json:"constraint,omitempty"`
	ConstraintMessage Text   `json:"constraint_message,omitempty"`
	Relevant          string `json:"relevant,omitempty"`
	ChoiceFilter      string `json:"choice_filter,omitempty"`
	Appearance        string `json:"appearance,omitempty"`
	// Correct are the names of the choices that answer a select question
	// correctly (the survey sheet's "correct" column, names separated by
	// spaces): one for a select_one; for a select_multiple, all of them
	// and no other. A test before and after a training marks its
	// questions so (learn.go).
	Correct []string `json:"correct,omitempty"`
	// Row is the survey sheet's row the question was read from.
	Row      int         `json:"row,omitempty"`
	Children []*Question `json:"children,omitempty"`

	required, constraint, relevant, choiceFilter *Expr
}

// Choice is one row of the choices sheet.
type Choice struct {
	Name  string `json:"name"`
	Label Text   `json:"label,omitempty"`
	// Columns are its other columns, which choice filters name.
	Columns map[string]string `json:"columns,omitempty"`
}

// Answers reports whether a question of this type takes an answer.
func (q *Question) Answers() bool { return q.Type != TypeNote && q.Type != TypeGroup }

// Select reports whether the question is a select_one or select_multiple.
func (q *Question) Select() bool { return q.Type == TypeSelectOne || q.Type == TypeSelectMultiple }

// Question is the question or group named name, or nil.
func (f *Form) Question(name string) *Question { return f.byName[name] }

// All is every question and group, in the order the survey sheet has
// them (a group before its questions).
func (f *Form) All() []*Question { return f.order }

// Fields are the questions that take an answer, in order: the columns of
// an export.
func (f *Form) Fields() []*Question {
	var out []*Question
	for _, q := range f.order {
		if q.Answers() {
			out = append(out, q)
		}
	}
	return out
}

// Group is the group q stands in, or nil.
func (f *Form) Group(q *Question) *Question { return f.parent[q.Name] }

// Choice is the choice name of list, or nil.
func (f *Form) Choice(list, name string) *Choice {
	for _, c := range f.Choices[list] {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// nameRE is an XML name as XLSForm allows it for questions and choices'
// lists.
var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*$`)

func validName(s string) bool { return len(s) <= 100 && nameRE.MatchString(s) }
