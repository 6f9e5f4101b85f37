package hostile

import (
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// A field named in another case (or with a Kelvin sign for a k) is the
// same field to every replica, which decodes a record with encoding/json
// (a key matches a member by case folding): "PUBLISHED" is read as
// published, "Council" as the council. Found here: the rules of who
// writes what name fields exactly, and took them from a council's laptop
// (an appeal every laptop showed published, or counted under another
// council). Such a name is refused as invalid (policy.CheckField), over
// both protocols; the field by its own name is judged as before.
func TestFieldsInAnotherCaseAreThoseFields(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	id := domain.NewID()
	sec.mustPush(sec.op(domain.KindAppeal, id, changeset.ActionCreate, appeal("NRN-ATB")))
	for _, c := range []struct {
		field string
		value any
		code  syncproto.Code
	}{
		{"PUBLISHED", true, syncproto.CodeInvalid},
		{"Published_On", "2026-12-01", syncproto.CodeInvalid},
		{"review_NOTE", "x", syncproto.CodeInvalid},
		{"\u212aind", "x", ""}, // no member of an appeal: kept
		{"Council", "OSH-ARA", syncproto.CodeInvalid},
		{"Council", "NRN-ATB", syncproto.CodeInvalid},
		{"REG_NO", "OSH-ARA-2026-K7QH-0001", syncproto.CodeInvalid},
		{"Summary", "x", syncproto.CodeInvalid},
		{"published", true, syncproto.CodeForbidden},
		{"council", "OSH-ARA", syncproto.CodeWrongCouncil},
		{"summary", "x", ""},
	} {
		for _, binary := range []bool{false, true} {
			push := sec.push
			if binary {
				push = sec.pushBinary
			}
			op := sec.op(domain.KindAppeal, id, changeset.ActionUpdate, map[string]any{c.field: c.value})
			r := push(op)
			if got := refusedCode(r, op.Seq); got != c.code {
				t.Errorf("%s = %v from a council's laptop (binary %v): %s (%s), want %s", c.field, c.value, binary, r, got, c.code)
			}
			if r.status == 200 && r.resp.Acked >= op.Seq {
				sec.seq = r.resp.Acked
			}
		}
	}
}

// A collection written whole, as one field ("consultations": [...]), is
// read by every copy as the record's items when it has none of its own
// (changeset.Schema.FromFields), past what judges an item (its id, its
// values: policy.CheckItem). No laptop writes it so (Schema.ToFields
// writes an item a field): it is refused as invalid, over both
// protocols, in any case of its name; null (a removal of such a field an
// old version left) is taken.
func TestCollectionsAreWrittenItemByItem(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	appealID, eventID := domain.NewID(), domain.NewID()
	sec.mustPush(sec.op(domain.KindAppeal, appealID, changeset.ActionCreate, appeal("NRN-ATB")),
		sec.op(domain.KindEvent, eventID, changeset.ActionCreate, map[string]any{"council": "NRN-ATB", "title": "Угуу"}))
	bad := []any{map[string]any{"id": "not-an-id", "on": "2026-12-01", "consultant": "", "summary": ""}}
	for _, c := range []struct {
		kind, id, field string
		value           any
		code            syncproto.Code
	}{
		{domain.KindAppeal, appealID, "consultations", bad, syncproto.CodeInvalid},
		{domain.KindAppeal, appealID, "Consultations", bad, syncproto.CodeInvalid},
		{domain.KindEvent, eventID, "attendees", []any{map[string]any{"id": "x", "name": "", "group": "aliens"}}, syncproto.CodeInvalid},
		{domain.KindAppeal, appealID, "consultations", nil, ""},
	} {
		for _, binary := range []bool{false, true} {
			push := sec.push
			if binary {
				push = sec.pushBinary
			}
			op := sec.op(c.kind, c.id, changeset.ActionUpdate, map[string]any{c.field: c.value})
			r := push(op)
			if got := refusedCode(r, op.Seq); got != c.code {
				t.Errorf("%s %s = %v (binary %v): %s (%q), want %q", c.kind, c.field, c.value, binary, r, got, c.code)
			}
			if r.status == 200 && r.resp.Acked >= op.Seq {
				sec.seq = r.resp.Acked
			}
		}
	}
}
