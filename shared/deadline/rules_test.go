package deadline

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

const (
	law67  = "law67_2007"
	reform = "appeals_reform_10wd"
)

func TestEmbeddedRulesLoad(t *testing.T) {
	rs, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	byID := map[string]Rule{}
	for _, r := range rs.All() {
		byID[r.ID] = r
	}
	l, ok := byID[law67]
	if !ok {
		t.Fatalf("rule %q missing", law67)
	}
	want := Rule{
		ID: law67, Title: l.Title, Source: l.Source,
		EffectiveFrom: d("2007-05-04"), Status: StatusInForce,
		Registration:     Period{1, WorkingDays},
		Answer:           Period{14, CalendarDays},
		MaxExtension:     Period{30, CalendarDays},
		RollToWorkingDay: true,
	}
	if l != want {
		t.Errorf("law 67 rule:\n got %+v\nwant %+v", l, want)
	}
	if !strings.Contains(l.Source, "67") || !strings.Contains(l.Source, "Civil Code") {
		t.Errorf("law 67 source should cite the law and the Civil Code: %q", l.Source)
	}
	p, ok := byID[reform]
	if !ok {
		t.Fatalf("rule %q missing", reform)
	}
	if p.Status != StatusPending || !p.EffectiveFrom.IsZero() || p.Answer != (Period{10, WorkingDays}) {
		t.Errorf("reform rule: got %+v, want pending, no effective date, answer 10 working days", p)
	}
}

func TestPendingRuleNeverApplied(t *testing.T) {
	rs := Default()
	for _, s := range []string{"2007-05-04", "2026-03-12", "2027-01-01", "2099-12-31"} {
		r, err := rs.RuleAt(d(s))
		if err != nil {
			t.Fatalf("RuleAt(%s): %v", s, err)
		}
		if r.ID != law67 {
			t.Errorf("RuleAt(%s) = %q, want %q", s, r.ID, law67)
		}
	}
	dl, err := rs.Compute(d("2027-06-01"), d("2027-06-01"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if dl.Rule != law67 || dl.AnswerBy != d("2027-06-15") {
		t.Errorf("Compute in 2027 with the real data: %+v, want rule %s answer by 2027-06-15", dl, law67)
	}
	if _, err := rs.RuleAt(d("2007-05-03")); !errors.Is(err, ErrNoRule) {
		t.Errorf("RuleAt before law 67: err = %v, want ErrNoRule", err)
	}
}

type computeCase struct {
	name                 string
	received, registered string // registered "" = not registered yet
	ext                  int
	rule                 string
	registerBy           string
	answerBy             string
	maxAnswerBy          string // "" = not checked
}

func runCompute(t *testing.T, rs *Rules, cases []computeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var reg caldate.Date
			if tc.registered != "" {
				reg = d(tc.registered)
			}
			got, err := rs.Compute(d(tc.received), reg, tc.ext)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			want := Deadlines{Rule: tc.rule, RegisterBy: d(tc.registerBy), AnswerBy: d(tc.answerBy), MaxAnswerBy: got.MaxAnswerBy}
			if tc.maxAnswerBy != "" {
				want.MaxAnswerBy = d(tc.maxAnswerBy)
			}
			if got != want {
				t.Errorf("Compute(%s, %q, %d)\n got %+v\nwant %+v", tc.received, tc.registered, tc.ext, got, want)
			}
		})
	}
}

func TestComputeLaw67(t *testing.T) {
	runCompute(t, Default(), []computeCase{
		{name: "received on a Friday: register by Monday",
			received: "2026-11-20", rule: law67, registerBy: "2026-11-23", answerBy: "2026-12-07", maxAnswerBy: "2027-01-08"},
		{name: "received and registered the same day",
			received: "2026-11-23", registered: "2026-11-23", rule: law67, registerBy: "2026-11-24", answerBy: "2026-12-07"},
		{name: "received the day before Nooruz 2025",
			received: "2025-03-20", rule: law67, registerBy: "2025-03-24", answerBy: "2025-04-07", maxAnswerBy: "2025-05-12"},
		{name: "received the day before Orozo Ait and Nooruz 2026",
			received: "2026-03-19", rule: law67, registerBy: "2026-03-23", answerBy: "2026-04-06", maxAnswerBy: "2026-05-11"},
		{name: "received the day before Nooruz 2024 (decreed day off after it)",
			received: "2024-03-20", rule: law67, registerBy: "2024-03-25", answerBy: "2024-04-08"},
		{name: "answer due on a Saturday rolls to Monday",
			received: "2026-11-13", registered: "2026-11-14", rule: law67, registerBy: "2026-11-16", answerBy: "2026-11-30"},
		{name: "extension lands on a Saturday: rolls to Monday",
			received: "2026-11-02", registered: "2026-11-02", ext: 5, rule: law67, registerBy: "2026-11-03", answerBy: "2026-11-23"},
		{name: "answer due on New Year's Day 2027 rolls past the holidays",
			received: "2026-12-18", registered: "2026-12-18", rule: law67, registerBy: "2026-12-21", answerBy: "2027-01-08"},
		{name: "answer due in the extended 2026 New Year holidays",
			received: "2025-12-25", registered: "2025-12-25", rule: law67, registerBy: "2025-12-26", answerBy: "2026-01-12"},
		{name: "registration across New Year",
			received: "2026-12-31", rule: law67, registerBy: "2027-01-08", answerBy: "2027-01-22", maxAnswerBy: "2027-02-22"},
		{name: "answer due on a rollover Monday under the 2004 Code",
			received: "2024-06-03", registered: "2024-06-03", rule: law67, registerBy: "2024-06-04", answerBy: "2024-06-18"},
		{name: "answer due on a Monday the 2024 decree made working",
			received: "2024-04-22", registered: "2024-04-22", rule: law67, registerBy: "2024-04-23", answerBy: "2024-05-06"},
		{name: "no extension",
			received: "2026-10-01", registered: "2026-10-01", ext: 0, rule: law67, registerBy: "2026-10-02", answerBy: "2026-10-15", maxAnswerBy: "2026-11-16"},
		{name: "full extension of 30 days",
			received: "2026-10-01", registered: "2026-10-01", ext: 30, rule: law67, registerBy: "2026-10-02", answerBy: "2026-11-16", maxAnswerBy: "2026-11-16"},
	})
}

func TestComputeErrors(t *testing.T) {
	rs := Default()
	for _, tc := range []struct {
		name                 string
		received, registered caldate.Date
		ext                  int
		want                 error
		mention              string
	}{
		{"extension of 31 days", d("2026-10-01"), d("2026-10-01"), 31, ErrExtension, "30"},
		{"negative extension", d("2026-10-01"), d("2026-10-01"), -1, ErrExtension, "between 0 and 30"},
		{"no receipt date", caldate.Date{}, d("2026-10-01"), 0, ErrNotReceived, "date of receipt"},
		{"registered before received", d("2026-10-02"), d("2026-10-01"), 0, ErrRegisteredBeforeReceived, "2026-10-01"},
		{"before any rule", d("2001-01-01"), caldate.Date{}, 0, ErrNoRule, "2007-05-04"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rs.Compute(tc.received, tc.registered, tc.ext)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "deadline rules: ") || !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q: want the prefix \"deadline rules: \" and a mention of %q", err, tc.mention)
			}
			if got != (Deadlines{}) {
				t.Errorf("deadlines with an error: %+v", got)
			}
		})
	}
}

// reformIn returns the embedded rules with the pending reform put in force
// on the given date.
func reformIn(t *testing.T, from string) *Rules {
	t.Helper()
	rules := Default().All()
	found := false
	for i := range rules {
		if rules[i].ID == reform {
			rules[i].Status, rules[i].EffectiveFrom = StatusInForce, d(from)
			found = true
		}
	}
	if !found {
		t.Fatalf("rule %q missing", reform)
	}
	rs, err := New(rules, Default().Calendar())
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestHypotheticalReformSwitchesByRegistrationDate(t *testing.T) {
	rs := reformIn(t, "2027-01-01")
	runCompute(t, rs, []computeCase{
		{name: "registered the day before: 14 calendar days",
			received: "2026-12-30", registered: "2026-12-31", rule: law67, registerBy: "2026-12-31", answerBy: "2027-01-14"},
		{name: "registered on the effective date: 10 working days",
			received: "2026-12-31", registered: "2027-01-01", rule: reform, registerBy: "2027-01-08", answerBy: "2027-01-21"},
		{name: "received before, not yet registered: rule of the registration deadline",
			received: "2026-12-31", rule: reform, registerBy: "2027-01-08", answerBy: "2027-01-22", maxAnswerBy: "2027-02-22"},
		{name: "registered after: 10 working days",
			received: "2027-01-11", registered: "2027-01-11", rule: reform, registerBy: "2027-01-12", answerBy: "2027-01-25"},
		{name: "reform with extension in calendar days, rolled",
			received: "2027-01-11", registered: "2027-01-11", ext: 27, rule: reform, registerBy: "2027-01-12", answerBy: "2027-02-22"},
	})
	before, _ := rs.RuleAt(d("2026-12-31"))
	after, _ := rs.RuleAt(d("2027-01-01"))
	if before.ID != law67 || after.ID != reform {
		t.Errorf("RuleAt around 2027-01-01: %q then %q, want %q then %q", before.ID, after.ID, law67, reform)
	}
}

func validRule() Rule {
	return Rule{
		ID:            "test_rule",
		Title:         refdata.Names{KY: "Сыноо", RU: "Тест", EN: "Test"},
		Source:        "test",
		EffectiveFrom: d("2020-01-01"),
		Status:        StatusInForce,
		Registration:  Period{1, WorkingDays},
		Answer:        Period{14, CalendarDays},
		MaxExtension:  Period{30, CalendarDays},
	}
}

func TestNewValidation(t *testing.T) {
	cal := Default().Calendar()
	if _, err := New([]Rule{validRule()}, cal); err != nil {
		t.Fatalf("valid rule rejected: %v", err)
	}
	for _, tc := range []struct {
		name    string
		change  func(r *Rule)
		wantErr string
	}{
		{"in force without a date", func(r *Rule) { r.EffectiveFrom = caldate.Date{} }, "no effective_from"},
		{"unknown status", func(r *Rule) { r.Status = "draft" }, "status"},
		{"unknown unit", func(r *Rule) { r.Answer.Unit = "weeks" }, "unit"},
		{"zero answer", func(r *Rule) { r.Answer.Amount = 0 }, "answer amount 0"},
		{"negative registration", func(r *Rule) { r.Registration.Amount = -1 }, "registration amount"},
		{"typo in amount", func(r *Rule) { r.Answer.Amount = 1400 }, "at most"},
		{"bad id", func(r *Rule) { r.ID = "Law 67" }, "lower_snake"},
		{"no source", func(r *Rule) { r.Source = " " }, "source"},
		{"no title", func(r *Rule) { r.Title.RU = "" }, "ky, ru and en"},
		{"only pending rules", func(r *Rule) { r.Status = StatusPending }, "no rule is in force"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := validRule()
			tc.change(&r)
			_, err := New([]Rule{r}, cal)
			if err == nil {
				t.Fatal("invalid rule accepted")
			}
			if !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "deadline rules: ") {
				t.Errorf("error %q: want the prefix \"deadline rules: \" and %q", err, tc.wantErr)
			}
		})
	}
	other := validRule()
	other.ID = "other_rule"
	if _, err := New([]Rule{validRule(), other}, cal); err == nil || !strings.Contains(err.Error(), "both take effect") {
		t.Errorf("two rules on the same day: err = %v", err)
	}
	if _, err := New([]Rule{validRule(), validRule()}, cal); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate id: err = %v", err)
	}
	if _, err := New([]Rule{validRule()}, nil); err == nil {
		t.Error("nil calendar accepted")
	}
}

func TestNoExtensionRule(t *testing.T) {
	r := validRule()
	r.MaxExtension = Period{0, CalendarDays}
	rs, err := New([]Rule{r}, Default().Calendar())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Compute(d("2026-10-01"), d("2026-10-01"), 1); !errors.Is(err, ErrExtension) {
		t.Errorf("extension under a rule without one: err = %v", err)
	}
	dl, err := rs.Compute(d("2026-10-01"), d("2026-10-01"), 0)
	if err != nil || dl.AnswerBy != d("2026-10-15") || dl.MaxAnswerBy != dl.AnswerBy {
		t.Errorf("no extension: %+v, %v", dl, err)
	}
}

func TestRulesSortedAndCopied(t *testing.T) {
	later := validRule()
	later.ID, later.EffectiveFrom = "later", d("2030-01-01")
	pending := validRule()
	pending.ID, pending.Status, pending.EffectiveFrom = "pending_one", StatusPending, caldate.Date{}
	rs, err := New([]Rule{pending, later, validRule()}, Default().Calendar())
	if err != nil {
		t.Fatal(err)
	}
	all := rs.All()
	if all[0].ID != "test_rule" || all[1].ID != "later" || all[2].ID != "pending_one" {
		t.Errorf("order: %s, %s, %s", all[0].ID, all[1].ID, all[2].ID)
	}
	all[0].Answer.Amount = 99
	if r, _ := rs.RuleAt(d("2021-01-01")); r.Answer.Amount != 14 {
		t.Error("All returned the rules' own slice")
	}
	if r, _ := rs.RuleAt(d("2030-01-01")); r.ID != "later" {
		t.Errorf("RuleAt(2030-01-01) = %q, want later", r.ID)
	}
}

func TestDeadlinesJSON(t *testing.T) {
	dl, err := Default().Compute(d("2026-11-20"), caldate.Date{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(dl)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"rule":"law67_2007","register_by":"2026-11-23","answer_by":"2026-12-07","max_answer_by":"2027-01-08"}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	cal, err := LoadCalendar()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := New(Default().All(), cal)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			start := d("2024-01-01").AddDays(i * 50)
			for j := range 200 {
				if _, err := rs.Compute(start.AddDays(j), caldate.Date{}, j%31); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
