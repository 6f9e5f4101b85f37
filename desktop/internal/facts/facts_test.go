package facts

import (
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/deadline"
	"github.com/kenesh/kenesh/shared/domain"
)

func TestAppealRoundTrip(t *testing.T) {
	d := caldate.MustParse
	a := &domain.Appeal{Channel: "phone", Authority: "police", Gender: "female", AgeGroup: "30_44",
		VulnerableGroups: []string{"disability", "rural_remote"}, Status: domain.StatusClosed,
		ReceivedOn: d("2026-03-02"), RegisteredOn: d("2026-03-03"), AnsweredOn: d("2026-03-16"), ClosedOn: d("2026-03-20"),
		ReferredOn: d("2026-03-05"), Consultations: []domain.Consultation{{}, {}},
		Deadlines: &deadline.Deadlines{RegisterBy: d("2026-03-03"), AnswerBy: d("2026-03-17")},
		Published: true, ReadyForPublication: true, PublicSummary: "x"}
	var f Appeal
	if !ReadAppeal(OfAppeal(a), &f) {
		t.Fatal("not read back")
	}
	want := Appeal{Channel: "phone", Authority: "police", Gender: "female", AgeGroup: "30_44", Vulnerable: "disability,rural_remote",
		RegisteredOn: "2026-03-03", RegisterBy: "2026-03-03", AnswerBy: "2026-03-17", AnsweredOn: "2026-03-16", ClosedOn: "2026-03-20",
		ReferredOn: "2026-03-05", Outcome: OutcomeAnswered, Consultations: 2, InRegister: true, DaysToRegister: 1, DaysToAnswer: 13}
	if f != want {
		t.Errorf("read back\n%+v\nwant\n%+v", f, want)
	}
	var groups []string
	EachList(f.Vulnerable, func(c string) { groups = append(groups, c) })
	if len(groups) != 2 || groups[1] != "rural_remote" {
		t.Errorf("vulnerable groups %v", groups)
	}
}

func TestOutcomes(t *testing.T) {
	d := caldate.MustParse
	for _, tt := range []struct {
		a    domain.Appeal
		want string
	}{
		{domain.Appeal{Status: domain.StatusReceived}, OutcomeOpen},
		{domain.Appeal{Status: domain.StatusReferred}, OutcomeOpen},
		{domain.Appeal{Status: domain.StatusRejected, RejectionReason: "x"}, OutcomeRejected},
		{domain.Appeal{Status: domain.StatusClosed, RejectionReason: "x"}, OutcomeRejected},
		{domain.Appeal{Status: domain.StatusAnswered, AnsweredOn: d("2026-03-16")}, OutcomeAnswered},
		{domain.Appeal{Status: domain.StatusClosed, AnsweredOn: d("2026-03-16")}, OutcomeAnswered},
		{domain.Appeal{Status: domain.StatusClosed}, OutcomeSettled},
	} {
		var f Appeal
		ReadAppeal(OfAppeal(&tt.a), &f)
		if f.Outcome != tt.want {
			t.Errorf("%s (answered %v, rejected %q): outcome %s, want %s", tt.a.Status, tt.a.AnsweredOn, tt.a.RejectionReason, f.Outcome, tt.want)
		}
	}
}

func TestEventRoundTrip(t *testing.T) {
	d := caldate.MustParse
	e := &domain.Event{Participants: map[string]domain.GenderCount{"citizens": {Female: 12, Male: 9, Unspecified: 1}, "officials": {Male: 3}},
		FollowUps: []domain.FollowUp{{Status: "done"}, {Status: "cancelled"}, {Status: "open", Due: d("2026-05-01")}, {Status: "open"}}}
	var f Event
	if !ReadEvent(OfEvent(e), &f) {
		t.Fatal("not read back")
	}
	got := map[string][3]int{}
	f.EachGroup(func(g string, a, b, c int) { got[g] = [3]int{a, b, c} })
	if got["citizens"] != [3]int{12, 9, 1} || got["officials"] != [3]int{0, 3, 0} || len(got) != 2 {
		t.Errorf("participants %v", got)
	}
	var due []string
	f.EachOpenDue(func(s string) { due = append(due, s) })
	if f.Done != 1 || f.Cancelled != 1 || len(due) != 2 || due[0] != "2026-05-01" {
		t.Errorf("follow-ups: %+v, due %v", f, due)
	}
}

func TestOtherFormsReadAsEmpty(t *testing.T) {
	var a Appeal
	var e Event
	for _, s := range []string{"", "a2\x1fphone", "e1", "x"} {
		if s != "e1" && ReadEvent(s, &e) || ReadAppeal(s, &a) {
			t.Errorf("%q read as facts", s)
		}
	}
	// A value holding the separator does not shift the others.
	var f Appeal
	ReadAppeal(OfAppeal(&domain.Appeal{Channel: "ph\x1fone", Gender: "male"}), &f)
	if f.Gender != "male" {
		t.Errorf("a separator inside a value moved the fields: %+v", f)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(OfAppeal(&domain.Appeal{Channel: "phone"}))
	f.Add(OfEvent(&domain.Event{Participants: map[string]domain.GenderCount{"citizens": {Female: 1}}}))
	f.Fuzz(func(t *testing.T, s string) {
		var a Appeal
		var e Event
		ReadAppeal(s, &a)
		ReadEvent(s, &e)
		e.EachGroup(func(string, int, int, int) {})
		e.EachOpenDue(func(string) {})
		EachList(a.Vulnerable, func(string) {})
	})
}
