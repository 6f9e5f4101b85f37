package hostile

import (
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// An item of a collection that is no item (found with 0907098: a merge
// written as text for a removed item's conflict, saved by a laptop, was
// kept by the server for an appeal or an event, whose item no replica
// could then read): the server refuses it as invalid, naming the field,
// takes the rest of the push, and the record keeps the item it had.
func TestItemsThatAreNotItemsAreRefused(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	central := tg.enroll(domain.RoleCentral, "")
	appealID, eventID, cons, att := domain.NewID(), domain.NewID(), domain.NewID(), domain.NewID()
	consItem := map[string]any{"id": cons, "on": "2026-12-01", "consultant": "Асанов Б.", "summary": "Жолдомо берилди"}
	attItem := map[string]any{"id": att, "name": "Токтогулов Эрмек"}
	create := appeal("NRN-ATB")
	create["consultations/"+cons] = consItem
	sec.mustPush(sec.op(domain.KindAppeal, appealID, changeset.ActionCreate, create),
		sec.op(domain.KindEvent, eventID, changeset.ActionCreate, map[string]any{"council": "NRN-ATB", "title": "Угуу", "attendees/" + att: attItem}))
	for _, rec := range []struct {
		kind, id, field, other string
		item                   map[string]any
	}{
		{domain.KindAppeal, appealID, "consultations/" + cons, "summary", consItem},
		{domain.KindEvent, eventID, "attendees/" + att, "title", attItem},
	} {
		for i, bad := range []any{"бириктирилди", 3, true, []any{}, []any{rec.item}, map[string]any{"note": "x"}, map[string]any{"id": "another"},
			map[string]any{"note": rec.item}} {
			op := sec.op(rec.kind, rec.id, changeset.ActionUpdate, map[string]any{rec.field: bad})
			next := sec.op(rec.kind, rec.id, changeset.ActionUpdate, map[string]any{rec.other: "түзөтүү " + string(rune('a'+i))})
			r := sec.push(op, next)
			if refusedCode(r, op.Seq) != syncproto.CodeInvalid || refusedCode(r, next.Seq) != "" || r.resp.Acked != next.Seq {
				t.Fatalf("%s %s as %v, then an honest edit: %s, want the first refused as invalid and the second taken", rec.kind, rec.field, bad, r)
			}
			ref := r.resp.Refused[0]
			if len(ref.Fields) != 1 || ref.Fields[0].Field != rec.field || ref.Fields[0].Code != domain.CodeFormat {
				t.Fatalf("%s %s as %v: refusal %+v, want the field named (%s)", rec.kind, rec.field, bad, ref, domain.CodeFormat)
			}
		}
		// The item removed, then written again, is taken.
		sec.mustPush(sec.op(rec.kind, rec.id, changeset.ActionUpdate, map[string]any{rec.field: nil}))
		again := sec.op(rec.kind, rec.id, changeset.ActionUpdate, map[string]any{rec.field: rec.item})
		if r := sec.push(again); refusedCode(r, again.Seq) != "" {
			t.Fatalf("%s %s written again: %s", rec.kind, rec.field, r)
		}
		fields, _ := tg.state(central, rec.id)
		if got, want := fields[rec.field], string(marshal(t, rec.item)); got != want {
			t.Fatalf("%s %s on the server: %s, want the item %s", rec.kind, rec.field, got, want)
		}
	}
	// An appeal created with such an item, and one created and given one
	// in the same push (judged on the creation's encoding: ingest's
	// createEncoded, then mergeKept).
	withText := appeal("NRN-ATB")
	withText["consultations/"+cons] = "бириктирилди"
	created := sec.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, withText)
	if r := sec.push(created); refusedCode(r, created.Seq) != syncproto.CodeInvalid {
		t.Fatalf("an appeal created with a text item: %s, want it refused as invalid", r)
	}
	id := domain.NewID()
	made, number := sec.op(domain.KindAppeal, id, changeset.ActionCreate, appeal("NRN-ATB")), sec.op(domain.KindAppeal, id, changeset.ActionUpdate, map[string]any{"consultations/" + cons: 3})
	if r := sec.push(made, number); refusedCode(r, made.Seq) != "" || refusedCode(r, number.Seq) != syncproto.CodeInvalid {
		t.Fatalf("an appeal created, then given a number as an item in the same push: %s, want the second refused as invalid", r)
	}
}
