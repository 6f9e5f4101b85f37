package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// Device is who writes: an enrolled device's role and council.
type Device struct {
	Role    string
	Council string
}

// globalKinds are read by every device: councils and training materials.
var globalKinds = map[string]bool{domain.KindCouncil: true, domain.KindMaterial: true}

// councilKinds are a council's own records.
var councilKinds = map[string]bool{domain.KindAppeal: true, domain.KindEvent: true}

// IsGlobal reports whether every device reads records of kind.
func IsGlobal(kind string) bool { return globalKinds[kind] }

// Refusal is a judgement against one operation. It is an error a person
// can read; errors.Is(r, syncproto.ErrForbidden) holds for the refusals
// CheckWrite makes.
type Refusal struct {
	Code    syncproto.Code
	Message string
}

func (r *Refusal) Error() string { return r.Message }

// Unwrap maps the refusal to the protocol's sentinel of its code.
func (r *Refusal) Unwrap() error { return (&syncproto.Error{Code: r.Code}).Unwrap() }

func refuse(code syncproto.Code, format string, a ...any) *Refusal {
	return &Refusal{Code: code, Message: fmt.Sprintf(format, a...)}
}

// CheckWrite decides whether dev may make op, given the record's current
// state (nil when the record is new to the one judging). nil means
// allowed.
func CheckWrite(dev Device, op *changeset.Op, cur *changeset.State) *Refusal {
	switch dev.Role {
	case syncproto.RoleSecretary:
		if !councilKinds[op.Kind] {
			return refuse(syncproto.CodeForbidden, "a secretary's laptop writes appeals and events, not %s records", op.Kind)
		}
		if op.Council != dev.Council {
			return refuse(syncproto.CodeWrongCouncil, "%s %s is for council %q, but this laptop belongs to council %s", op.Kind, op.Record, op.Council, dev.Council)
		}
		if cur != nil && cur.Council != dev.Council {
			return refuse(syncproto.CodeWrongCouncil, "%s %s belongs to council %q, not to this laptop's council %s", op.Kind, op.Record, cur.Council, dev.Council)
		}
		if f := fieldsIn(op, domain.ReviewFields); len(f) > 0 {
			return refuse(syncproto.CodeForbidden, "%s is written by central staff after review, not by a council's laptop", strings.Join(f, ", "))
		}
		return nil
	case syncproto.RoleCentral:
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
			return refuse(syncproto.CodeForbidden, "central staff write only the review fields (%s), not %s", strings.Join(domain.ReviewFields, ", "), strings.Join(f, ", "))
		}
		return nil
	case syncproto.RoleTrainer:
		if op.Kind != domain.KindMaterial {
			return refuse(syncproto.CodeForbidden, "a trainer's device publishes materials, not %s records", op.Kind)
		}
		return nil
	case syncproto.RoleAdmin:
		if op.Kind != domain.KindCouncil {
			return refuse(syncproto.CodeForbidden, "an administrator's device writes councils, not %s records", op.Kind)
		}
		return nil
	}
	return refuse(syncproto.CodeForbidden, "a device with role %q writes nothing", dev.Role)
}

func fieldsIn(op *changeset.Op, names []string) []string {
	var out []string
	for f := range op.Fields {
		if slices.Contains(names, f) {
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
