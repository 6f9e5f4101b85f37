package domain

import (
	"errors"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

func TestWorkflowTransitions(t *testing.T) {
	tests := []struct {
		from, to Status
		ok       bool
	}{
		{StatusReceived, StatusUnderReview, true},
		{StatusReceived, StatusRejected, true},
		{StatusReceived, StatusVerified, false},
		{StatusUnderReview, StatusFactChecking, true},
		{StatusFactChecking, StatusVerified, true},
		{StatusFactChecking, StatusUnderReview, true},
		{StatusVerified, StatusReferred, true},
		{StatusVerified, StatusClosed, true},
		{StatusVerified, StatusAnswered, false},
		{StatusReferred, StatusAnswered, true},
		{StatusAnswered, StatusReferred, true},
		{StatusAnswered, StatusClosed, true},
		{StatusRejected, StatusUnderReview, true},
		{StatusClosed, StatusUnderReview, false},
		{StatusClosed, StatusReceived, false},
		{StatusReceived, "lost", false},
	}
	for _, tt := range tests {
		if got := CanMove(tt.from, tt.to); got != tt.ok {
			t.Errorf("CanMove(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.ok)
		}
	}
	// Every status is reachable from received.
	seen := map[Status]bool{StatusReceived: true}
	queue := []Status{StatusReceived}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, n := range s.Next() {
			if !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	for _, s := range Statuses {
		if !seen[s] {
			t.Errorf("status %s cannot be reached", s)
		}
	}
}

func TestMoveRequirements(t *testing.T) {
	today := caldate.MustParse("2026-03-10")
	tests := []struct {
		name    string
		from    Status
		step    Step
		wantErr string
		check   func(*Appeal) bool
	}{
		{"reject needs a reason", StatusReceived, Step{To: StatusRejected}, "note", nil},
		{"reject keeps the reason", StatusReceived, Step{To: StatusRejected, Note: "Факт тастыкталган жок"}, "",
			func(a *Appeal) bool { return a.RejectionReason == "Факт тастыкталган жок" }},
		{"refer needs a target", StatusVerified, Step{To: StatusReferred}, "target", nil},
		{"refer dates the referral", StatusVerified, Step{To: StatusReferred, Target: "Акыйкатчы"}, "",
			func(a *Appeal) bool { return a.ReferredTo == "Акыйкатчы" && a.ReferredOn == today }},
		{"answer needs the answer", StatusReferred, Step{To: StatusAnswered}, "answer", nil},
		{"answer on a given day", StatusReferred, Step{To: StatusAnswered, Answer: "Чара көрүлдү", On: caldate.MustParse("2026-03-09")}, "",
			func(a *Appeal) bool { return a.AnsweredOn.String() == "2026-03-09" }},
		{"illegal", StatusReceived, Step{To: StatusClosed}, "cannot become closed", nil},
		{"closed is final", StatusClosed, Step{To: StatusUnderReview}, "cannot change status", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Appeal{Status: tt.from}
			err := a.Move(tt.step, today)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want error containing %q", err, tt.wantErr)
				}
				if a.Status != tt.from {
					t.Fatalf("a failed step changed the status to %s", a.Status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != tt.step.To || !tt.check(a) {
				t.Fatalf("after step: %+v", a)
			}
		})
	}
	var te *TransitionError
	if err := (&Appeal{Status: StatusReceived}).Move(Step{To: StatusClosed}, today); !errors.As(err, &te) || !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("illegal move error %T %v", err, err)
	}
}

func TestRegNo(t *testing.T) {
	s := FormatRegNo("NRN-ATB", 2026, "K7QH", 42)
	if s != "NRN-ATB-2026-K7QH-0042" {
		t.Fatalf("format: %s", s)
	}
	council, year, tag, n, err := ParseRegNo(s)
	if err != nil || council != "NRN-ATB" || year != 2026 || tag != "K7QH" || n != 42 {
		t.Fatalf("parse: %s %d %s %d %v", council, year, tag, n, err)
	}
	if _, _, _, n, err := ParseRegNo(FormatRegNo("OSH", 2027, "2345", 12345)); err != nil || n != 12345 {
		t.Fatalf("five-digit counter: %d %v", n, err)
	}
	for _, bad := range []string{"", "NRN-2026-0042", "nrn-atb-2026-K7QH-0042", "NRN-ATB-26-K7QH-0042"} {
		if _, _, _, _, err := ParseRegNo(bad); err == nil {
			t.Errorf("ParseRegNo(%q) accepted", bad)
		}
	}
	for _, c := range "01ILOU" {
		if strings.ContainsRune(DeviceTagAlphabet, c) {
			t.Errorf("device tag alphabet has the ambiguous %q", c)
		}
	}
}

func TestEventValidation(t *testing.T) {
	cat := refdata.Default()
	today := caldate.MustParse("2026-03-10")
	good := func() Event {
		return Event{Council: "NRN-ATB", Kind: "hearing", Title: "Коомдук угуу", Date: caldate.MustParse("2026-03-01"), Oblast: "KG-N",
			Participants: map[string]GenderCount{"citizens": {Female: 10, Male: 8}}}
	}
	tests := []struct {
		name  string
		mod   func(*Event)
		field string
	}{
		{"valid", func(*Event) {}, ""},
		{"unknown kind", func(e *Event) { e.Kind = "party" }, "kind"},
		{"no title", func(e *Event) { e.Title = "  " }, "title"},
		{"bad time", func(e *Event) { e.StartTime = "25:00" }, "start_time"},
		{"negative count", func(e *Event) { e.Participants["citizens"] = GenderCount{Female: -1} }, "participants.citizens"},
		{"unknown group", func(e *Event) { e.Participants["aliens"] = GenderCount{Male: 1} }, "participants.aliens"},
		{"follow-up without owner", func(e *Event) {
			e.FollowUps = []FollowUp{{ID: NewID(), Action: "кат", Due: today, Status: "open"}}
		}, "followups[0].owner"},
		{"bad link", func(e *Event) { e.MediaLinks = []string{"kabar.kg"} }, "media_links[0]"},
		{"too long title", func(e *Event) { e.Title = strings.Repeat("ө", MaxTitle+1) }, "title"},
		{"far future", func(e *Event) { e.Date = caldate.MustParse("2030-01-01") }, "date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := good()
			tt.mod(&e)
			err := e.Validate(cat, today)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v", err)
			}
			for _, f := range ve.Fields {
				if f.Field == tt.field {
					return
				}
			}
			t.Fatalf("%v does not name %s", err, tt.field)
		})
	}
	e := good()
	if got := e.ParticipantTotal(); got.Total() != 18 {
		t.Fatalf("participant total %d", got.Total())
	}
}
