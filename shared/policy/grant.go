package policy

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// Grants: central staff record a grant to a council (its purpose, amount,
// dates, milestones and disbursements) under that council, so that the
// council and central staff read it; the council's laptop writes only its
// reports of the milestones. The whole grant is checked after every
// merge, on the server and on every laptop, by GrantOf and CheckGrant.

// GrantSchema: a grant's milestones, reports and disbursements are items.
var GrantSchema = changeset.Schema{Collections: domain.GrantCollections}

// reportPrefix starts the field of a council's report of a milestone.
const reportPrefix = domain.GrantReportFields + changeset.ItemSep

// checkGrantCentral decides central staff's write of a grant: under the
// council it is for, created once, everything but the council's reports.
func checkGrantCentral(op *changeset.Op, cur *changeset.State) *Refusal {
	if op.Council == "" {
		return refuse(syncproto.CodeInvalid, "grant %s is for a council: its operation names the council", op.Record).about(domain.CodeRequired, "council")
	}
	if cur != nil && cur.Created != 0 && cur.Council != op.Council {
		return refuse(syncproto.CodeWrongCouncil, "grant %s is for council %q, not %q", op.Record, cur.Council, op.Council)
	}
	if r := checkCouncilFields(op, cur); r != nil {
		return r
	}
	if f := fieldsWithPrefix(op, reportPrefix); len(f) > 0 {
		return refuse(syncproto.CodeForbidden, "the council reports its milestones; central staff do not write its reports (%s)", strings.Join(f, ", ")).about(domain.CodeForbidden, f...)
	}
	return nil
}

// checkGrantCouncil decides a council's write of a grant: its reports of
// the milestones of a grant to it, and nothing else.
func checkGrantCouncil(dev Device, op *changeset.Op, cur *changeset.State) *Refusal {
	if op.Council != dev.Council {
		return refuse(syncproto.CodeWrongCouncil, "%s %s is for council %q, but this laptop belongs to council %s", op.Kind, op.Record, op.Council, dev.Council)
	}
	if op.Action != changeset.ActionUpdate || cur == nil || cur.Created == 0 {
		return refuse(syncproto.CodeForbidden, "central staff record and remove grants; a council's laptop reports the milestones of a grant it received")
	}
	if cur.Council != dev.Council {
		return refuse(syncproto.CodeWrongCouncil, "%s %s belongs to council %q, not to this laptop's council %s", op.Kind, op.Record, cur.Council, dev.Council)
	}
	var other []string
	for f := range op.Fields {
		if !strings.HasPrefix(f, reportPrefix) {
			other = append(other, f)
		}
	}
	if len(other) > 0 {
		sort.Strings(other)
		return refuse(syncproto.CodeForbidden, "a council reports its milestones (%s); the grant's %s are written by central staff",
			domain.GrantReportFields, strings.Join(other, ", ")).about(domain.CodeForbidden, other...)
	}
	return nil
}

func fieldsWithPrefix(op *changeset.Op, prefix string) []string {
	var out []string
	for f := range op.Fields {
		if strings.HasPrefix(f, prefix) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// GrantOf reads a grant record.
func GrantOf(st *changeset.State) (*domain.Grant, error) {
	var g domain.Grant
	if err := GrantSchema.FromFields(st.Values(), &g); err != nil {
		return nil, fmt.Errorf("grant %s: %w", st.ID, err)
	}
	g.ID = st.ID
	return &g, nil
}

// CheckGrant judges a grant as operation op leaves it (next): the grant
// whole (domain.Grant.Validate), refusing op only for the faults of what
// it wrote (domain.GrantFaultFields). Central staff removing a milestone
// the council reported at the same time, or paying out while the amount
// was lowered elsewhere, leaves a grant that needs a correction; the
// operation that did not cause it is not refused for it, so nothing a
// person saved is lost, and the grant's check on reading shows it.
func CheckGrant(op *changeset.Op, next *changeset.State, today caldate.Date) *Refusal {
	if next.Deleted() {
		return nil
	}
	g, err := GrantOf(next)
	if err != nil {
		return invalid(err)
	}
	return ownFaults("grant", op, g.Validate(today), domain.GrantFaultFields)
}

// ownFaults is the refusal of op for the faults of a record as op leaves
// it (err, from the record's Validate) that are op's own: those whose
// fields (faultFields names them) op wrote. A fault op did not cause (a
// concurrent write elsewhere made it) refuses nothing, so nothing a person
// saved is lost; a record's check on reading shows it. A forbidden fault
// (a juror scoring an entry they are related to) makes the refusal
// forbidden, any other invalid.
func ownFaults(kind string, op *changeset.Op, err error, faultFields func(domain.FieldError) []string) *Refusal {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var own []domain.FieldError
	for _, fe := range ve.Fields {
		if wroteAny(op, faultFields(fe)) {
			own = append(own, fe)
		}
	}
	if len(own) == 0 {
		return nil
	}
	msgs := make([]string, len(own))
	code := syncproto.CodeInvalid
	for i, fe := range own {
		msgs[i] = fe.Error()
		if fe.Code == domain.CodeForbidden {
			code = syncproto.CodeForbidden
		}
	}
	return &Refusal{Code: code, Message: fmt.Sprintf("%s %s: %s", kind, op.Record, strings.Join(msgs, "; ")), Fields: own}
}

// wroteAny reports whether op writes one of fields; a name ending in
// ItemSep stands for every item of that collection.
func wroteAny(op *changeset.Op, fields []string) bool {
	for _, f := range fields {
		if strings.HasSuffix(f, changeset.ItemSep) {
			if len(fieldsWithPrefix(op, f)) > 0 {
				return true
			}
			continue
		}
		if _, ok := op.Fields[f]; ok {
			return true
		}
	}
	return false
}

// MayWriteGrant reports whether dev writes grants: their terms,
// milestones and disbursements (checkGrantCentral): central staff.
func MayWriteGrant(dev Device) bool { return dev.Role == domain.RoleCentral }

// MayReportMilestones reports whether dev reports the milestones of a
// grant to council (checkGrantCouncil): a secretary's laptop of that
// council.
func MayReportMilestones(dev Device, council string) bool {
	return dev.Role == domain.RoleSecretary && dev.Council == council
}
