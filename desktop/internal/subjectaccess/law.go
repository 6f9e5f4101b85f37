package subjectaccess

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"sync"

	"github.com/kenesh/kenesh/assets"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

const rulesPath = "law/personal_data.json"

// Rule is the law that governs a request for one's own data on a given day:
// what it is called and how long the holder has to answer.
type Rule struct {
	ID         string
	Title      refdata.Names
	Effective  caldate.Date
	AnswerDays int // calendar days, counted from the day after the request
}

// AnswerBy is the last day to answer a request received on day.
func (r Rule) AnswerBy(day caldate.Date) caldate.Date { return day.AddDays(r.AnswerDays) }

// Rules are the rules of assets/law/personal_data.json.
type Rules struct{ rules []Rule }

type rulesFile struct {
	Note  string     `json:"note"`
	Rules []ruleWire `json:"rules"`
}

type ruleWire struct {
	ID            string        `json:"id"`
	Title         refdata.Names `json:"title"`
	Source        string        `json:"source"`
	EffectiveFrom *caldate.Date `json:"effective_from"`
	Status        string        `json:"status"`
	Answer        struct {
		Amount int    `json:"amount"`
		Unit   string `json:"unit"`
	} `json:"answer"`
}

var (
	rulesOnce sync.Once
	rulesDef  *Rules
	rulesErr  error
)

// DefaultRules returns the embedded rules, read once.
func DefaultRules() (*Rules, error) {
	rulesOnce.Do(func() { rulesDef, rulesErr = loadRules(assets.FS, rulesPath) })
	return rulesDef, rulesErr
}

func loadRules(fsys fs.FS, path string) (*Rules, error) {
	b, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, fmt.Errorf("personal data rules: %w", err)
	}
	return parseRules(b, path)
}

func parseRules(b []byte, path string) (*Rules, error) {
	var f rulesFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w (fix the JSON; unknown fields are not allowed)", path, err)
	}
	out := &Rules{}
	for i, w := range f.Rules {
		where := fmt.Sprintf("%s: rule %d (%q)", path, i+1, w.ID)
		if w.ID == "" {
			return nil, fmt.Errorf("%s: needs an id", where)
		}
		if w.Title.KY == "" || w.Title.RU == "" || w.Title.EN == "" {
			return nil, fmt.Errorf("%s: needs a title in ky, ru and en", where)
		}
		switch w.Status {
		case "in_force":
		case "pending":
			continue // never applied until someone gives it a date and puts it in force
		default:
			return nil, fmt.Errorf("%s: status %q must be \"in_force\" or \"pending\"", where, w.Status)
		}
		if w.EffectiveFrom == nil || w.EffectiveFrom.IsZero() {
			return nil, fmt.Errorf("%s: a rule in force needs effective_from (YYYY-MM-DD)", where)
		}
		if w.Answer.Unit != "calendar_days" {
			return nil, fmt.Errorf("%s: answer unit %q is not supported; use \"calendar_days\"", where, w.Answer.Unit)
		}
		if w.Answer.Amount < 1 || w.Answer.Amount > 366 {
			return nil, fmt.Errorf("%s: answer amount %d must be 1 to 366 days", where, w.Answer.Amount)
		}
		out.rules = append(out.rules, Rule{ID: w.ID, Title: w.Title, Effective: *w.EffectiveFrom, AnswerDays: w.Answer.Amount})
	}
	if len(out.rules) == 0 {
		return nil, fmt.Errorf("%s: no rule in force; a request for one's data must be answered under some rule", path)
	}
	return out, nil
}

// On returns the rule in force on day: the one that took effect last, on
// or before it.
func (r *Rules) On(day caldate.Date) (Rule, error) {
	var best *Rule
	for i := range r.rules {
		c := &r.rules[i]
		if !day.Before(c.Effective) && (best == nil || best.Effective.Before(c.Effective)) {
			best = c
		}
	}
	if best == nil {
		return Rule{}, fmt.Errorf("no rule for requests of personal data was in force on %s", day)
	}
	return *best, nil
}
