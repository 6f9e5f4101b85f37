package records_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

// pulledSubmission is a web submission as the server makes it and a
// laptop pulls it: an operation of the server's device.
func pulledSubmission(t *testing.T, seq uint64, receivedOn string, text string) *changeset.Op {
	t.Helper()
	sub := domain.Submission{ID: domain.NewID(), Council: "NRN-ATB", ReceivedAt: time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC),
		ReceivedOn: caldate.MustParse(receivedOn), Language: "ru", Oblast: "KG-N", District: "KG-N-ATB", Text: text,
		Appellant: &domain.Appellant{Name: "Сагынбаев Нурлан", Phone: "+996 555 987 654"}, PublishIdentityConsent: true,
		Status: domain.SubmissionWaiting}
	fields, err := changeset.Schema{}.ToFields(sub, domain.SubmissionNotFields...)
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string]changeset.Change{}
	for k, v := range fields {
		changes[k] = changeset.Change{Value: v}
	}
	return &changeset.Op{Device: "server-device", Seq: seq, HLC: hlc.New(fixedNow.Add(-time.Hour).UnixMilli(), uint16(seq)),
		Kind: domain.KindSubmission, Record: sub.ID, Council: "NRN-ATB", Action: changeset.ActionCreate, Author: "kenesh-syncserver", Fields: changes}
}

// The inbox: web submissions pulled from the server wait with their legal
// deadline (one working day from receipt), and are registered as appeals,
// merged with one, or refused, each in one save.
func TestInbox(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t)
	late := pulledSubmission(t, 1, "2026-03-05", "Работодатель три месяца не платит зарплату.\nПодробности ниже.")
	fresh := pulledSubmission(t, 2, "2026-03-10", "Спам спам спам")
	dup := pulledSubmission(t, 3, "2026-03-10", "Та же жалоба ещё раз")
	if _, err := svc.ApplyRemote(ctx, []*changeset.Op{late, fresh, dup}, 3); err != nil {
		t.Fatal(err)
	}
	waiting, err := svc.List(records.Filter{Kind: domain.KindSubmission, Status: string(domain.SubmissionWaiting)})
	if err != nil || len(waiting) != 3 {
		t.Fatalf("waiting: %d, %v", len(waiting), err)
	}
	overdue, err := svc.List(records.Filter{Kind: domain.KindSubmission, Overdue: true})
	if err != nil || len(overdue) != 1 || overdue[0].ID != late.Record || overdue[0].AnswerBy == nil || overdue[0].AnswerBy.String() != "2026-03-06" {
		t.Fatalf("overdue: %+v, %v", overdue, err)
	}
	s, err := svc.Submission(ctx, fresh.Record)
	if err != nil || s.RegisterBy == nil || s.RegisterBy.String() != "2026-03-11" || s.Due {
		t.Fatalf("a fresh one: %+v, %v", s, err)
	}
	if found, _ := svc.List(records.Filter{Kind: domain.KindSubmission, Text: "зарплату"}); len(found) != 1 {
		t.Fatalf("search finds %d", len(found))
	}

	// Registered as an appeal: the day it came, in its language; the
	// secretary gives the right the citizen left out.
	var made *domain.Appeal
	err = svc.Update(ctx, func(tx *records.Tx) (err error) {
		made, _, err = tx.RegisterSubmission(late.Record, json.RawMessage(`{"category":"labour","authority":"private_employer"}`))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if made.ReceivedOn.String() != "2026-03-05" || made.RegisteredOn.String() != "2026-03-10" || made.Channel != "electronic" || made.Language != "ru" ||
		made.Category != "labour" || made.Appellant.Name != "Сагынбаев Нурлан" || !made.PublishIdentityConsent || !strings.HasPrefix(made.RegNo, "NRN-ATB-2026-") {
		t.Fatalf("the appeal: %+v", made)
	}
	s, _ = svc.Submission(ctx, late.Record)
	if s.Status != domain.SubmissionRegistered || s.Appeal != made.ID || s.HandledOn.String() != "2026-03-10" || s.RegisterBy != nil {
		t.Fatalf("registered: %+v", s)
	}
	// Only the handling fields were written.
	hist, err := svc.History(ctx, domain.KindSubmission, late.Record)
	if err != nil {
		t.Fatal(err)
	}
	last, _ := json.Marshal(hist[len(hist)-1])
	for _, f := range []string{"text", "appellant", "received_at"} {
		if strings.Contains(string(last), `"`+f+`"`) {
			t.Errorf("the handling rewrote %s: %s", f, last)
		}
	}
	// Merged into that appeal, and refused.
	err = svc.Update(ctx, func(tx *records.Tx) error {
		if _, err := tx.MergeSubmission(dup.Record, made.RegNo); err != nil {
			return err
		}
		_, err := tx.RefuseSubmission(fresh.Record, domain.RefusalSpam, "реклама")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := svc.Submission(ctx, dup.Record); s.Status != domain.SubmissionMerged || s.Appeal != made.ID {
		t.Fatalf("merged: %+v", s)
	}
	if s, _ := svc.Submission(ctx, fresh.Record); s.Status != domain.SubmissionRefused || s.Refusal != domain.RefusalSpam {
		t.Fatalf("refused: %+v", s)
	}
	if n, _ := svc.Count(records.Filter{Kind: domain.KindSubmission, Status: string(domain.SubmissionWaiting)}); n != 0 {
		t.Fatalf("%d still waiting", n)
	}
	// Handled once: a second handling says when and how.
	err = svc.Update(ctx, func(tx *records.Tx) error {
		_, err := tx.RefuseSubmission(late.Record, domain.RefusalSpam, "")
		return err
	})
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "registered already") {
		t.Fatalf("handled twice: %v", err)
	}
	another := pulledSubmission(t, 4, "2026-03-10", "ещё одна")
	if _, err := svc.ApplyRemote(ctx, []*changeset.Op{another}, 4); err != nil {
		t.Fatal(err)
	}
	err = svc.Update(ctx, func(tx *records.Tx) error {
		_, err := tx.RefuseSubmission(another.Record, "boring", "")
		return err
	})
	if !errors.As(err, &ve) || ve.Fields[0].Field != "refusal" {
		t.Fatalf("a reason that is not one: %v", err)
	}
}
