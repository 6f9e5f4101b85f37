package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// Device is who writes: an enrolled device's role and council.
type Device struct {
	Role    string
	Council string
}

// globalKinds are read by every device: councils, training materials and
// questionnaires' definitions, competitions (a juror may be any device).
var globalKinds = map[string]bool{domain.KindCouncil: true, domain.KindMaterial: true, domain.KindQuestionnaire: true,
	domain.KindCompetition: true}

// councilKinds are a council's own records (a material copy says what
// one laptop of the council holds of a material; a response is a
// questionnaire filled for the council). A grant is a council's record
// too (read by the council and central staff), but who writes what of it
// is its own rule (checkGrantCentral, checkGrantCouncil).
var councilKinds = map[string]bool{domain.KindAppeal: true, domain.KindEvent: true, domain.KindMaterialCopy: true, domain.KindResponse: true}

// IsGlobal reports whether every device reads records of kind.
func IsGlobal(kind string) bool { return globalKinds[kind] }

// Refusal is a judgement against one operation. It is an error a person
// can read; errors.Is(r, syncproto.ErrForbidden) holds for the refusals
// CheckWrite makes. Fields, when the refusal is about fields of the
// record, names them with a field error code (domain.CodeForbidden,
// domain.CodeMismatch, domain.CodeRequired), so that a laptop marks them
// in a form, in its person's language, and the server sends them with the
// refusal (syncproto.RefusalFor).
type Refusal struct {
	Code    syncproto.Code
	Message string
	Fields  []domain.FieldError
}

func (r *Refusal) Error() string { return r.Message }

// Unwrap gives the protocol's sentinel of the refusal's code and, with
// fields, a *domain.ValidationError listing them (errors.As finds it).
func (r *Refusal) Unwrap() []error {
	errs := []error{r.Code.Err()}
	if len(r.Fields) > 0 {
		errs = append(errs, &domain.ValidationError{Kind: "record", Fields: r.Fields})
	}
	return errs
}

func refuse(code syncproto.Code, format string, a ...any) *Refusal {
	return &Refusal{Code: code, Message: fmt.Sprintf(format, a...)}
}

// about adds a field-level reason to r: field, with the field error code.
func (r *Refusal) about(code string, fields ...string) *Refusal {
	for _, f := range fields {
		if f == "..." {
			continue
		}
		r.Fields = append(r.Fields, domain.FieldError{Field: f, Code: code, Message: r.Message})
	}
	return r
}

// HeaderOnly reports whether CheckWrite and CheckRecord read nothing of
// a record's state but its header (kind, id, council, author, device,
// clocks: a State with no Fields, changeset.StateHeader) for a write of
// kind by dev: a server may then judge it on the state's storage encoding
// without decoding its fields (changeset.MergeEncoded). A rule that comes
// to read a field for such a write drops its case here
// (TestHeaderOnly judges the same writes on both forms).
func HeaderOnly(dev Device, kind string) bool {
	return dev.Role == domain.RoleSecretary && (kind == domain.KindAppeal || kind == domain.KindEvent)
}

// CheckWrite decides whether dev may make op, given the record's current
// state (nil when the record is new to the one judging). nil means
// allowed. What dev may write is judged first; then that every field op
// writes fits the kind's type, and every item of a collection is one
// (CheckFields), whoever writes it.
func CheckWrite(dev Device, op *changeset.Op, cur *changeset.State) *Refusal {
	if r := mayWrite(dev, op, cur); r != nil {
		return r
	}
	return CheckFields(op)
}

// mayWrite is CheckWrite's rules of who writes what.
func mayWrite(dev Device, op *changeset.Op, cur *changeset.State) *Refusal {
	if op.Kind == domain.KindCompetition {
		// Central staff set it up; a juror's device of any role scores.
		return checkCompetition(dev, op, cur)
	}
	switch dev.Role {
	case domain.RoleSecretary:
		if op.Kind == domain.KindSubmission {
			return checkSubmission(dev, op, cur)
		}
		if op.Kind == domain.KindExport {
			return checkExport(dev, op, cur)
		}
		if op.Kind == domain.KindGrant {
			return checkGrantCouncil(dev, op, cur)
		}
		if !councilKinds[op.Kind] {
			return refuse(syncproto.CodeForbidden, "a secretary's laptop writes appeals and events, not %s records", op.Kind)
		}
		if op.Council != dev.Council {
			return refuse(syncproto.CodeWrongCouncil, "%s %s is for council %q, but this laptop belongs to council %s", op.Kind, op.Record, op.Council, dev.Council)
		}
		if cur != nil && cur.Council != dev.Council {
			return refuse(syncproto.CodeWrongCouncil, "%s %s belongs to council %q, not to this laptop's council %s", op.Kind, op.Record, cur.Council, dev.Council)
		}
		if r := checkCouncilFields(op, cur); r != nil {
			return r
		}
		if f := fieldsIn(op, domain.ReviewFields); len(f) > 0 {
			return refuse(syncproto.CodeForbidden, "%s is written by central staff after review, not by a council's laptop", strings.Join(f, ", ")).about(domain.CodeForbidden, f...)
		}
		if op.Kind == domain.KindMaterialCopy {
			return checkMaterialCopy(op, cur)
		}
		return nil
	case domain.RoleCentral:
		if op.Kind == domain.KindExport {
			return checkExport(dev, op, cur)
		}
		if op.Kind == domain.KindQuestionnaire {
			return checkQuestionnaire(op, cur)
		}
		if op.Kind == domain.KindGrant {
			return checkGrantCentral(op, cur)
		}
		if !councilKinds[op.Kind] {
			return refuse(syncproto.CodeForbidden, "central staff review appeals and events; they do not write %s records", op.Kind)
		}
		if cur == nil {
			return refuse(syncproto.CodeForbidden, "central staff review records a council sent; %s %s is not one", op.Kind, op.Record)
		}
		if op.Council != "" && op.Council != cur.Council {
			return refuse(syncproto.CodeWrongCouncil, "%s %s belongs to council %q, not %q", op.Kind, op.Record, cur.Council, op.Council)
		}
		if f := fieldsNotIn(op, domain.ReviewFields); len(f) > 0 {
			return refuse(syncproto.CodeForbidden, "central staff write only the review fields (%s), not %s", strings.Join(domain.ReviewFields, ", "), strings.Join(f, ", ")).about(domain.CodeForbidden, f...)
		}
		return nil
	case domain.RoleTrainer:
		if op.Kind != domain.KindMaterial {
			return refuse(syncproto.CodeForbidden, "a trainer's device publishes materials, not %s records", op.Kind)
		}
		if op.Council != "" {
			return refuse(syncproto.CodeInvalid, "material %s is for every council: its operation names none, not %q", op.Record, trunc(op.Council))
		}
		return nil
	case domain.RoleAdmin:
		if op.Kind != domain.KindCouncil {
			return refuse(syncproto.CodeForbidden, "an administrator's device writes councils, not %s records", op.Kind)
		}
		return nil
	}
	return refuse(syncproto.CodeForbidden, "a device with role %q writes nothing", dev.Role)
}

// checkSubmission decides a secretary's write to a web submission. The
// server makes web submissions (a citizen's form, as an operation of its
// own device); the council's laptop only handles them: registers, merges
// or refuses one of its council, by the handling fields alone. What the
// citizen sent is never rewritten, and a laptop never makes one: a
// submission exists because the server received it.
func checkSubmission(dev Device, op *changeset.Op, cur *changeset.State) *Refusal {
	if op.Council != dev.Council {
		return refuse(syncproto.CodeWrongCouncil, "%s %s is for council %q, but this laptop belongs to council %s", op.Kind, op.Record, op.Council, dev.Council)
	}
	if cur == nil || cur.Created == 0 || op.Action == changeset.ActionCreate {
		return refuse(syncproto.CodeForbidden, "web submissions are made by the server when a citizen sends the public form; a laptop handles them, it does not make them")
	}
	if cur.Council != dev.Council {
		return refuse(syncproto.CodeWrongCouncil, "%s %s belongs to council %q, not to this laptop's council %s", op.Kind, op.Record, cur.Council, dev.Council)
	}
	if op.Action == changeset.ActionDelete {
		return refuse(syncproto.CodeForbidden, "a web submission is not deleted: refuse it (as spam, or out of scope) so its sender can see it was looked at")
	}
	if f := fieldsNotIn(op, domain.SubmissionHandlingFields); len(f) > 0 {
		return refuse(syncproto.CodeForbidden, "a council handles a web submission (%s); what the citizen sent (%s) is not changed",
			strings.Join(domain.SubmissionHandlingFields, ", "), strings.Join(f, ", ")).about(domain.CodeForbidden, f...)
	}
	return nil
}

// checkExport decides the record of an export (domain.Export): the
// laptop that exported writes it once, and nobody changes it after. A
// council's laptop records its exports under its council (that council
// and central staff read them); central staff's laptop under no council,
// so that only central staff read those.
func checkExport(dev Device, op *changeset.Op, cur *changeset.State) *Refusal {
	want := dev.Council
	if dev.Role == domain.RoleCentral {
		want = ""
	}
	if op.Council != want {
		if want == "" {
			return refuse(syncproto.CodeWrongCouncil, "central staff record their exports under no council, not %q", op.Council)
		}
		return refuse(syncproto.CodeWrongCouncil, "%s %s is for council %q, but this laptop belongs to council %s", op.Kind, op.Record, op.Council, want)
	}
	if op.Action != changeset.ActionCreate || (cur != nil && cur.Created != 0) {
		return refuse(syncproto.CodeForbidden, "the record of an export is written once, when the export is made, and never changed")
	}
	if c, ok := op.Fields["council"]; ok {
		if council, err := jsonString(c.Value); err != nil || council != op.Council {
			return refuse(syncproto.CodeWrongCouncil, "%s %s is recorded by council %q: its council field cannot say %s", op.Kind, op.Record, op.Council, trunc(string(c.Value))).about(domain.CodeMismatch, "council")
		}
	} else if op.Council != "" {
		return refuse(syncproto.CodeInvalid, "%s %s: a new record names its council (the council field)", op.Kind, op.Record).about(domain.CodeRequired, "council")
	}
	return nil
}

func fieldsIn(op *changeset.Op, names []string) []string {
	var out []string
	// A look for each of the few names, not a pass over the operation's
	// fields comparing each with every name (an appeal's creation has
	// about twenty fields; every operation of a council's push comes here).
	for _, f := range names {
		if _, ok := op.Fields[f]; ok {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

func fieldsNotIn(op *changeset.Op, names []string) []string {
	var out []string
	for f := range op.Fields {
		if !slices.Contains(names, f) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	if len(out) > 5 {
		out = append(out[:5], "...")
	}
	return out
}

// checkCouncilFields keeps a council's record with the council that made
// it. A record's council is fixed at its creation: the operation's council
// (op.Council, which CheckWrite ties to the device's) decides who reads it,
// and its "council" field, which lists and statistics count it under, must
// say the same; its registration number must be one of that council's. A
// record is created once, by one create operation. Moving a record to
// another council is not something any laptop does, not even central
// staff's: if it was recorded by the wrong council, that council closes
// it and the right one records it anew.
func checkCouncilFields(op *changeset.Op, cur *changeset.State) *Refusal {
	if op.Action == changeset.ActionCreate && cur != nil && cur.Created != 0 {
		return refuse(syncproto.CodeInvalid, "%s %s already exists: a record is created once", op.Kind, op.Record)
	}
	if op.Action == changeset.ActionUpdate && cur == nil {
		// A change of a record the judge holds nothing of: taken, it
		// would make a record of the changed fields alone (a council's
		// laptop whose creation of it was refused, corrected twice
		// before a sync: the creation again, then this; or a laptop's
		// made-up record). Its creation comes first, from the laptop
		// that made it; a laptop judges on its own state, never nil
		// for a record it holds.
		return refuse(syncproto.CodeInvalid, "%s %s: a change of a record the centre does not hold; its creation is sent first", op.Kind, op.Record)
	}
	c, ok := op.Fields["council"]
	switch {
	case ok:
		if council, err := jsonString(c.Value); err != nil || council != op.Council {
			return refuse(syncproto.CodeWrongCouncil, "%s %s is recorded by council %s: its council field cannot say %s", op.Kind, op.Record, op.Council, trunc(string(c.Value))).about(domain.CodeMismatch, "council")
		}
	case op.Action == changeset.ActionCreate:
		return refuse(syncproto.CodeInvalid, "%s %s: a new record names its council (the council field)", op.Kind, op.Record).about(domain.CodeRequired, "council")
	}
	if r, ok := op.Fields["reg_no"]; ok {
		if regNo, err := jsonString(r.Value); err != nil || !strings.HasPrefix(regNo, op.Council+"-") {
			return refuse(syncproto.CodeWrongCouncil, "%s %s is recorded by council %s: its registration number %s is not one of that council's", op.Kind, op.Record, op.Council, trunc(string(r.Value))).about(domain.CodeMismatch, "reg_no")
		}
	}
	return nil
}

// jsonString decodes a JSON string as json.Unmarshal does; a plain one
// (no escape, no control character, valid UTF-8: a council's code, a
// registration number) without its reflection, twice for each record a
// council's push creates.
func jsonString(raw []byte) (string, error) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		in := raw[1 : n-1]
		plain := utf8.Valid(in)
		for i := 0; plain && i < len(in); i++ {
			plain = in[i] >= 0x20 && in[i] != '"' && in[i] != '\\'
		}
		if plain {
			return string(in), nil
		}
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
