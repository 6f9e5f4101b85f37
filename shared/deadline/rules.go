package deadline

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/kenesh/kenesh/assets"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

// rulesPath is the file of appeal rules inside assets.FS.
const rulesPath = "law/appeal_rules.json"

// Units of a Period.
const (
	CalendarDays = "calendar_days"
	WorkingDays  = "working_days"
)

// Statuses of a Rule. Only an in-force rule is ever applied.
const (
	StatusInForce = "in_force"
	StatusPending = "pending"
)

// maxAmount bounds every period, to catch a typo such as 140 for 14.
const maxAmount = 366

// Errors of Compute and RuleAt, to test with errors.Is and to show a person
// a message in their language.
var (
	ErrNotReceived              = errors.New("the date the appeal was received is not set")
	ErrRegisteredBeforeReceived = errors.New("the registration date is before the date the appeal was received")
	ErrExtension                = errors.New("the extension is not allowed")
	ErrNoRule                   = errors.New("no rule for appeals is in force on that date")
)

// Period is a length of time in calendar or working days.
type Period struct {
	Amount int    `json:"amount"`
	Unit   string `json:"unit"` // CalendarDays or WorkingDays
}

// Rule is one version of the legal periods for citizens' appeals.
type Rule struct {
	ID            string
	Title         refdata.Names
	Source        string       // the law it comes from
	EffectiveFrom caldate.Date // zero for a pending rule without a date
	Status        string       // StatusInForce or StatusPending
	Registration  Period       // from receipt
	Answer        Period       // from registration
	MaxExtension  Period       // the most the answer period may be extended
	// RollToWorkingDay moves a deadline that falls on a non-working day to
	// the next working day.
	RollToWorkingDay bool
}

// Rules is a validated set of rules, sorted by effective date, and the
// calendar their working days are counted with. It is safe for concurrent
// use.
type Rules struct {
	rules []Rule
	cal   *Calendar
}

// Deadlines of one appeal.
type Deadlines struct {
	Rule        string       `json:"rule"`          // ID of the rule the answer deadlines come from
	RegisterBy  caldate.Date `json:"register_by"`   // last day to register the appeal
	AnswerBy    caldate.Date `json:"answer_by"`     // last day to answer, with the extension granted
	MaxAnswerBy caldate.Date `json:"max_answer_by"` // last day to answer with the full extension
}

// Wire format of appeal_rules.json.
type rulesFile struct {
	Note  string     `json:"note"`
	Rules []ruleWire `json:"rules"`
}

type ruleWire struct {
	ID               string        `json:"id"`
	Title            refdata.Names `json:"title"`
	Source           string        `json:"source"`
	EffectiveFrom    caldate.Date  `json:"effective_from"`
	Status           string        `json:"status"`
	Registration     *Period       `json:"registration"`
	Answer           *Period       `json:"answer"`
	MaxExtension     *Period       `json:"max_extension"`
	RollToWorkingDay *bool         `json:"roll_to_working_day"`
}

func (w ruleWire) rule() (Rule, error) {
	for _, f := range []struct {
		name    string
		missing bool
	}{
		{"registration", w.Registration == nil},
		{"answer", w.Answer == nil},
		{"max_extension", w.MaxExtension == nil},
		{"roll_to_working_day", w.RollToWorkingDay == nil},
	} {
		if f.missing {
			return Rule{}, fmt.Errorf("rule %q: %q is missing; every rule states it", w.ID, f.name)
		}
	}
	return Rule{
		ID:               w.ID,
		Title:            w.Title,
		Source:           w.Source,
		EffectiveFrom:    w.EffectiveFrom,
		Status:           w.Status,
		Registration:     *w.Registration,
		Answer:           *w.Answer,
		MaxExtension:     *w.MaxExtension,
		RollToWorkingDay: *w.RollToWorkingDay,
	}, nil
}

// Load parses and validates the embedded rules (assets/law/appeal_rules.json)
// and holiday calendar (assets/law/holidays.json).
func Load() (*Rules, error) {
	b, err := fs.ReadFile(assets.FS, rulesPath)
	if err != nil {
		return nil, fmt.Errorf("deadline rules: %w", err)
	}
	var f rulesFile
	if err := decodeStrict(b, &f); err != nil {
		return nil, fmt.Errorf("deadline rules: %s: %w", rulesPath, err)
	}
	var rules []Rule
	for _, w := range f.Rules {
		r, err := w.rule()
		if err != nil {
			return nil, fmt.Errorf("deadline rules: %s: %w", rulesPath, err)
		}
		rules = append(rules, r)
	}
	cal, err := LoadCalendar()
	if err != nil {
		return nil, err
	}
	rs, err := newRules(rules, cal)
	if err != nil {
		return nil, fmt.Errorf("deadline rules: %s: %w", rulesPath, err)
	}
	return rs, nil
}

var (
	defaultOnce  sync.Once
	defaultRules *Rules
	defaultErr   error
)

// Default returns the embedded rules, loaded once. It panics if the embedded
// data is broken, which the package tests rule out for every build.
func Default() *Rules {
	defaultOnce.Do(func() { defaultRules, defaultErr = Load() })
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultRules
}

// New validates rules and returns them with cal. Tests use it for
// hypothetical rules, such as a reform given an effective date.
func New(rules []Rule, cal *Calendar) (*Rules, error) {
	rs, err := newRules(rules, cal)
	if err != nil {
		return nil, fmt.Errorf("deadline rules: %w", err)
	}
	return rs, nil
}

func newRules(rules []Rule, cal *Calendar) (*Rules, error) {
	if cal == nil {
		return nil, errors.New("no calendar; pass LoadCalendar's or NewCalendar's result")
	}
	ids := map[string]bool{}
	inForce := map[caldate.Date]string{}
	for i, r := range rules {
		if err := checkRule(r); err != nil {
			return nil, fmt.Errorf("rule %d: %w", i+1, err)
		}
		if ids[r.ID] {
			return nil, fmt.Errorf("rule id %q appears twice; ids are stored with appeals and must be unique", r.ID)
		}
		ids[r.ID] = true
		if r.Status == StatusInForce {
			if other, dup := inForce[r.EffectiveFrom]; dup {
				return nil, fmt.Errorf("rules %q and %q both take effect on %s; only one rule can take effect on a day", other, r.ID, r.EffectiveFrom)
			}
			inForce[r.EffectiveFrom] = r.ID
		}
	}
	if len(inForce) == 0 {
		return nil, errors.New(`no rule is in force; at least one rule needs "status": "in_force" and an effective_from date`)
	}
	sorted := slices.Clone(rules)
	slices.SortStableFunc(sorted, func(a, b Rule) int {
		// Rules without a date (pending) sort last.
		switch {
		case a.EffectiveFrom.IsZero() && b.EffectiveFrom.IsZero():
			return 0
		case a.EffectiveFrom.IsZero():
			return 1
		case b.EffectiveFrom.IsZero():
			return -1
		}
		return a.EffectiveFrom.Compare(b.EffectiveFrom)
	})
	return &Rules{rules: sorted, cal: cal}, nil
}

func checkRule(r Rule) error {
	if !idRE.MatchString(r.ID) {
		return fmt.Errorf("id %q must be lower_snake ASCII such as \"law67_2007\"", r.ID)
	}
	if err := checkNames(fmt.Sprintf("rule %q: title", r.ID), r.Title); err != nil {
		return err
	}
	if strings.TrimSpace(r.Source) == "" {
		return fmt.Errorf("rule %q: source is empty; cite the law", r.ID)
	}
	switch r.Status {
	case StatusInForce:
		if r.EffectiveFrom.IsZero() {
			return fmt.Errorf("rule %q is in force but has no effective_from; set the date it took effect, or make it %q", r.ID, StatusPending)
		}
	case StatusPending:
	default:
		return fmt.Errorf("rule %q: status %q must be %q or %q", r.ID, r.Status, StatusInForce, StatusPending)
	}
	for _, p := range []struct {
		name     string
		p        Period
		zeroOK   bool
		required string
	}{
		{"registration", r.Registration, false, "positive"},
		{"answer", r.Answer, false, "positive"},
		{"max_extension", r.MaxExtension, true, "zero (no extension) or positive"},
	} {
		if p.p.Unit != CalendarDays && p.p.Unit != WorkingDays {
			return fmt.Errorf("rule %q: %s unit %q must be %q or %q", r.ID, p.name, p.p.Unit, CalendarDays, WorkingDays)
		}
		if p.p.Amount < 0 || (p.p.Amount == 0 && !p.zeroOK) || p.p.Amount > maxAmount {
			return fmt.Errorf("rule %q: %s amount %d must be %s and at most %d", r.ID, p.name, p.p.Amount, p.required, maxAmount)
		}
	}
	return nil
}

// All returns every rule, in force or pending, sorted by effective date
// (rules without a date last).
func (r *Rules) All() []Rule {
	return slices.Clone(r.rules)
}

// Calendar returns the calendar working days are counted with.
func (r *Rules) Calendar() *Calendar { return r.cal }

// RuleAt returns the in-force rule with the latest effective date on or
// before d. Pending rules are never returned.
func (r *Rules) RuleAt(d caldate.Date) (Rule, error) {
	if d.IsZero() {
		return Rule{}, errors.New("deadline rules: no date given to choose the rule by")
	}
	var found *Rule
	var earliest caldate.Date
	for i := range r.rules {
		rule := &r.rules[i]
		if rule.Status != StatusInForce {
			continue
		}
		if earliest.IsZero() || rule.EffectiveFrom.Before(earliest) {
			earliest = rule.EffectiveFrom
		}
		if !rule.EffectiveFrom.After(d) {
			found = rule
		}
	}
	if found == nil {
		return Rule{}, fmt.Errorf("deadline rules: %w: %s is before the earliest rule takes effect (%s); check the date", ErrNoRule, d, earliest)
	}
	return *found, nil
}

// add moves d by p; with roll, a result on a non-working day moves to the
// next working day.
func (r *Rules) add(d caldate.Date, p Period, roll bool) caldate.Date {
	if p.Amount != 0 {
		switch p.Unit {
		case WorkingDays:
			d = r.cal.AddWorkingDays(d, p.Amount)
		default:
			d = d.AddDays(p.Amount)
		}
	}
	if roll {
		d = r.cal.NextWorkingDay(d)
	}
	return d
}

// Compute returns the deadlines of an appeal received on received and
// registered on registered (zero if not registered yet), with an extension of
// extensionDays granted (0 if none).
//
// The registration deadline runs from receipt under the rule in force on the
// day of receipt. The answer periods run from registration under the rule in
// force on the day of registration; an appeal not yet registered is assumed
// registered on its registration deadline. extensionDays is counted in the
// unit of that rule's MaxExtension (calendar days under Law No. 67) and must
// be between 0 and its amount.
func (r *Rules) Compute(received, registered caldate.Date, extensionDays int) (Deadlines, error) {
	if received.IsZero() {
		return Deadlines{}, fmt.Errorf("deadline rules: %w; enter the date of receipt first", ErrNotReceived)
	}
	if !registered.IsZero() && registered.Before(received) {
		return Deadlines{}, fmt.Errorf("deadline rules: %w (registered %s, received %s); correct one of the two dates", ErrRegisteredBeforeReceived, registered, received)
	}
	atReceipt, err := r.RuleAt(received)
	if err != nil {
		return Deadlines{}, err
	}
	registerBy := r.add(received, atReceipt.Registration, atReceipt.RollToWorkingDay)
	if registered.IsZero() {
		registered = registerBy
	}
	rule, err := r.RuleAt(registered)
	if err != nil {
		return Deadlines{}, err
	}
	ext := rule.MaxExtension
	if extensionDays < 0 || extensionDays > ext.Amount {
		return Deadlines{}, fmt.Errorf("deadline rules: %w: %d days asked, the maximum under %s is %d %s; grant between 0 and %d",
			ErrExtension, extensionDays, rule.ID, ext.Amount, strings.ReplaceAll(ext.Unit, "_", " "), ext.Amount)
	}
	answer := r.add(registered, rule.Answer, false)
	return Deadlines{
		Rule:        rule.ID,
		RegisterBy:  registerBy,
		AnswerBy:    r.add(answer, Period{Amount: extensionDays, Unit: ext.Unit}, rule.RollToWorkingDay),
		MaxAnswerBy: r.add(answer, ext, rule.RollToWorkingDay),
	}, nil
}
