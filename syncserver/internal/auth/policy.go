package auth

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// KindMaterial is the record kind of a trainer's material.
const KindMaterial = "material"

// globalKinds are read by every device: councils and training materials.
var globalKinds = map[string]bool{domain.KindCouncil: true, KindMaterial: true}

// councilKinds are a council's own records.
var councilKinds = map[string]bool{domain.KindAppeal: true, domain.KindEvent: true}

// ReviewFields are the fields of appeals and events that central staff
// write after fact-checking, and secretaries may not.
var ReviewFields = []string{"published", "published_on", "review_note"}

// IsGlobal reports whether every device reads records of kind.
func IsGlobal(kind string) bool { return globalKinds[kind] }

// Refusal is a judgement against one operation.
type Refusal struct {
	Code    syncproto.Code
	Message string
}

func (r *Refusal) Error() string { return r.Message + " (" + string(r.Code) + ")" }

func refuse(code syncproto.Code, format string, a ...any) *Refusal {
	return &Refusal{Code: code, Message: fmt.Sprintf(format, a...)}
}

// CheckWrite decides whether device dev may make op, given the record's
// state on the server (nil when the server does not hold the record). nil
// means allowed.
func CheckWrite(dev *store.Device, op *changeset.Op, cur *changeset.State) *Refusal {
	switch dev.Role {
	case syncproto.RoleSecretary:
		if !councilKinds[op.Kind] {
			return refuse(syncproto.CodeForbidden, "a secretary's laptop writes appeals and events, not %s records", op.Kind)
		}
		if op.Council != dev.Council {
			return refuse(syncproto.CodeWrongCouncil, "%s %s is for council %q, but this laptop belongs to council %s", op.Kind, op.Record, op.Council, dev.Council)
		}
		if cur != nil && cur.Council != dev.Council {
			return refuse(syncproto.CodeWrongCouncil, "%s %s belongs to council %q on the server, not to this laptop's council %s", op.Kind, op.Record, cur.Council, dev.Council)
		}
		if f := fieldsIn(op, ReviewFields); len(f) > 0 {
			return refuse(syncproto.CodeForbidden, "%s is written by central staff after review, not by a council's laptop", strings.Join(f, ", "))
		}
		return nil
	case syncproto.RoleCentral:
		if !councilKinds[op.Kind] {
			return refuse(syncproto.CodeForbidden, "central staff review appeals and events; they do not write %s records", op.Kind)
		}
		if cur == nil {
			return refuse(syncproto.CodeForbidden, "central staff review records a council sent; the server holds no %s %s", op.Kind, op.Record)
		}
		if op.Council != "" && op.Council != cur.Council {
			return refuse(syncproto.CodeWrongCouncil, "%s %s belongs to council %q, not %q", op.Kind, op.Record, cur.Council, op.Council)
		}
		if f := fieldsNotIn(op, ReviewFields); len(f) > 0 {
			return refuse(syncproto.CodeForbidden, "central staff write only the review fields (%s), not %s", strings.Join(ReviewFields, ", "), strings.Join(f, ", "))
		}
		return nil
	case syncproto.RoleTrainer:
		if op.Kind != KindMaterial {
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

// ReadScope is what device dev may pull.
func ReadScope(dev *store.Device) store.Scope {
	switch dev.Role {
	case syncproto.RoleCentral:
		return store.Scope{All: true}
	case syncproto.RoleSecretary:
		return store.Scope{Council: dev.Council, Global: true}
	case syncproto.RoleTrainer, syncproto.RoleAdmin:
		return store.Scope{Global: true}
	}
	return store.Scope{}
}

// CanRead reports whether dev may read an operation on a record of kind
// in council: the rule ReadScope implements with indexes, for checks.
func CanRead(dev *store.Device, kind, council string) bool {
	s := ReadScope(dev)
	switch {
	case s.All:
		return true
	case IsGlobal(kind):
		return s.Global
	}
	return s.Council != "" && s.Council == council
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
