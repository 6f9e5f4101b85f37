package policy

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// An item of a collection is written as null (removed) or an object with
// its id, by every device that may write it, for every kind with
// collections: anything else is refused as invalid, naming the field. A
// field named with the separator that is no collection's item keeps
// whatever value it is given, as before.
func TestItemsAreItems(t *testing.T) {
	const item = "0190a5c2-0000-7000-8000-00000000c001"
	sec := Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	central := Device{Role: domain.RoleCentral}
	text, _ := json.Marshal("бириктирилди")
	bad := map[string]string{
		"text": string(text), "a number": `3`, "true": `true`, "an array": `[]`, "an array of the item": `[{"id":"` + item + `"}]`,
		"an object without id": `{"note":"x"}`, "an object with another id": `{"id":"another"}`,
		"an object with the id as a number": `{"id":1}`, "an object with the id inside": `{"note":{"id":"` + item + `"}}`,
	}
	// An item of each collection with what the domain asks of it (and a
	// member no type has: kept).
	members := map[string]string{
		"consultations": `,"on":"2026-12-01","consultant":"Асанов Б.","summary":"Жолдомо берилди"`,
		"attachments":   `,"name":"акт.pdf","size":0,"sha256":"` + strings.Repeat("ab", 32) + `","chunks":[]`,
		"followups":     `,"action":"Жооп жазуу","owner":"Айыл өкмөтү","due":"2026-12-20","status":"open"`,
		"attendees":     `,"name":"Токтогулов Эрмек","group":"citizens"`,
	}
	goodOf := func(coll string) map[string]string {
		return map[string]string{"null": `null`, "the item": `{"id":"` + item + `","note":"кеңешүү"` + members[coll] + `}`,
			"the item, spaced": ` { "id" : "` + item + `" ` + members[coll] + ` } `}
	}
	type writer struct {
		dev Device
		cur *changeset.State
	}
	council := func(kind string) writer {
		return writer{sec, &changeset.State{Kind: kind, ID: "r", Council: "NRN-ATB", Created: 5}}
	}
	comp := &changeset.State{}
	if _, _, err := comp.Apply(newCompetition()); err != nil {
		t.Fatal(err)
	}
	writers := map[string]map[string]writer{
		domain.KindAppeal:   {"": council(domain.KindAppeal)},
		domain.KindEvent:    {"": council(domain.KindEvent)},
		domain.KindResponse: {"": council(domain.KindResponse)},
		domain.KindGrant: {
			"":                       {central, &changeset.State{Kind: domain.KindGrant, ID: "r", Council: "NRN-ATB", Created: 5}},
			domain.GrantReportFields: council(domain.KindGrant),
		},
		// A juror's score is judged by its value first (ownScore): one
		// that is no score is not that juror's, and refused so.
		domain.KindCompetition: {"": {central, comp}, domain.CompetitionScoreFields: {}},
	}
	n := 0
	for kind, byColl := range writers {
		if len(Collections(kind)) == 0 {
			t.Fatalf("%s has no collections", kind)
		}
		for _, coll := range Collections(kind) {
			w, ok := byColl[coll]
			if !ok {
				w = byColl[""]
			}
			if w.cur == nil {
				continue
			}
			field := coll + changeset.ItemSep + item
			council := w.cur.Council
			write := func(value string) *Refusal {
				op := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: kind, Record: w.cur.ID, Council: council, Action: changeset.ActionUpdate,
					Fields: map[string]changeset.Change{field: {Value: json.RawMessage(value)}, "note": {Value: json.RawMessage(`"x"`)}}}
				if kind == domain.KindGrant && coll == domain.GrantReportFields {
					delete(op.Fields, "note") // a council writes only its reports
				}
				if kind == domain.KindCompetition {
					delete(op.Fields, "note")
				}
				return CheckWrite(w.dev, op, w.cur)
			}
			for name, v := range goodOf(coll) {
				if r := write(v); r != nil {
					t.Errorf("%s %s as %s: refused: %v", kind, field, name, r)
				}
			}
			for name, v := range bad {
				r := write(v)
				if r == nil || r.Code != syncproto.CodeInvalid || len(r.Fields) != 1 || r.Fields[0].Field != field || r.Fields[0].Code != domain.CodeFormat ||
					!strings.Contains(r.Message, field) || !strings.Contains(r.Message, "null (removed) or an object whose id is") {
					t.Errorf("%s %s as %s (%s): %+v, want it refused as invalid, naming the field", kind, field, name, v, r)
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no item checked")
	}
	// An item whose id is a number's digits is still written as text.
	op := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: domain.KindAppeal, Record: "r", Council: "NRN-ATB", Action: changeset.ActionUpdate,
		Fields: map[string]changeset.Change{"consultations/7": {Value: json.RawMessage(`{"id":7}`)}}}
	if r := CheckWrite(sec, op, council(domain.KindAppeal).cur); r == nil || r.Code != syncproto.CodeInvalid {
		t.Errorf("item 7 as {\"id\":7}: %v, want it refused", r)
	}
	op.Fields["consultations/7"] = changeset.Change{Value: json.RawMessage(`{"id":"7"}`)}
	if r := CheckWrite(sec, op, council(domain.KindAppeal).cur); r == nil || r.Code != syncproto.CodeInvalid || strings.Contains(r.Message, "null (removed)") {
		t.Errorf("item 7 as {\"id\":\"7\"}: %v, want it refused for its values (an id is a UUID), not as no item", r)
	}
	// Who may write comes first: another council's laptop is told so.
	other := Device{Role: domain.RoleSecretary, Council: "OSH-ARA"}
	op.Fields["consultations/7"] = changeset.Change{Value: text}
	if r := CheckWrite(other, op, council(domain.KindAppeal).cur); r == nil || r.Code != syncproto.CodeWrongCouncil {
		t.Errorf("another council's text item: %v, want wrong council", r)
	}
	// Two items that are not: the same refusal whichever the map gives first.
	op.Fields["consultations/8"] = changeset.Change{Value: json.RawMessage(`8`)}
	for range 20 {
		if r := CheckWrite(sec, op, council(domain.KindAppeal).cur); r == nil || r.Fields[0].Field != "consultations/7" {
			t.Fatalf("two items that are not: %+v, want consultations/7 named", r)
		}
	}
	// A field named with the separator that is no collection's item is
	// judged as before (mayWrite, the rules without CheckItem).
	for _, c := range []struct {
		dev   Device
		kind  string
		field string
		cur   *changeset.State
	}{
		{sec, domain.KindAppeal, "summary/x", council(domain.KindAppeal).cur},
		{sec, domain.KindMaterialCopy, "chunks/x", nil},
		{Device{Role: domain.RoleAdmin}, domain.KindCouncil, "names/ky", nil},
		{Device{Role: domain.RoleTrainer}, domain.KindMaterial, "sections/1", nil},
	} {
		if Collections(c.kind) != nil && c.kind != domain.KindAppeal {
			t.Fatalf("%s has collections", c.kind)
		}
		op := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: c.kind, Record: "r", Council: c.dev.Council, Action: changeset.ActionUpdate,
			Fields: map[string]changeset.Change{c.field: {Value: text}}}
		if got, was := CheckWrite(c.dev, op, c.cur), mayWrite(c.dev, op, c.cur); fmt.Sprint(got) != fmt.Sprint(was) {
			t.Errorf("%s %s as text: %v, before %v", c.kind, c.field, got, was)
		}
	}
}

func TestItemSep(t *testing.T) {
	if changeset.ItemSep != string(rune(itemSep)) {
		t.Fatalf("itemSep %q is not changeset.ItemSep %q", itemSep, changeset.ItemSep)
	}
}

// CheckItem judges one field as CheckWrite does (records.Resolve asks it
// of a conflict's merge before saving it).
func TestCheckItem(t *testing.T) {
	if r := CheckItem(domain.KindEvent, "e", "attendees/a1", []byte(`"x"`)); r == nil || r.Code != syncproto.CodeInvalid {
		t.Errorf("text for an attendee: %v", r)
	}
	const a1 = "0190a5c2-0000-7000-8000-0000000000a1"
	for _, c := range [][3]string{{domain.KindEvent, "attendees/" + a1, `{"id":"` + a1 + `","name":"Асанова Б.","group":"citizens"}`}, {domain.KindEvent, "attendees/a1", `null`},
		{domain.KindEvent, "summary", `"x"`}, {domain.KindCouncil, "attendees/a1", `"x"`}} {
		if r := CheckItem(c[0], "r", c[1], []byte(c[2])); r != nil {
			t.Errorf("%s %s as %s: %v", c[0], c[1], c[2], r)
		}
	}
}

// BenchmarkCheckWrite judges a council's writes of an appeal as a push
// does: its creation (twenty fields, no item), and an update adding two
// consultations, by the rules of who writes what alone (mayWrite: what
// CheckWrite was before CheckItem), by CheckWrite, and as a server does,
// its fields judged on the walk in name order that checked the
// operation's form (judged: JudgeFields, then CheckWriteJudged).
func BenchmarkCheckWrite(b *testing.B) {
	sec := Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	const c1, c2 = "0190a5c2-0000-7000-8000-00000000c001", "0190a5c2-0000-7000-8000-00000000c002"
	create := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: domain.KindAppeal, Record: "0190a5c2-0000-7000-8000-0000000000a1", Council: "NRN-ATB",
		Action: changeset.ActionCreate, Fields: changes(map[string]string{
			"age_group": `"60_plus"`, "appellant": `{"address":"Ак-Суу","name":"Асанова Бүбүсара","phone":"+996 768 000042"}`,
			"category": `"health"`, "addressee": `"Аймактык ооруканасы"`, "topic": `"health"`, "channel": `"social_network"`, "council": `"NRN-ATB"`,
			"description": `"Ак-Суу айылындагы фельдшердик-акушердик пунктта бир айдан бери зарыл дарылар жок, бейтаптар райборборго барууга аргасыз."`,
			"district":    `"KG-N-ATB"`, "gender": `"female"`, "language": `"ky"`, "oblast": `"KG-N"`, "received_on": `"2025-09-14"`,
			"reg_no": `"NRN-ATB-2025-QK5X-0042"`, "registered_on": `"2025-09-14"`, "status": `"received"`, "summary": `"ФАПта дары-дармек жок"`,
			"village": `"Ак-Суу"`, "vulnerable": `["low_income"]`,
		})}
	existing := &changeset.State{Kind: domain.KindAppeal, ID: create.Record, Council: "NRN-ATB", Created: 5}
	update := &changeset.Op{Device: "d", Seq: 2, HLC: 10, Kind: domain.KindAppeal, Record: create.Record, Council: "NRN-ATB",
		Action: changeset.ActionUpdate, Fields: changes(map[string]string{
			"status":              `"in_progress"`,
			"consultations/" + c1: `{"at_status":"received","consultant":"Асанов Б.","id":"` + c1 + `","on":"2025-09-15","summary":"Райондук ооруканага жолдомо берилди."}`,
			"consultations/" + c2: `{"at_status":"in_progress","consultant":"Асанов Б.","id":"` + c2 + `","on":"2025-09-20","summary":"Дарылар боюнча маалымат берилди."}`,
		})}
	// The fields in name order, as the server's check of an operation's
	// form gathered them (changeset.SortedFields.ValidateBound), before.
	sorted := map[*changeset.Op]*changeset.SortedFields{create: {}, update: {}}
	for op, s := range sorted {
		s.Sort(op)
	}
	for _, w := range []struct {
		name string
		op   *changeset.Op
		cur  *changeset.State
	}{{"create", create, nil}, {"items", update, existing}} {
		for _, j := range []struct {
			name  string
			judge func(Device, *changeset.Op, *changeset.State) *Refusal
		}{{"old", mayWrite}, {"new", CheckWrite}, {"judged", func(dev Device, op *changeset.Op, cur *changeset.State) *Refusal {
			return CheckWriteJudged(dev, op, cur, JudgeFields(op, sorted[op]))
		}}} {
			b.Run(w.name+"/"+j.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if r := j.judge(sec, w.op, w.cur); r != nil {
						b.Fatal(r)
					}
				}
			})
		}
	}
}
