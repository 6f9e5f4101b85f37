package hostile

import (
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// Finding 7: an operation for a record of the secretary's own council was
// accepted with the record's council field set to another council (and a
// registration number of that council), falsifying central lists and
// statistics. A record's council is fixed at its creation and must match
// the operation's.
func TestRecordCannotBeFiledUnderAnotherCouncil(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	central := tg.enroll(domain.RoleCentral, "")
	id := domain.NewID()
	sec.mustPush(sec.op(domain.KindAppeal, id, changeset.ActionCreate, appeal("NRN-ATB")))

	forged := appeal("NRN-ATB")
	forged["council"] = "OSH-ARA"
	forgedRegNo := appeal("NRN-ATB")
	forgedRegNo["reg_no"] = "OSH-ARA-2026-K7QH-0001"
	noCouncil := appeal("NRN-ATB")
	delete(noCouncil, "council")
	cases := []struct {
		name string
		op   syncproto.WireOp
		want syncproto.Code
	}{
		{"a new appeal with another council's field", sec.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, forged), syncproto.CodeWrongCouncil},
		{"a new appeal with another council's number", sec.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, forgedRegNo), syncproto.CodeWrongCouncil},
		{"a new event with another council's field", sec.op(domain.KindEvent, domain.NewID(), changeset.ActionCreate, map[string]any{"council": "OSH-ARA", "title": "x"}), syncproto.CodeWrongCouncil},
		{"a new appeal without a council", sec.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, noCouncil), syncproto.CodeInvalid},
		{"an edit moving an appeal", sec.op(domain.KindAppeal, id, changeset.ActionUpdate, map[string]any{"council": "OSH-ARA"}), syncproto.CodeWrongCouncil},
		{"an edit renumbering it", sec.op(domain.KindAppeal, id, changeset.ActionUpdate, map[string]any{"reg_no": "OSH-ARA-2026-K7QH-0009"}), syncproto.CodeWrongCouncil},
		{"a council that is not text", sec.op(domain.KindAppeal, id, changeset.ActionUpdate, map[string]any{"council": []string{"NRN-ATB"}}), syncproto.CodeWrongCouncil},
		{"creating it again", sec.op(domain.KindAppeal, id, changeset.ActionCreate, appeal("NRN-ATB")), syncproto.CodeInvalid},
	}
	for _, c := range cases {
		r := sec.push(c.op)
		if got := refusedCode(r, c.op.Seq); got != c.want {
			t.Errorf("%s: %s (refused %q), want %s", c.name, r, got, c.want)
		}
	}
	// An honest edit of the same appeal still goes through.
	ok := sec.op(domain.KindAppeal, id, changeset.ActionUpdate, map[string]any{"summary": "түзөтүү", "council": "NRN-ATB"})
	if r := sec.push(ok); refusedCode(r, ok.Seq) != "" {
		t.Fatalf("an honest edit: %s", r)
	}
	ops, err := central.pullAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		if v := string(o.Fields["council"].V); v != "" && v != `"NRN-ATB"` && o.Kind != domain.KindCouncil {
			t.Fatalf("central staff received %s %s filed under %s", o.Kind, o.Record, v)
		}
	}
}

// A change of a record the centre holds nothing of (its creation refused
// or never sent, or an id made up) is refused, not taken as a record of
// the changed fields alone; in one change set with its creation first, or
// after it, the same change is taken. Nothing of the refused one reaches
// central staff.
func TestChangeOfARecordNotHeldIsRefused(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	central := tg.enroll(domain.RoleCentral, "")
	nowhere := domain.NewID()
	orphan := sec.op(domain.KindAppeal, nowhere, changeset.ActionUpdate, map[string]any{"summary": "жетим өзгөртүү"})
	if r := sec.push(orphan); refusedCode(r, orphan.Seq) != syncproto.CodeInvalid {
		t.Fatalf("a change of a record the server does not hold: %s, want refused %s", r, syncproto.CodeInvalid)
	}
	// A creation refused (a review note a secretary may not write), then
	// a change of it: both refused.
	withNote := appeal("NRN-ATB")
	withNote["review_note"] = "текшерилди"
	refusedID := domain.NewID()
	create := sec.op(domain.KindAppeal, refusedID, changeset.ActionCreate, withNote)
	edit := sec.op(domain.KindAppeal, refusedID, changeset.ActionUpdate, map[string]any{"summary": "оңдолду"})
	r := sec.push(create, edit)
	if refusedCode(r, create.Seq) != syncproto.CodeForbidden || refusedCode(r, edit.Seq) != syncproto.CodeInvalid {
		t.Fatalf("a refused creation and its change: %s", r)
	}
	// Created and changed in one change set: both taken.
	id := domain.NewID()
	c2 := sec.op(domain.KindAppeal, id, changeset.ActionCreate, appeal("NRN-ATB"))
	e2 := sec.op(domain.KindAppeal, id, changeset.ActionUpdate, map[string]any{"summary": "түзөтүү"})
	if r := sec.push(c2, e2); refusedCode(r, c2.Seq) != "" || refusedCode(r, e2.Seq) != "" {
		t.Fatalf("a creation and its change in one change set: %s", r)
	}
	ops, err := central.pullAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		if o.Record == nowhere || o.Record == refusedID {
			t.Fatalf("central staff received %s %s %s, refused", o.Kind, o.Record, o.Action)
		}
	}
}
