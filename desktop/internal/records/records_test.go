package records_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// fixedNow is 2026-03-10 noon in Bishkek.
var fixedNow = time.Date(2026, 3, 10, 12, 0, 0, 0, records.Bishkek)

func open(t *testing.T, dir string, now func() time.Time) (*records.Service, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, testKey, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Meta(ctx, "device"); err != nil {
		if _, err := records.Init(ctx, st, "test laptop"); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := records.Open(ctx, st, records.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

func setup(t *testing.T) (*records.Service, string) {
	t.Helper()
	dir := t.TempDir()
	svc, st := open(t, dir, func() time.Time { return fixedNow })
	t.Cleanup(func() { st.Close() })
	if _, err := svc.AddCouncil(context.Background(), domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
		t.Fatal(err)
	}
	return svc, dir
}

func appeal() domain.Appeal {
	return domain.Appeal{
		Council: "NRN-ATB", Channel: "in_person", Oblast: "KG-N", District: "KG-N-ATB", Village: "Ак-Муз",
		Appellant: &domain.Appellant{Name: "Асанова Гүлнара"}, Gender: "female",
		Category: "land_property", Summary: "Жер үлүшү тартылып алынды",
		ReceivedOn: caldate.MustParse("2026-02-02"), RegisteredOn: caldate.MustParse("2026-02-02"),
	}
}

func TestCreateAppealNumbersAndDeadline(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t)
	a, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	tag := svc.Device().Tag
	if want := "NRN-ATB-2026-" + tag + "-0001"; a.RegNo != want {
		t.Fatalf("reg no %q, want %q", a.RegNo, want)
	}
	b, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.RegNo, "-0002") {
		t.Fatalf("second reg no %q", b.RegNo)
	}
	if a.Status != domain.StatusReceived || a.Deadlines == nil {
		t.Fatalf("status %s deadlines %v", a.Status, a.Deadlines)
	}
	// Registered Monday 2026-02-02: 14 calendar days -> Monday 2026-02-16.
	if got := a.Deadlines.AnswerBy.String(); got != "2026-02-16" {
		t.Fatalf("answer by %s, want 2026-02-16", got)
	}
	if !a.Overdue {
		t.Fatal("an appeal due 2026-02-16 and still received on 2026-03-10 must be overdue")
	}
	list, err := svc.List(records.Filter{Kind: domain.KindAppeal, Overdue: true})
	if err != nil || len(list) != 2 {
		t.Fatalf("overdue list: %v %v", list, err)
	}
}

func TestValidationNamesFields(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t)
	tests := []struct {
		name  string
		mod   func(*domain.Appeal)
		field string
	}{
		{"no summary", func(a *domain.Appeal) { a.Summary = "" }, "summary"},
		{"unknown category", func(a *domain.Appeal) { a.Category = "weather" }, "category"},
		{"district of another oblast", func(a *domain.Appeal) { a.District = "KG-C-SOK" }, "district"},
		{"unknown council", func(a *domain.Appeal) { a.Council = "OSH-XX" }, "council"},
		{"name missing and not anonymous", func(a *domain.Appeal) { a.Appellant = nil }, "appellant.name"},
		{"received in the future", func(a *domain.Appeal) { a.ReceivedOn = caldate.MustParse("2026-04-01") }, "received_on"},
		{"bad PIN", func(a *domain.Appeal) { a.Appellant.PIN = "123" }, "appellant.pin"},
		{"starts in another status", func(a *domain.Appeal) { a.Status = domain.StatusClosed }, "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := appeal()
			tt.mod(&a)
			_, err := svc.CreateAppeal(ctx, a)
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("got %v, want a validation error", err)
			}
			found := false
			for _, f := range ve.Fields {
				found = found || f.Field == tt.field
			}
			if !found {
				t.Fatalf("error %v does not name %s", err, tt.field)
			}
		})
	}
	if n, _ := svc.Count(records.Filter{Kind: domain.KindAppeal}); n != 0 {
		t.Fatalf("%d appeals saved by invalid input", n)
	}
	if svc.Seq() != 1 { // only the council
		t.Fatalf("sequence moved to %d by failed saves", svc.Seq())
	}
}

func TestWorkflowHistoryAndReopen(t *testing.T) {
	ctx := context.Background()
	svc, dir := setup(t)
	a, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.MoveAppeal(ctx, a.ID, domain.Step{To: domain.StatusAnswered, Answer: "x"}); !errors.Is(err, domain.ErrIllegalTransition) {
		t.Fatalf("received -> answered: %v, want illegal transition", err)
	}
	steps := []domain.Step{
		{To: domain.StatusUnderReview},
		{To: domain.StatusFactChecking},
		{To: domain.StatusVerified},
		{To: domain.StatusReferred, Target: "Ат-Башы райондук администрациясы"},
	}
	for _, s := range steps {
		if a, err = svc.MoveAppeal(ctx, a.ID, s); err != nil {
			t.Fatalf("move to %s: %v", s.To, err)
		}
	}
	if _, err := svc.MoveAppeal(ctx, a.ID, domain.Step{To: domain.StatusAnswered}); err == nil {
		t.Fatal("answered without an answer was accepted")
	}
	if a, err = svc.AddConsultation(ctx, a.ID, domain.Consultation{Consultant: "юрист Б. Сыдыков", Summary: "Кеңеш берилди"}); err != nil {
		t.Fatal(err)
	}
	if len(a.Consultations) != 1 || a.Consultations[0].AtStatus != domain.StatusReferred {
		t.Fatalf("consultations %+v", a.Consultations)
	}
	if a, err = svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"description":"Толук маалымат","village":"Кара-Суу"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"status":"closed"}`)); err == nil {
		t.Fatal("status edited without a workflow step")
	}
	if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"summery":"typo"}`)); err == nil || !strings.Contains(err.Error(), "summery") {
		t.Fatalf("unknown field: %v", err)
	}
	if a.Status != domain.StatusReferred || a.Overdue != true || a.Village != "Кара-Суу" {
		t.Fatalf("after edit: %s overdue=%v village=%s", a.Status, a.Overdue, a.Village)
	}
	h, err := svc.History(ctx, domain.KindAppeal, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 7 { // create, 4 moves, consultation, edit
		t.Fatalf("history has %d entries, want 7", len(h))
	}
	if h[0].Action != "create" || h[0].Author != "test laptop" || h[1].Changes["status"] == nil {
		t.Fatalf("history starts %+v / %+v", h[0], h[1])
	}
	if _, ok := h[6].Changes["village"]; !ok || len(h[6].Changes) != 2 {
		t.Fatalf("edit entry records %v, want only the two changed fields", h[6].Changes)
	}

	// Text search, folded; then delete hides, restore shows again.
	if l, _ := svc.List(records.Filter{Kind: domain.KindAppeal, Text: "гулнара"}); len(l) != 1 {
		t.Fatalf("search by appellant name typed without ү: %d results", len(l))
	}
	if err := svc.Delete(ctx, domain.KindAppeal, a.ID); err != nil {
		t.Fatal(err)
	}
	if l, _ := svc.List(records.Filter{Kind: domain.KindAppeal}); len(l) != 0 {
		t.Fatalf("deleted appeal still listed")
	}
	if err := svc.Restore(ctx, domain.KindAppeal, a.ID); err != nil {
		t.Fatal(err)
	}
	if l, _ := svc.List(records.Filter{Kind: domain.KindAppeal, Status: "referred"}); len(l) != 1 {
		t.Fatalf("restored appeal not listed")
	}
	_ = dir
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, st := open(t, dir, func() time.Time { return fixedNow })
	if _, err := svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"}); err != nil {
		t.Fatal(err)
	}
	a, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	ev, err := svc.CreateEvent(ctx, domain.Event{Council: "NRN-ATB", Kind: "hearing", Title: "Коомдук угуу", Date: caldate.MustParse("2026-03-01"), Oblast: "KG-N",
		FollowUps: []domain.FollowUp{{Action: "Сунуштарды жөнөтүү", Owner: "Катчы", Due: caldate.MustParse("2026-03-12")}}})
	if err != nil {
		t.Fatal(err)
	}
	seq := svc.Seq()
	st.Close()

	svc2, st2 := open(t, dir, func() time.Time { return fixedNow })
	defer st2.Close()
	if svc2.Seq() != seq {
		t.Fatalf("sequence %d after reopen, want %d", svc2.Seq(), seq)
	}
	got, err := svc2.Appeal(ctx, a.ID)
	if err != nil || got.RegNo != a.RegNo {
		t.Fatalf("appeal after reopen: %v %v", got, err)
	}
	l, _ := svc2.List(records.Filter{Kind: domain.KindEvent, DueSoon: 7})
	if len(l) != 1 || l[0].ID != ev.ID {
		t.Fatalf("events with follow-up due within a week: %v", l)
	}
	b, err := svc2.CreateAppeal(ctx, appeal())
	if err != nil || !strings.HasSuffix(b.RegNo, "-0002") {
		t.Fatalf("numbering after reopen: %v %v", b, err)
	}
}

// The desktop app opens with the search words read in the background:
// lists work at once, searches wait for the words, and a save made
// meanwhile is found by its new words, not its old ones.
func TestOpenWithSearchWordsInBackground(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, st := open(t, dir, func() time.Time { return fixedNow })
	if _, err := svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
		t.Fatal(err)
	}
	var first *domain.Appeal
	for i := 0; i < 300; i++ {
		a := appeal()
		a.Summary = fmt.Sprintf("Жер үлүшү №%d", i)
		got, err := svc.CreateAppeal(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = got
		}
	}
	st.Close()

	st2, err := store.Open(ctx, dir, testKey, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	svc2, err := records.Open(ctx, st2, records.Options{Now: func() time.Time { return fixedNow }, TextInBackground: true})
	if err != nil {
		t.Fatal(err)
	}
	defer svc2.Close()
	if n, _ := svc2.Count(records.Filter{Kind: domain.KindAppeal}); n != 300 {
		t.Fatalf("list right after open: %d appeals", n)
	}
	if _, err := svc2.EditAppeal(ctx, first.ID, json.RawMessage(`{"summary":"Суу түтүгү жарылды"}`)); err != nil {
		t.Fatal(err)
	}
	if l, _ := svc2.List(records.Filter{Kind: domain.KindAppeal, Text: "жер"}); len(l) != 299 {
		t.Fatalf("search for the old words: %d appeals, want 299", len(l))
	}
	if l, _ := svc2.List(records.Filter{Kind: domain.KindAppeal, Text: "суу түтүгү"}); len(l) != 1 || l[0].ID != first.ID {
		t.Fatalf("search for the new words: %v", l)
	}
}

// Seq and Device answer while a save (or a pulled window being applied)
// holds the service: the syncer asks for them between the pages of a
// first pull, and waiting there held back the next window's pulls for as
// long as the window before it took to apply.
func TestSeqAndDeviceDoNotWaitForASave(t *testing.T) {
	svc, _ := setup(t)
	seq, dev := svc.Seq(), svc.Device()
	err := svc.Update(context.Background(), func(*records.Tx) error {
		type answer struct {
			seq uint64
			dev records.Device
		}
		got := make(chan answer, 1)
		go func() { got <- answer{svc.Seq(), svc.Device()} }()
		select {
		case a := <-got:
			if a.seq != seq || a.dev.ID != dev.ID {
				t.Errorf("during a save: Seq %d, Device %q; want %d, %q", a.seq, a.dev.ID, seq, dev.ID)
			}
		case <-time.After(10 * time.Second):
			t.Error("Seq or Device waited for the save to end")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateAppeal(context.Background(), appeal()); err != nil {
		t.Fatal(err)
	}
	if svc.Seq() <= seq {
		t.Fatalf("Seq after a save %d, want more than %d", svc.Seq(), seq)
	}
}
