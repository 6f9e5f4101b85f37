package records

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// Web submissions: appeals citizens sent through the public form. The
// server makes each one for the council chosen (an operation of its own
// device) and it reaches the council's laptops with their next pull, as
// a record of kind domain.KindSubmission: the council's inbox. The legal
// clock runs from its receipt: it must be registered within one working
// day (shared/deadline), so a waiting one has a deadline, listed and
// counted as overdue like an appeal's. A secretary registers it as a new
// appeal, merges it with an appeal the council holds, or refuses it;
// each writes only the submission's handling fields (policy), in the
// same transaction as the appeal it makes.

// submissionSchema: a web submission has no collections.
var submissionSchema = changeset.Schema{}

// submissionOf rebuilds a web submission from its state, with its
// registration deadline.
func (s *Service) submissionOf(st *changeset.State) (*domain.Submission, error) {
	var sub domain.Submission
	bad, err := s.fromFields(submissionSchema, st, &sub)
	if err != nil {
		return nil, err
	}
	sub.ID = st.ID
	sub.Meta = meta(st)
	sub.Meta.Unreadable = bad
	if sub.Status == domain.SubmissionWaiting && !sub.ReceivedOn.IsZero() {
		if d, err := s.rules.Compute(sub.ReceivedOn, caldate.Date{}, 0); err == nil {
			sub.RegisterBy = &d.RegisterBy
			sub.Due = s.Today().After(d.RegisterBy)
		}
	}
	return &sub, nil
}

// submissionRow is a web submission's index row: its status, the day it
// came, its first line as the title, and, while it waits, the day it must
// be registered by (so it lists as overdue after it).
func (s *Service) submissionRow(st *changeset.State, r *index.Row) error {
	sub, err := s.submissionOf(st)
	if err != nil {
		return err
	}
	r.Council, r.Oblast, r.District = sub.Council, sub.Oblast, sub.District
	r.Status, r.Category = string(sub.Status), sub.Category
	r.Date, r.Title = sub.ReceivedOn.String(), sub.AsAppeal().Summary
	if sub.RegisterBy != nil {
		r.Deadline = sub.RegisterBy.String()
	}
	parts := []string{sub.Text, sub.AuthorityName}
	if p := sub.Appellant; p != nil {
		parts = append(parts, p.Name, p.Phone, phoneKey(p.Phone), p.Email, p.Address)
	}
	r.Search = index.SearchText(parts...)
	return nil
}

// Submission returns a web submission.
func (s *Service) Submission(ctx context.Context, id string) (*domain.Submission, error) {
	st, err := s.stateOf(ctx, domain.KindSubmission, id)
	if err != nil {
		return nil, err
	}
	return s.submissionOf(st)
}

// Submission returns a web submission as this Tx sees it.
func (tx *Tx) Submission(id string) (*domain.Submission, *changeset.State, error) {
	st, err := tx.state(domain.KindSubmission, id)
	if err != nil {
		return nil, nil, err
	}
	sub, err := tx.s.submissionOf(st)
	return sub, st, err
}

// waiting returns submission id if it still waits in the inbox.
func (tx *Tx) waiting(id string) (*domain.Submission, *changeset.State, error) {
	sub, st, err := tx.Submission(id)
	if err != nil {
		return nil, nil, err
	}
	if sub.Status != domain.SubmissionWaiting {
		return nil, nil, fieldErr(domain.KindSubmission, "status", domain.CodeForbidden,
			fmt.Sprintf("web submission %s was %s already on %s", id, sub.Status, sub.HandledOn))
	}
	return sub, st, nil
}

// handle writes the handling fields of a waiting web submission.
func (tx *Tx) handle(sub *domain.Submission, st *changeset.State) (*domain.Submission, error) {
	sub.HandledOn = tx.s.Today()
	if err := sub.Validate(tx.s.cat); err != nil {
		return nil, err
	}
	all, err := submissionSchema.ToFields(sub, domain.SubmissionNotFields...)
	if err != nil {
		return nil, err
	}
	// Only the handling fields: what the citizen sent is never rewritten
	// (the server refuses it), whatever this laptop's encoding of it.
	fields := map[string]json.RawMessage{}
	for _, f := range domain.SubmissionHandlingFields {
		if v, ok := all[f]; ok {
			fields[f] = v
		} else {
			fields[f] = json.RawMessage("null")
		}
	}
	known := map[string]bool{}
	for _, f := range domain.SubmissionHandlingFields {
		known[f] = true
	}
	changes := changeset.Diff(st, fields, known)
	next, err := tx.apply(domain.KindSubmission, sub.ID, st.Council, changeset.ActionUpdate, st, changes)
	if err != nil {
		return nil, err
	}
	return tx.s.submissionOf(next)
}

// RegisterSubmission registers a waiting web submission as a new appeal of
// its council: the appeal is what the citizen sent (domain.Submission.
// AsAppeal: received the day the server received it, by the electronic
// channel, in the form's language), with patch (a JSON object of appeal
// fields, or nil) over it: the secretary completes what the citizen left
// out, such as the right or the region. The submission is marked
// registered, naming the appeal, in the same transaction.
func (tx *Tx) RegisterSubmission(id string, patch json.RawMessage) (*domain.Appeal, *domain.Submission, error) {
	sub, st, err := tx.waiting(id)
	if err != nil {
		return nil, nil, err
	}
	a := sub.AsAppeal()
	if len(patch) > 0 && string(patch) != "null" {
		var next domain.Appeal
		if err := applyPatch(domain.KindAppeal, &a, patch, []string{"id", "reg_no", "council", "status", "received_on", "meta", "deadlines", "overdue", "next_statuses"}, &next); err != nil {
			return nil, nil, err
		}
		a = next
	}
	made, err := tx.CreateAppeal(a)
	if err != nil {
		return nil, nil, err
	}
	sub.Status, sub.Appeal = domain.SubmissionRegistered, made.ID
	done, err := tx.handle(sub, st)
	if err != nil {
		return nil, nil, err
	}
	return made, done, nil
}

// MergeSubmission joins a waiting web submission to an appeal its council
// holds (by id or registration number): the same person, or the same
// matter, sent again.
func (tx *Tx) MergeSubmission(id, appeal string) (*domain.Submission, error) {
	sub, st, err := tx.waiting(id)
	if err != nil {
		return nil, err
	}
	if !domain.ValidID(appeal) {
		if appeal, err = tx.s.AppealByRegNo(appeal); err != nil {
			return nil, err
		}
	}
	a, _, err := tx.Appeal(appeal)
	if err != nil {
		return nil, err
	}
	if a.Council != sub.Council {
		return nil, fieldErr(domain.KindSubmission, "appeal", domain.CodeMismatch,
			fmt.Sprintf("appeal %s is council %s's; this web submission is for council %s", a.RegNo, a.Council, sub.Council))
	}
	sub.Status, sub.Appeal = domain.SubmissionMerged, a.ID
	return tx.handle(sub, st)
}

// RefuseSubmission refuses a waiting web submission: reason is one of
// domain.SubmissionRefusals; the note stays the council's.
func (tx *Tx) RefuseSubmission(id, reason, note string) (*domain.Submission, error) {
	sub, st, err := tx.waiting(id)
	if err != nil {
		return nil, err
	}
	sub.Status, sub.Refusal, sub.Note = domain.SubmissionRefused, reason, note
	return tx.handle(sub, st)
}

// RegisterSubmission is Tx.RegisterSubmission in a transaction of its own.
func (s *Service) RegisterSubmission(ctx context.Context, id string, patch json.RawMessage) (a *domain.Appeal, sub *domain.Submission, err error) {
	err = s.Update(ctx, func(tx *Tx) error { a, sub, err = tx.RegisterSubmission(id, patch); return err })
	return a, sub, err
}

// MergeSubmission is Tx.MergeSubmission in a transaction of its own.
func (s *Service) MergeSubmission(ctx context.Context, id, appeal string) (sub *domain.Submission, err error) {
	err = s.Update(ctx, func(tx *Tx) error { sub, err = tx.MergeSubmission(id, appeal); return err })
	return sub, err
}

// RefuseSubmission is Tx.RefuseSubmission in a transaction of its own.
func (s *Service) RefuseSubmission(ctx context.Context, id, reason, note string) (sub *domain.Submission, err error) {
	err = s.Update(ctx, func(tx *Tx) error { sub, err = tx.RefuseSubmission(id, reason, note); return err })
	return sub, err
}
