package records_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/xlsform"
)

func corpusForm(t *testing.T, name string) *xlsform.Form {
	t.Helper()
	data, err := os.ReadFile("../../../shared/xlsform/testdata/" + name + ".xlsx")
	if err != nil {
		t.Fatal(err)
	}
	f, err := xlsform.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func answersOf(t *testing.T, js string) []domain.Answer {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	var out []domain.Answer
	for k, v := range m {
		out = append(out, domain.Answer{ID: k, Value: v})
	}
	return out
}

// A questionnaire published, responses saved (checked against their
// version, every fault at once), changed per question, listed by form,
// and kept after the store is opened again.
func TestQuestionnairesAndResponses(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t)
	if err := svc.SetHomeCouncil(ctx, "NRN-ATB"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Questionnaire(ctx, "event_feedback", ""); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("before it is published: %v", err)
	}
	f := corpusForm(t, "event_feedback")
	q, err := svc.PublishQuestionnaire(ctx, f, "feedback.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if q.ID != domain.QuestionnaireID("event_feedback", "1") || q.Title != nil || q.PublishedOn != svc.Today() {
		t.Fatalf("published: %+v", q)
	}
	if _, err := svc.PublishQuestionnaire(ctx, f, "feedback.xlsx"); !errors.Is(err, records.ErrPublished) {
		t.Fatalf("twice: %v", err)
	}
	_, err = svc.SaveResponse(ctx, domain.Response{FormID: "event_feedback", Answers: answersOf(t, `{"rating": 1, "again": "maybe"}`), Event: "x"})
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 3 {
		t.Fatalf("a bad response: %v", err)
	}
	r, err := svc.SaveResponse(ctx, domain.Response{FormID: "event_feedback", Answers: answersOf(t, `{"rating": 1, "why_low": "Залда суук болду", "again": "no", "suggest": ""}`)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Council != "NRN-ATB" || r.Version != "1" || len(r.Answers) != 3 || r.FilledOn != svc.Today() {
		t.Fatalf("saved: %+v", r)
	}
	// New answers: why_low is not asked once the rating is 5, and is
	// removed by the new answers leaving it out.
	r2, err := svc.SaveResponse(ctx, domain.Response{ID: r.ID, Answers: answersOf(t, `{"rating": 5, "again": "yes"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := r2.AnswerMap(); len(got) != 2 || string(got["rating"]) != "5" || r2.FormID != "event_feedback" {
		t.Fatalf("changed: %+v", r2)
	}
	if _, err := svc.PublishQuestionnaire(ctx, corpusForm(t, "training_test"), "test.xlsx"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SaveResponse(ctx, domain.Response{FormID: "training_test", Answers: answersOf(t, `{"stage": "pre", "q1": "d14", "q2": "anyone", "q3": ["request"]}`)}); err != nil {
		t.Fatal(err)
	}
	list, err := svc.Responses(ctx, "event_feedback")
	if err != nil || len(list) != 1 || list[0].ID != r.ID {
		t.Fatalf("responses to event_feedback: %v %v", list, err)
	}
	all, _ := svc.Responses(ctx, "")
	qs, _ := svc.Questionnaires(ctx)
	if len(all) != 2 || len(qs) != 2 {
		t.Fatalf("%d responses, %d questionnaires", len(all), len(qs))
	}
	hist, err := svc.History(ctx, domain.KindResponse, r.ID)
	if err != nil || len(hist) != 2 {
		t.Fatalf("history: %d entries, %v", len(hist), err)
	}
}

// What a laptop with a bug or a newer app sends does not break the lists:
// a response with an answer item that does not fit is listed with the
// rest (the item named unreadable), and a definition this version cannot
// read is left out of the questionnaires, not the whole list.
func TestUnreadableQuestionnaireRecords(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t)
	if err := svc.SetHomeCouncil(ctx, "NRN-ATB"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PublishQuestionnaire(ctx, corpusForm(t, "event_feedback"), "f.xlsx"); err != nil {
		t.Fatal(err)
	}
	r, err := svc.SaveResponse(ctx, domain.Response{FormID: "event_feedback", Answers: answersOf(t, `{"rating": 5}`)})
	if err != nil {
		t.Fatal(err)
	}
	dev := "0190a5c2-0000-7000-8000-0000000000d9"
	newer := domain.QuestionnaireID("event_feedback", "2")
	ops := []*changeset.Op{
		{Device: dev, Seq: 1, HLC: hlc.New(fixedNow.UnixMilli()+1000, 0), Kind: domain.KindResponse, Record: r.ID, Council: "NRN-ATB",
			Action: changeset.ActionUpdate, Author: "другой", Fields: map[string]changeset.Change{"answers/again": {Value: json.RawMessage(`5`)}}},
		{Device: dev, Seq: 2, HLC: hlc.New(fixedNow.UnixMilli()+2000, 0), Kind: domain.KindQuestionnaire, Record: newer,
			Action: changeset.ActionCreate, Author: "борбор", Fields: map[string]changeset.Change{
				"form_id": {Value: json.RawMessage(`"event_feedback"`)}, "version": {Value: json.RawMessage(`"2"`)},
				"published_on": {Value: json.RawMessage(`"2026-03-10"`)}, "definition": {Value: json.RawMessage(`{"form_id":"event_feedback","version":"2","questions":[],"skip_logic":{}}`)}}},
	}
	if _, err := svc.ApplyRemote(ctx, ops, 7); err != nil {
		t.Fatal(err)
	}
	list, err := svc.Responses(ctx, "event_feedback")
	if err != nil || len(list) != 1 || len(list[0].Meta.Unreadable) != 1 || list[0].Meta.Unreadable[0] != "answers/again" {
		t.Fatalf("responses: %+v %v", list, err)
	}
	qs, err := svc.Questionnaires(ctx)
	if err != nil || len(qs) != 1 || qs[0].Version != "1" {
		t.Fatalf("questionnaires: %+v %v", qs, err)
	}
}
