package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/xlsform"
)

// Questionnaires: central staff publish each version of a definition
// once, for every council; a council's laptop fills responses, checked
// against the version they name by xlsform, here, on every laptop and on
// the server alike.

// responseSchema: a response's answers are items, one a question.
var responseSchema = changeset.Schema{Collections: domain.ResponseCollections}

// checkQuestionnaire decides central staff's write of a definition: once,
// under no council, never changed (a change is a new version).
func checkQuestionnaire(op *changeset.Op, cur *changeset.State) *Refusal {
	if op.Council != "" {
		return refuse(syncproto.CodeInvalid, "questionnaire %s is for every council: its operation names none, not %q", op.Record, trunc(op.Council))
	}
	if op.Action != changeset.ActionCreate || (cur != nil && cur.Created != 0) {
		return refuse(syncproto.CodeForbidden, "a version of a questionnaire is published once and never changed: publish a new version")
	}
	return nil
}

// Questionnaire reads a definition record and its form, checked.
func Questionnaire(st *changeset.State, today caldate.Date) (*domain.Questionnaire, *xlsform.Form, error) {
	return questionnaire(st, today, xlsform.Decode)
}

// questionnaire is Questionnaire with the definition decoded by decode.
func questionnaire(st *changeset.State, today caldate.Date, decode func([]byte) (*xlsform.Form, error)) (*domain.Questionnaire, *xlsform.Form, error) {
	var q domain.Questionnaire
	if err := (changeset.Schema{}).FromFields(st.Values(), &q); err != nil {
		return nil, nil, fmt.Errorf("questionnaire %s: %w", st.ID, err)
	}
	q.ID = st.ID
	if err := q.Validate(today); err != nil {
		return nil, nil, err
	}
	f, err := decode(q.Definition)
	if err != nil {
		return nil, nil, fmt.Errorf("questionnaire %s: %w", st.ID, err)
	}
	if f.ID != q.FormID || f.Version != q.Version {
		return nil, nil, &domain.ValidationError{Kind: domain.KindQuestionnaire, Fields: []domain.FieldError{{Field: "definition", Code: domain.CodeMismatch,
			Message: fmt.Sprintf("is form %s version %s, not %s version %s", f.ID, f.Version, q.FormID, q.Version)}}}
	}
	return &q, f, nil
}

// ResponseOf reads a response record.
func ResponseOf(st *changeset.State) (*domain.Response, error) {
	var r domain.Response
	if err := responseSchema.FromFields(st.Values(), &r); err != nil {
		return nil, fmt.Errorf("response %s: %w", st.ID, err)
	}
	r.ID = st.ID
	return &r, nil
}

// CheckResponse judges a response as an operation op leaves it (next),
// against its definition's record (def, nil when the version it names is
// not known here). The answers are checked as xlsform.Form.Check does;
// only faults of what op wrote refuse it: a question answered on another
// laptop at the same time, whose merged answer no longer fits, is not
// this operation's fault (and shows in the response's check on reading).
func CheckResponse(op *changeset.Op, next, def *changeset.State, today caldate.Date) *Refusal {
	if next.Deleted() {
		return nil
	}
	r, err := ResponseOf(next)
	if err == nil {
		err = r.Validate(today)
	}
	if err != nil {
		return invalid(err)
	}
	if def == nil || def.Deleted() {
		return refuse(syncproto.CodeInvalid, "response %s is filled with questionnaire %s version %s, which is not published", op.Record, trunc(r.FormID), trunc(r.Version)).about(domain.CodeUnknown, "form_id")
	}
	_, f, err := questionnaire(def, caldate.Date{}, decodedForms.decode)
	if err != nil {
		return invalid(err)
	}
	err = f.Check(r.AnswerMap(), today)
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var own []domain.FieldError
	for _, fe := range ve.Fields {
		if _, wrote := op.Fields["answers"+changeset.ItemSep+fe.Field]; wrote {
			fe.Field = "answers" + changeset.ItemSep + fe.Field
			own = append(own, fe)
		}
	}
	if len(own) == 0 {
		return nil
	}
	msgs := make([]string, len(own))
	for i, fe := range own {
		msgs[i] = fe.Error()
	}
	return &Refusal{Code: syncproto.CodeInvalid, Message: fmt.Sprintf("response %s to %s version %s: %s", op.Record, r.FormID, r.Version, strings.Join(msgs, "; ")), Fields: own}
}

// checkQuestionnaireRecord is CheckRecord's check of a definition: its
// fields, its id (QuestionnaireID of its form and version) and its form.
func checkQuestionnaireRecord(st *changeset.State, today caldate.Date) error {
	_, _, err := Questionnaire(st, today)
	return err
}

// ResponseDefinition is the record id of the definition a response's
// state names (QuestionnaireID of its form and version), "" if it names
// none: what a server looks up to call CheckResponse.
func ResponseDefinition(st *changeset.State) string {
	var formID, version string
	v := st.Values()
	if json.Unmarshal(v["form_id"], &formID) != nil || json.Unmarshal(v["version"], &version) != nil || formID == "" || version == "" {
		return ""
	}
	return domain.QuestionnaireID(formID, version)
}
