package hostile

import (
	"fmt"
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
	attItem := map[string]any{"id": att, "name": "Токтогулов Эрмек", "group": "citizens"}
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

// pushBinary sends ops as a protocol-2 binary body.
func (l *laptop) pushBinary(ops ...syncproto.WireOp) reply {
	l.tg.t.Helper()
	raw, err := syncproto.AppendSyncRequest(nil, &syncproto.SyncRequest{Proto: 2, Device: l.id, Ops: ops})
	if err != nil {
		l.tg.t.Fatal(err)
	}
	return l.send(raw)
}

// An item with the right id and a member of the wrong type (a
// consultation's "on" a number; found by trust2's read-through: the
// server checked that an item is an object with its id, not its
// members), and a record's own field of the wrong type: every replica
// would read it as unreadable. The server refuses each as invalid,
// naming the field, over JSON and over the binary protocol, in a
// creation (judged on its encoding: createEncoded) and in an update,
// and takes the rest of the push; a member or a field the type does not
// know (a newer version's) is kept.
func TestMembersOfTheWrongTypeAreRefused(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	central := tg.enroll(domain.RoleCentral, "")
	appealID, eventID, cons, fu := domain.NewID(), domain.NewID(), domain.NewID(), domain.NewID()
	consItem := map[string]any{"id": cons, "on": "2026-12-01", "consultant": "Асанов Б.", "summary": "Жолдомо берилди"}
	fuItem := map[string]any{"id": fu, "action": "Жооп жазуу", "owner": "Айыл өкмөтү", "due": "2026-12-20", "status": "open"}
	sec.mustPush(sec.op(domain.KindAppeal, appealID, changeset.ActionCreate, appeal("NRN-ATB")),
		sec.op(domain.KindEvent, eventID, changeset.ActionCreate, map[string]any{"council": "NRN-ATB", "title": "Угуу"}))
	with := func(item map[string]any, member string, v any) map[string]any {
		out := map[string]any{}
		for k, x := range item {
			out[k] = x
		}
		out[member] = v
		return out
	}
	type bad struct {
		kind, id, field string
		value           any
	}
	cases := []bad{
		{domain.KindAppeal, appealID, "consultations/" + cons, with(consItem, "on", 5)},
		{domain.KindAppeal, appealID, "consultations/" + cons, with(consItem, "on", "2026-02-30")},
		{domain.KindAppeal, appealID, "consultations/" + cons, with(consItem, "summary", []any{"x"})},
		{domain.KindAppeal, appealID, "consultations/" + cons, with(consItem, "Consultant", map[string]any{})},
		{domain.KindEvent, eventID, "followups/" + fu, with(fuItem, "due", true)},
		{domain.KindEvent, eventID, "followups/" + fu, with(fuItem, "status", 1)},
		{domain.KindAppeal, appealID, "received_on", 5},
		{domain.KindAppeal, appealID, "extension_days", "three"},
		{domain.KindAppeal, appealID, "appellant", map[string]any{"name": []any{}}},
		{domain.KindEvent, eventID, "date", "yesterday"},
		{domain.KindEvent, eventID, "participants", map[string]any{"citizens": map[string]any{"female": 1.5}}},
	}
	for i, c := range cases {
		for _, binary := range []bool{false, true} {
			op := sec.op(c.kind, c.id, changeset.ActionUpdate, map[string]any{c.field: c.value})
			other := "summary"
			if c.kind == domain.KindEvent {
				other = "title"
			}
			next := sec.op(c.kind, c.id, changeset.ActionUpdate, map[string]any{other: fmt.Sprintf("түзөтүү %d %v", i, binary)})
			push := sec.push
			if binary {
				push = sec.pushBinary
			}
			r := push(op, next)
			if refusedCode(r, op.Seq) != syncproto.CodeInvalid || refusedCode(r, next.Seq) != "" || r.resp.Acked != next.Seq {
				t.Fatalf("%s %s as %v (binary %v), then an honest edit: %s, want the first refused as invalid and the second taken", c.kind, c.field, c.value, binary, r)
			}
			ref := r.resp.Refused[0]
			if len(ref.Fields) != 1 || ref.Fields[0].Field != c.field || ref.Fields[0].Code != domain.CodeFormat {
				t.Fatalf("%s %s as %v: refusal %+v, want the field named (%s)", c.kind, c.field, c.value, ref, domain.CodeFormat)
			}
		}
	}
	// An item that fits its type but not the domain's rules for its
	// values (domain.ItemFaults: Validate's): refused, with the domain's
	// code, over both protocols.
	long := make([]rune, domain.MaxShort+1)
	for i := range long {
		long[i] = 'ө'
	}
	for i, c := range []struct {
		kind, id, field string
		value           any
		code            string
	}{
		{domain.KindAppeal, appealID, "consultations/" + cons, with(consItem, "summary", ""), domain.CodeRequired},
		{domain.KindAppeal, appealID, "consultations/" + cons, with(consItem, "consultant", string(long)), domain.CodeTooLong},
		{domain.KindEvent, eventID, "followups/" + fu, with(fuItem, "status", "maybe"), domain.CodeUnknown},
		{domain.KindEvent, eventID, "followups/not-an-id", with(fuItem, "id", "not-an-id"), domain.CodeFormat},
	} {
		for _, binary := range []bool{false, true} {
			push := sec.push
			if binary {
				push = sec.pushBinary
			}
			op := sec.op(c.kind, c.id, changeset.ActionUpdate, map[string]any{c.field: c.value})
			r := push(op)
			if refusedCode(r, op.Seq) != syncproto.CodeInvalid {
				t.Fatalf("value case %d (binary %v): %s, want it refused as invalid", i, binary, r)
			}
			if ref := r.resp.Refused[0]; len(ref.Fields) != 1 || ref.Fields[0].Field != c.field || c.code != "" && ref.Fields[0].Code != c.code {
				t.Fatalf("value case %d (binary %v): refusal %+v, want %s named (%s)", i, binary, ref, c.field, c.code)
			}
		}
	}
	// Created with such an item, or such a field, and created then given
	// one in the same push (on the creation's encoding: mergeKept).
	for _, binary := range []bool{false, true} {
		push := sec.push
		if binary {
			push = sec.pushBinary
		}
		for field, v := range map[string]any{"consultations/" + cons: with(consItem, "on", 5), "received_on": 20261201} {
			withBad := appeal("NRN-ATB")
			withBad[field] = v
			created := sec.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, withBad)
			if r := push(created); refusedCode(r, created.Seq) != syncproto.CodeInvalid {
				t.Fatalf("an appeal created with %s = %v (binary %v): %s, want it refused as invalid", field, v, binary, r)
			}
			id := domain.NewID()
			made, later := sec.op(domain.KindAppeal, id, changeset.ActionCreate, appeal("NRN-ATB")), sec.op(domain.KindAppeal, id, changeset.ActionUpdate, map[string]any{field: v})
			if r := push(made, later); refusedCode(r, made.Seq) != "" || refusedCode(r, later.Seq) != syncproto.CodeInvalid {
				t.Fatalf("an appeal created, then given %s = %v in the same push (binary %v): %s, want the second refused as invalid", field, v, binary, r)
			}
		}
	}
	// What fits is taken, with members and fields the types do not know.
	newer := with(consItem, "mood", map[string]any{"any": []any{1}})
	ok := sec.op(domain.KindAppeal, appealID, changeset.ActionUpdate, map[string]any{"consultations/" + cons: newer, "a_newer_field": []any{1, "x"}})
	if r := sec.push(ok); refusedCode(r, ok.Seq) != "" {
		t.Fatalf("an item and a field of a newer version: %s", r)
	}
	fields, _ := tg.state(central, appealID)
	if got, want := fields["consultations/"+cons], string(marshal(t, newer)); got != want {
		t.Fatalf("the consultation on the server: %s, want %s", got, want)
	}
	if fields["received_on"] == "5" || fields["extension_days"] == `"three"` {
		t.Fatalf("a refused value reached the server's record: %v", fields)
	}
}
