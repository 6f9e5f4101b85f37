package auth

import (
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Refusal is a judgement against one operation.
type Refusal = policy.Refusal

// IsGlobal reports whether every device reads records of kind.
func IsGlobal(kind string) bool { return policy.IsGlobal(kind) }

// CheckWrite decides whether device dev may make op, given the record's
// state on the server (nil when the server does not hold the record): the
// shared policy the laptops check too. nil means allowed.
func CheckWrite(dev *store.Device, op *changeset.Op, cur *changeset.State) *Refusal {
	return policy.CheckWrite(policy.Device{Role: dev.Role, Council: dev.Council}, op, cur)
}

// Fields is an operation's fields judged alone (JudgeFields), for
// CheckWriteJudged; the zero value is not judged.
type Fields = policy.FieldsJudged

// JudgeFields judges op's fields alone, gathered in name order in s (its
// check of the operation's form): the shared policy's
// (policy.JudgeFields), before the operation is judged on its record.
func JudgeFields(op *changeset.Op, s *changeset.SortedFields) Fields {
	return policy.JudgeFields(op, s)
}

// CheckWriteJudged is CheckWrite with op's fields judged before (f): the
// shared policy's (policy.CheckWriteJudged).
func CheckWriteJudged(dev *store.Device, op *changeset.Op, cur *changeset.State, f Fields) *Refusal {
	return policy.CheckWriteJudged(policy.Device{Role: dev.Role, Council: dev.Council}, op, cur, f)
}

// HeaderOnly is the shared policy's: CheckWrite and CheckRecord read
// only the state's header for a write of kind by dev.
func HeaderOnly(dev *store.Device, kind string) bool {
	return policy.HeaderOnly(policy.Device{Role: dev.Role, Council: dev.Council}, kind)
}

// CheckRecord judges a record as an accepted operation leaves it (a
// material, a material copy): the shared policy's check. nil means
// acceptable.
func CheckRecord(st *changeset.State, today caldate.Date) *Refusal {
	return policy.CheckRecord(st, today)
}

// ReadScope is what device dev may pull.
func ReadScope(dev *store.Device) store.Scope {
	switch dev.Role {
	case domain.RoleCentral:
		return store.Scope{All: true}
	case domain.RoleSecretary:
		return store.Scope{Council: dev.Council, Global: true}
	case domain.RoleTrainer, domain.RoleAdmin:
		return store.Scope{Global: true}
	}
	return store.Scope{}
}

// CheckResponse judges a response as an operation leaves it against the
// definition it names (def, nil when unknown): the shared policy's check.
func CheckResponse(op *changeset.Op, next, def *changeset.State, today caldate.Date) *Refusal {
	return policy.CheckResponse(op, next, def, today)
}

// ResponseDefinition is the id of the questionnaire record a response's
// state names, "" for none.
func ResponseDefinition(st *changeset.State) string { return policy.ResponseDefinition(st) }

// CheckGrant judges a grant as an operation leaves it: the shared
// policy's check, refusing the operation for the faults it wrote.
func CheckGrant(op *changeset.Op, next *changeset.State, today caldate.Date) *Refusal {
	return policy.CheckGrant(op, next, today)
}

// CheckCompetition judges a competition as an operation leaves it: the
// shared policy's check (a juror's score of an entry they are related
// to, or out of bounds, is refused).
func CheckCompetition(op *changeset.Op, next *changeset.State, today caldate.Date) *Refusal {
	return policy.CheckCompetition(op, next, today)
}
