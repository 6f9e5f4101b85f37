package reports_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/desktop/internal/reports/fixture"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// setup records the fixture in a new store and returns its service.
func setup(t *testing.T) (*records.Service, *fixture.Fixture) {
	t.Helper()
	svc, fx, _ := fixture.New(t)
	return svc, fx
}

func quarter() reports.Filter {
	return reports.Filter{From: caldate.MustParse(fixture.From), To: caldate.MustParse(fixture.To)}
}

func f(v float64) *float64 { return &v }

// The figures of the first quarter, counted by hand from the fixture's
// story (fixture.Build), on 2026-04-15.
func TestFiguresCountedByHand(t *testing.T) {
	svc, fx := setup(t)
	ctx := context.Background()

	// The holiday first: A1's answer was due on 03-20 by the count of
	// days, a holiday, so on Monday 03-23, the day it came.
	a1, err := svc.Appeal(ctx, fx.IDs["A1"])
	if err != nil {
		t.Fatal(err)
	}
	if a1.Deadlines.AnswerBy.String() != "2026-03-23" || a1.Deadlines.RegisterBy.String() != "2026-03-06" {
		t.Fatalf("A1's deadlines %+v: the fixture's hand count assumes register by 03-06, answer by 03-23", a1.Deadlines)
	}

	r, err := reports.Make(ctx, svc, quarter())
	if err != nil {
		t.Fatal(err)
	}
	want := reports.Figures{
		Events: reports.EventFigures{
			Total:  3,
			ByKind: map[string]int{"hearing": 1, "public_platform": 1, "training": 1},
			Participants: map[string]reports.Gendered{
				"citizens":        {Female: 15, Male: 8, Unspecified: 1, Total: 24},
				"officials":       {Male: 3, Total: 3},
				"journalists":     {Female: 2, Male: 1, Total: 3},
				"council_members": {Female: 1, Male: 2, Total: 3},
			},
			ParticipantsTotal: reports.Gendered{Female: 18, Male: 14, Unspecified: 1, Total: 33},
			// E1's actions: due 03-14 done, 03-30 late on 04-15, 05-01 open.
			FollowUps: reports.FollowUps{Open: 1, Late: 1, Done: 1},
		},
		Appeals: reports.AppealFigures{
			Total:             5, // A1, A2, A3, A4, A7 (A5 deleted, A6 before the period)
			ByChannel:         map[string]int{"phone": 3, "in_person": 1, "letter": 1},
			ByCategory:        map[string]int{"land_property": 2, "police_justice": 1, "health": 2},
			ByAuthority:       map[string]int{"land_cadastre": 1, "police": 1, "none": 3},
			ByStatus:          map[string]int{"closed": 2, "referred": 1, "rejected": 1, "received": 1},
			ByOutcome:         map[string]int{"answered": 1, "settled": 1, "rejected": 1, "open": 2},
			ByGender:          map[string]int{"female": 3, "male": 1, "none": 1},
			ByAgeGroup:        map[string]int{"30_44": 1, "18_29": 1, "none": 3},
			ByVulnerableGroup: map[string]int{"disability": 1},
			// A2 registered on 03-04, due 03-03; the others in time (A7
			// received on a Saturday, registered on Monday).
			RegisteredInTime: 4,
			// Days to register: A1 1, A2 2, A3 0, A4 0, A7 2.
			MedianDaysToRegister: f(1),
			Answered:             1,
			AnsweredInTime:       1, // A1, on the day the holiday moved its deadline to
			ShareAnsweredInTime:  f(1),
			MedianDaysToAnswer:   f(17), // 03-06 to 03-23
			Overdue:              2,     // A2 (due 03-18), A7 (due 04-13)
			Consultations:        2,     // A2's two
			Published:            1,     // A4
			Resolved:             2,     // A1 answered, A4 settled
		},
	}
	if !reflect.DeepEqual(r.Summary, want) {
		t.Errorf("summary\n%s\nwant\n%s", js(r.Summary), js(want))
	}
	wantInd := reports.Indicators{Councils: 3, CouncilsTarget: 21, Oblasts: 2, OblastsTarget: 7, Active: 3,
		PublicPlatforms: 2, PeopleReached: 33 + 5, AppealsResolved: 2}
	if r.Indicators != wantInd {
		t.Errorf("indicators %+v, want %+v", r.Indicators, wantInd)
	}
	if r.Day.String() != fixture.Today || r.Scope != "all" || r.Replay != nil {
		t.Errorf("day %s scope %s replay %v", r.Day, r.Scope, r.Replay)
	}
	if r.Point.Cursor != 0 || r.Point.Clock == 0 || r.Point.ClockAt.IsZero() {
		t.Errorf("log point %+v: the newest clock counted must be named", r.Point)
	}
	if len(r.Digest) != 64 {
		t.Errorf("digest %q", r.Digest)
	}
	again, err := reports.Make(ctx, svc, quarter())
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest != r.Digest {
		t.Error("the same figures gave another digest")
	}
}

func TestAsOfReplaysTheLog(t *testing.T) {
	svc, _ := setup(t)
	ctx := context.Background()
	fl := quarter()
	fl.AsOf = caldate.MustParse(fixture.AsOf)
	r, err := reports.Make(ctx, svc, fl)
	if err != nil {
		t.Fatal(err)
	}
	// As of 03-15: A1 referred (answer due 03-23, not yet late), A2
	// referred (due 03-18) with one consultation, A3 rejected, A4
	// settled and published, A5 received and not yet deleted; A7 not
	// received yet. E1's three actions all open, the one due 03-14 late.
	ap := r.Summary.Appeals
	checks := []struct {
		what      string
		got, want any
	}{
		{"total", ap.Total, 5},
		{"by channel", ap.ByChannel, map[string]int{"phone": 2, "in_person": 1, "letter": 1, "social_network": 1}},
		{"by status", ap.ByStatus, map[string]int{"referred": 2, "rejected": 1, "closed": 1, "received": 1}},
		{"by outcome", ap.ByOutcome, map[string]int{"open": 3, "rejected": 1, "settled": 1}},
		{"by gender", ap.ByGender, map[string]int{"female": 2, "male": 2, "none": 1}},
		{"by category", ap.ByCategory, map[string]int{"land_property": 2, "police_justice": 1, "health": 1, "labour": 1}},
		{"registered in time", ap.RegisteredInTime, 4},
		{"median days to register", *ap.MedianDaysToRegister, 0.0}, // 0, 0, 0, 1, 2
		{"answered", ap.Answered, 0},
		{"share answered in time", ap.ShareAnsweredInTime == nil, true},
		{"median days to answer", ap.MedianDaysToAnswer == nil, true},
		{"overdue on 03-15", ap.Overdue, 0},
		{"consultations", ap.Consultations, 1},
		{"published", ap.Published, 1},
		{"resolved", ap.Resolved, 1},
		{"events", r.Summary.Events.Total, 3},
		{"follow-ups", r.Summary.Events.FollowUps, reports.FollowUps{Open: 2, Late: 1}},
		{"people reached", r.Indicators.PeopleReached, 33 + 5},
		{"day", r.Day.String(), fixture.AsOf},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("as of %s, %s: %v, want %v", fixture.AsOf, c.what, c.got, c.want)
		}
	}
	if r.Replay == nil || r.Replay.Ops == 0 {
		t.Fatalf("replay %+v", r.Replay)
	}
	// The changes after 03-15: A5 deleted, E1's action done, A1 answered
	// and closed, A2's second consultation, A7 made, E4 made.
	if r.Replay.Later != 7 {
		t.Errorf("%d operations after the cut-off, want 7", r.Replay.Later)
	}
	if want := "2026-03-15T17:59:59.999Z"; r.Replay.Cutoff.Format("2006-01-02T15:04:05.000Z07:00") != want {
		t.Errorf("cut-off %s, want %s (the end of the day in Bishkek)", r.Replay.Cutoff, want)
	}
	if r.Point.ClockAt.After(r.Replay.Cutoff) {
		t.Errorf("the newest clock counted (%s) is after the cut-off", r.Point.ClockAt)
	}
	today, err := reports.Make(ctx, svc, quarter())
	if err != nil {
		t.Fatal(err)
	}
	if today.Digest == r.Digest {
		t.Error("today's figures and those as of 03-15 differ, their digests do not")
	}
	// The same question asked again gives the same figures.
	again, err := reports.Make(ctx, svc, fl)
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest != r.Digest {
		t.Error("a report as of a past day changed between two runs")
	}
}

func TestGroupsSideBySide(t *testing.T) {
	svc, _ := setup(t)
	ctx := context.Background()
	count := func(by string) map[string][2]int {
		fl := quarter()
		fl.By = by
		r, err := reports.Make(ctx, svc, fl)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][2]int{}
		var keys []string
		sumA, sumE := 0, 0
		for _, g := range r.Groups {
			out[g.Key] = [2]int{g.Appeals.Total, g.Events.Total}
			keys = append(keys, g.Key)
			sumA += g.Appeals.Total
			sumE += g.Events.Total
		}
		if sumA != r.Summary.Appeals.Total || sumE != r.Summary.Events.Total {
			t.Errorf("by %s: the groups add up to %d appeals and %d events, the summary says %d and %d", by, sumA, sumE, r.Summary.Appeals.Total, r.Summary.Events.Total)
		}
		t.Logf("by %s: %v", by, keys)
		return out
	}
	for _, tt := range []struct {
		by   string
		want map[string][2]int // appeals, events
	}{
		{reports.ByCouncil, map[string][2]int{"NRN-ATB": {2, 1}, "NRN-KOC": {2, 1}, "OSH-ARV": {1, 1}}},
		{reports.ByOblast, map[string][2]int{"KG-N": {4, 2}, "KG-O": {1, 1}}},
		{reports.ByMonth, map[string][2]int{"2026-01": {1, 1}, "2026-02": {1, 1}, "2026-03": {3, 1}}},
		{reports.ByQuarter, map[string][2]int{"2026-Q1": {5, 3}}},
	} {
		if got := count(tt.by); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("by %s: %v, want %v", tt.by, got, tt.want)
		}
	}
	// A series over a longer period has every month, empty ones too.
	fl := reports.Filter{From: caldate.MustParse("2025-11-01"), To: caldate.MustParse("2026-04-30"), By: reports.ByMonth}
	r, err := reports.Make(ctx, svc, fl)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, g := range r.Groups {
		keys = append(keys, g.Key)
	}
	if want := []string{"2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("months %v, want %v", keys, want)
	}
}

func TestFilters(t *testing.T) {
	svc, _ := setup(t)
	ctx := context.Background()
	fl := quarter()
	fl.Oblast = "KG-O"
	r, err := reports.Make(ctx, svc, fl)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Appeals.Total != 1 || r.Summary.Events.Total != 1 || r.Indicators.Councils != 1 || r.Indicators.Oblasts != 1 {
		t.Errorf("Osh oblast: %d appeals, %d events, %+v", r.Summary.Appeals.Total, r.Summary.Events.Total, r.Indicators)
	}
	fl = quarter()
	fl.Council = "NRN-KOC"
	if r, err = reports.Make(ctx, svc, fl); err != nil {
		t.Fatal(err)
	}
	if r.Summary.Appeals.Total != 2 || r.Summary.Appeals.Published != 1 || r.Summary.Events.ParticipantsTotal.Total != 5 {
		t.Errorf("Kochkor: %+v", r.Summary.Appeals)
	}
	// A district: Kochkor's, counted by the records' own district (and
	// the councils of that district for the indicators); the same as of
	// the quarter's last day, from the log; the records behind a number.
	for _, asOf := range []string{"", fixture.To} {
		fl = quarter()
		fl.District = "KG-N-KOC"
		if asOf != "" {
			fl.AsOf = caldate.MustParse(asOf)
		}
		if r, err = reports.Make(ctx, svc, fl); err != nil {
			t.Fatal(err)
		}
		if r.Summary.Appeals.Total != 2 || r.Summary.Events.Total != 1 || r.Summary.Events.ParticipantsTotal.Total != 5 ||
			r.Indicators.Councils != 1 || r.Indicators.Oblasts != 1 {
			t.Errorf("Kochkor district (as of %q): %d appeals, %d events, %+v", asOf, r.Summary.Appeals.Total, r.Summary.Events.Total, r.Indicators)
		}
		w, err := reports.NewWords("ky", svc.Catalog(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.ScopeText(w); got != "Кочкор району, Нарын облусу" {
			t.Errorf("whose records: %q", got)
		}
	}
	fl = quarter()
	fl.District = "KG-N-KOC"
	rf, err := reports.Selection{Filter: fl, Measure: reports.AppealsTotal}.Records(fixture.To)
	if err != nil {
		t.Fatal(err)
	}
	if list, err := svc.List(rf); err != nil || len(list) != 2 {
		t.Errorf("the appeals behind Kochkor district's number: %d, %v", len(list), err)
	}
	for _, bad := range []reports.Filter{
		{From: caldate.MustParse("2026-03-01"), To: caldate.MustParse("2026-02-01")},
		{By: "week"},
		{Oblast: "KG-X"},
		{District: "KG-N-XXX"},
		{Oblast: "KG-O", District: "KG-N-KOC"},
		{Council: "NOPE"},
		{AsOf: caldate.MustParse("2026-05-01")},
	} {
		if _, err := reports.Make(ctx, svc, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		} else {
			t.Logf("%+v: %v", bad, err)
		}
	}
}

// A secretary's laptop reports its own council only, even when it holds
// more (a laptop enrolled after recording for others).
func TestSecretarySeesOwnCouncil(t *testing.T) {
	svc, _ := setup(t)
	ctx := context.Background()
	if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example", Council: "NRN-ATB", Role: domain.RoleSecretary, Name: "Ат-Башы"}); err != nil {
		t.Fatal(err)
	}
	r, err := reports.Make(ctx, svc, quarter())
	if err != nil {
		t.Fatal(err)
	}
	if r.Scope != "NRN-ATB" || r.Summary.Appeals.Total != 2 || r.Summary.Events.Total != 1 || r.Indicators.Councils != 1 {
		t.Errorf("scope %s: %d appeals, %d events, %d councils", r.Scope, r.Summary.Appeals.Total, r.Summary.Events.Total, r.Indicators.Councils)
	}
	fl := quarter()
	fl.By = reports.ByCouncil
	if r, err = reports.Make(ctx, svc, fl); err != nil {
		t.Fatal(err)
	}
	if len(r.Groups) != 1 || r.Groups[0].Key != "NRN-ATB" {
		t.Errorf("groups %+v: a secretary sees only their council", r.Groups)
	}
}

// Every number's records filter lists exactly the records it counts.
func TestSelectionsListWhatTheyCount(t *testing.T) {
	svc, fx := setup(t)
	name := map[string]string{}
	for k, id := range fx.IDs {
		name[id] = k
	}
	list := func(s reports.Selection) []string {
		rf, err := s.Records(fixture.Today)
		if err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		got, err := svc.List(rf)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, g := range got {
			out = append(out, name[g.ID])
		}
		return out
	}
	byCouncil := quarter()
	byCouncil.By = reports.ByCouncil
	for _, tt := range []struct {
		s    reports.Selection
		want []string // newest first
	}{
		{reports.Selection{Filter: quarter(), Measure: reports.AppealsTotal}, []string{"A7", "A1", "A2", "A3", "A4"}},
		{reports.Selection{Filter: quarter(), Measure: reports.AppealsChannel, Key: "phone"}, []string{"A7", "A1", "A4"}},
		{reports.Selection{Filter: quarter(), Measure: reports.AppealsAuthority, Key: "none"}, []string{"A7", "A3", "A4"}},
		{reports.Selection{Filter: quarter(), Measure: reports.AppealsOverdue}, []string{"A7", "A2"}},
		{reports.Selection{Filter: quarter(), Measure: reports.AppealsRegInTime}, []string{"A7", "A1", "A3", "A4"}},
		{reports.Selection{Filter: quarter(), Measure: reports.AppealsResolved}, []string{"A1", "A4"}},
		{reports.Selection{Filter: quarter(), Measure: reports.AppealsPublished}, []string{"A4"}},
		{reports.Selection{Filter: quarter(), Measure: reports.AppealsVulnerable, Key: "disability"}, []string{"A1"}},
		{reports.Selection{Filter: quarter(), Measure: reports.AppealsConsulted}, []string{"A2"}},
		{reports.Selection{Filter: byCouncil, Group: "NRN-KOC", Measure: reports.AppealsCategory, Key: "health"}, []string{"A7", "A4"}},
		{reports.Selection{Filter: quarter(), Measure: reports.EventsWithGroup, Key: "officials"}, []string{"E1"}},
		{reports.Selection{Filter: quarter(), Measure: reports.EventsFollowLate}, []string{"E1"}},
		{reports.Selection{Filter: quarter(), Measure: reports.EventsByKind, Key: "training"}, []string{"E3"}},
	} {
		if got := list(tt.s); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %s %s: %v, want %v", tt.s.Group, tt.s.Measure, tt.s.Key, got, tt.want)
		}
	}
	asOf := quarter()
	asOf.AsOf = caldate.MustParse(fixture.AsOf)
	if _, err := (reports.Selection{Filter: asOf, Measure: reports.AppealsTotal}).Records(fixture.Today); err == nil {
		t.Error("a report as of a past day has no list of today's records behind it")
	}
	if _, err := (reports.Selection{Filter: quarter(), Measure: "appeals.by_weather"}).Records(fixture.Today); err == nil {
		t.Error("an unknown measure was listed")
	}
}

func js(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
