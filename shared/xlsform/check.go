package xlsform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// KindResponse names a response in validation errors.
const KindResponse = "response"

// MaxAnswer bounds a text answer, in characters.
const MaxAnswer = domain.MaxLong

// maxInteger bounds an integer answer: every integer up to it is exact in
// a float64 and in JSON.
const maxInteger = 1e15

// Answers are a response's answers by question name, as JSON values: a
// text, date (YYYY-MM-DD) or select_one answer is a JSON string, an
// integer or decimal a JSON number, a select_multiple answer an array of
// its choices' names. A question left unanswered is absent (null and ""
// and [] count as absent).
type Answers map[string]json.RawMessage

// answered reports whether raw holds an answer.
func answered(raw json.RawMessage) bool {
	s := string(bytes.TrimSpace(raw))
	return s != "" && s != "null" && s != `""` && s != "[]"
}

// Check validates a response's answers against the form, as the desktop
// app, keneshctl and the server all do: every answer names a question
// that takes one, has its type, is asked (the question and its groups are
// relevant), and meets its constraint and choice filter; every required
// question that is asked is answered. today is the day today() gives. The
// error is a *domain.ValidationError naming each question at fault.
func (f *Form) Check(a Answers, today caldate.Date) error {
	var errs []domain.FieldError
	bad := func(name, code, format string, args ...any) {
		errs = append(errs, domain.FieldError{Field: name, Code: code, Message: fmt.Sprintf(format, args...)})
	}
	vals := map[string]value{}
	malformed := map[string]bool{}
	for _, name := range sortedNames(a) {
		raw := a[name]
		q := f.byName[name]
		switch {
		case q == nil:
			bad(name, domain.CodeUnknown, "no question of form %s is named %s", f.ID, name)
			continue
		case !q.Answers():
			if answered(raw) {
				bad(name, domain.CodeForbidden, "is a %s, which takes no answer", q.Type)
			}
			continue
		}
		if !answered(raw) {
			continue
		}
		v, err := decodeAnswer(q, raw)
		if err != "" {
			bad(name, domain.CodeFormat, "%s", err)
			malformed[name] = true
			continue
		}
		vals[name] = v
	}
	ev := f.evaluate(vals, today)
	for _, q := range f.order {
		if !q.Answers() || malformed[q.Name] {
			continue
		}
		v, has := vals[q.Name]
		if !ev.relevant[q.Name] {
			if has {
				bad(q.Name, domain.CodeForbidden, "is not asked (%s): leave it out", ev.why(q))
			}
			continue
		}
		if !has {
			if q.required != nil && q.required.holds(ev) {
				bad(q.Name, domain.CodeRequired, "is required%s", message(q.RequiredMessage))
			}
			continue
		}
		if q.Select() {
			for _, name := range strings.Fields(v.s) {
				c := f.Choice(q.List, name)
				if c == nil {
					bad(q.Name, domain.CodeUnknown, "%q is not a choice of list %s (one of: %s)", name, q.List, choiceNames(f.Choices[q.List]))
					continue
				}
				if q.choiceFilter != nil && !q.choiceFilter.holds(ev.withChoice(c)) {
					bad(q.Name, domain.CodeUnknown, "%q is not offered with the answers given (choice_filter %s)", name, q.ChoiceFilter)
				}
			}
		}
		if q.constraint != nil && !q.constraint.holds(ev.withDot(v)) {
			bad(q.Name, domain.CodeRange, "does not meet its constraint %s%s", q.Constraint, message(q.ConstraintMessage))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &domain.ValidationError{Kind: KindResponse, Fields: errs}
}

func message(t Text) string {
	if s := t.In("en"); s != "" {
		return ": " + s
	}
	return ""
}

func choiceNames(cs []*Choice) string {
	var names []string
	for i, c := range cs {
		if i == 20 {
			names = append(names, "...")
			break
		}
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

func sortedNames(a Answers) []string {
	names := make([]string, 0, len(a))
	for n := range a {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// decodeAnswer reads raw as q's type, or says what is wrong with it.
func decodeAnswer(q *Question, raw json.RawMessage) (value, string) {
	switch q.Type {
	case TypeText, TypeDate, TypeSelectOne:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return value{}, fmt.Sprintf("a %s answer is a JSON string, not %s", q.Type, clip(raw))
		}
		switch q.Type {
		case TypeText:
			if n := utf8.RuneCountInString(s); n > MaxAnswer {
				return value{}, fmt.Sprintf("is %d characters long, at most %d allowed", n, MaxAnswer)
			}
			if !utf8.ValidString(s) {
				return value{}, "is not valid UTF-8 text"
			}
			return str(s), ""
		case TypeDate:
			d, err := caldate.Parse(s)
			if err != nil {
				return value{}, fmt.Sprintf("%q is not a date written YYYY-MM-DD", s)
			}
			return dateVal(d), ""
		}
		if !validChoice(s) {
			return value{}, fmt.Sprintf("%q is not a choice's name", s)
		}
		return str(s), ""
	case TypeInteger, TypeDecimal:
		var n json.Number
		if t := bytes.TrimSpace(raw); len(t) > 0 && (t[0] < '0' || t[0] > '9') && t[0] != '-' {
			return value{}, fmt.Sprintf("a %s answer is a JSON number, not %s", q.Type, clip(raw))
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&n); err != nil {
			return value{}, fmt.Sprintf("a %s answer is a JSON number, not %s", q.Type, clip(raw))
		}
		x, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(x, 0) {
			return value{}, fmt.Sprintf("%s is not a number", n)
		}
		if q.Type == TypeInteger && (x != math.Trunc(x) || math.Abs(x) > maxInteger) {
			return value{}, fmt.Sprintf("%s is not a whole number (an integer such as 12, at most %g)", n, maxInteger)
		}
		return num(x), ""
	case TypeSelectMultiple:
		var ss []string
		if err := json.Unmarshal(raw, &ss); err != nil {
			return value{}, fmt.Sprintf("a select_multiple answer is a JSON array of choices' names, not %s", clip(raw))
		}
		seen := map[string]bool{}
		for _, s := range ss {
			if !validChoice(s) {
				return value{}, fmt.Sprintf("%q is not a choice's name", s)
			}
			if seen[s] {
				return value{}, fmt.Sprintf("%q is chosen twice", s)
			}
			seen[s] = true
		}
		return str(strings.Join(ss, " ")), ""
	}
	return value{}, fmt.Sprintf("a %s takes no answer", q.Type)
}

func clip(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}

// evaluation is a response's answers with each question's relevance, the
// environment its expressions are computed in.
type evaluation struct {
	f        *Form
	vals     map[string]value
	relevant map[string]bool
	decided  map[string]bool
	day      caldate.Date
	dotv     *value
	choice   *Choice
}

// evaluate decides every question's relevance in the survey's order: a
// question is asked when its groups are and its relevant holds. A
// question decided not asked counts as unanswered in what follows, as in
// ODK, where its answer is cleared.
func (f *Form) evaluate(vals map[string]value, today caldate.Date) *evaluation {
	ev := &evaluation{f: f, vals: vals, relevant: map[string]bool{}, decided: map[string]bool{}, day: today}
	for _, q := range f.order {
		rel := true
		if g := f.parent[q.Name]; g != nil {
			rel = ev.relevant[g.Name]
		}
		if rel && q.relevant != nil {
			rel = q.relevant.holds(ev)
		}
		ev.relevant[q.Name] = rel
		ev.decided[q.Name] = true
	}
	return ev
}

func (ev *evaluation) answer(name string) value {
	if ev.decided[name] && !ev.relevant[name] {
		return str("")
	}
	if v, ok := ev.vals[name]; ok {
		return v
	}
	return str("")
}

func (ev *evaluation) dot() value {
	if ev.dotv != nil {
		return *ev.dotv
	}
	return str("")
}

func (ev *evaluation) column(name string) value {
	if ev.choice == nil {
		return str("")
	}
	if name == "name" {
		return str(ev.choice.Name)
	}
	return str(ev.choice.Columns[name])
}

func (ev *evaluation) today() caldate.Date { return ev.day }

func (ev *evaluation) withDot(v value) *evaluation {
	c := *ev
	c.dotv = &v
	return &c
}

func (ev *evaluation) withChoice(ch *Choice) *evaluation {
	c := *ev
	c.choice = ch
	return &c
}

// why says why q is not asked: its own relevant, or its group's.
func (ev *evaluation) why(q *Question) string {
	for g := q; g != nil; g = ev.f.parent[g.Name] {
		if g.relevant != nil && (ev.f.parent[g.Name] == nil || ev.relevant[ev.f.parent[g.Name].Name]) {
			if g == q {
				return "relevant " + g.Relevant + " is false"
			}
			return "its group " + g.Name + " is not asked: relevant " + g.Relevant + " is false"
		}
	}
	return "its group is not asked"
}

// State is what a form shows for the answers given so far: which
// questions are asked and which choices each select offers. The desktop
// app shows and hides questions by it as answers are typed.
type State struct {
	ev *evaluation
}

// Evaluate computes the state of the form for answers a (those that do not
// fit their question's type count as unanswered).
func (f *Form) Evaluate(a Answers, today caldate.Date) *State {
	vals := map[string]value{}
	for name, raw := range a {
		q := f.byName[name]
		if q == nil || !q.Answers() || !answered(raw) {
			continue
		}
		if v, err := decodeAnswer(q, raw); err == "" {
			vals[name] = v
		}
	}
	return &State{ev: f.evaluate(vals, today)}
}

// Relevant reports whether the question or group named name is asked.
func (s *State) Relevant(name string) bool { return s.ev.relevant[name] }

// Required reports whether q must be answered (when it is asked).
func (s *State) Required(q *Question) bool { return q.required != nil && q.required.holds(s.ev) }

// Offered are the choices q offers: its list, through its choice filter.
func (s *State) Offered(q *Question) []*Choice {
	all := s.ev.f.Choices[q.List]
	if q.choiceFilter == nil {
		return all
	}
	var out []*Choice
	for _, c := range all {
		if q.choiceFilter.holds(s.ev.withChoice(c)) {
			out = append(out, c)
		}
	}
	return out
}

// Prune is a without the answers of questions not asked: what a form
// keeps when an earlier answer makes a later question irrelevant.
func (f *Form) Prune(a Answers, today caldate.Date) Answers {
	st := f.Evaluate(a, today)
	out := Answers{}
	for name, raw := range a {
		if q := f.byName[name]; q != nil && q.Answers() && !st.Relevant(name) {
			continue
		}
		out[name] = raw
	}
	return out
}
