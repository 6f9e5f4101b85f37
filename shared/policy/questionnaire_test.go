package policy

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/xlsform"
)

func needsDefinition(t testing.TB) (*changeset.State, string) {
	t.Helper()
	data, err := os.ReadFile("../xlsform/testdata/council_needs.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	f, err := xlsform.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	def, _ := json.Marshal(f)
	id := domain.QuestionnaireID(f.ID, f.Version)
	op := &changeset.Op{Device: "central", Seq: 1, HLC: 5, Kind: domain.KindQuestionnaire, Record: id, Action: changeset.ActionCreate,
		Fields: map[string]changeset.Change{}}
	for k, v := range map[string]any{"form_id": f.ID, "version": f.Version, "published_on": "2026-03-01", "definition": json.RawMessage(def)} {
		b, _ := json.Marshal(v)
		op.Fields[k] = changeset.Change{Value: b}
	}
	st := &changeset.State{}
	if _, _, err := st.Apply(op); err != nil {
		t.Fatal(err)
	}
	if r := CheckRecord(st, caldate.MustParse("2026-03-12")); r != nil {
		t.Fatalf("the definition: %v", r)
	}
	return st, id
}

// Two laptops of a council answer different questions of one response at
// once: the server merges them per question, and refuses an operation
// only for faults of the questions it wrote. Here one laptop lowers the
// number of members while the other, unaware, had given the number of
// women: the merged response breaks women's constraint, which is the
// fault of neither operation alone; an operation that writes too many
// women itself is refused.
func TestCheckResponsePerQuestion(t *testing.T) {
	def, _ := needsDefinition(t)
	today := caldate.MustParse("2026-03-12")
	id := domain.NewID()
	var hlc uint64 = 10
	op := func(dev string, action changeset.Action, fields map[string]any) *changeset.Op {
		hlc++
		o := &changeset.Op{Device: dev, Seq: hlc, Kind: domain.KindResponse, Record: id, Council: "NRN-ATB", Action: action, Fields: map[string]changeset.Change{}}
		for k, v := range fields {
			b, _ := json.Marshal(v)
			if strings.HasPrefix(k, "answers/") {
				b, _ = json.Marshal(map[string]any{"id": strings.TrimPrefix(k, "answers/"), "value": v})
			}
			o.Fields[k] = changeset.Change{Value: b}
		}
		return o
	}
	st := &changeset.State{}
	create := op("a", changeset.ActionCreate, map[string]any{"council": "NRN-ATB", "form_id": "council_needs_2026", "version": "2026031201", "filled_on": "2026-03-12",
		"answers/respondent_name": "Асанова", "answers/gender": "female", "answers/age": 41, "answers/role": "chair", "answers/oblast": "KG-N",
		"answers/district": "KG-N-ATB", "answers/members": 15, "answers/trained": "no", "answers/needed_topics": []string{"law"}})
	create.HLC = 100
	if _, _, err := st.Apply(create); err != nil {
		t.Fatal(err)
	}
	if r := CheckResponse(create, st, def, today); r != nil {
		t.Fatalf("a valid response: %v", r)
	}
	women := op("a", changeset.ActionUpdate, map[string]any{"answers/women": 10})
	women.HLC = 200
	members := op("b", changeset.ActionUpdate, map[string]any{"answers/members": 5})
	members.HLC = 201
	for _, o := range []*changeset.Op{women, members} {
		if _, _, err := st.Apply(o); err != nil {
			t.Fatal(err)
		}
	}
	if r := CheckResponse(members, st, def, today); r != nil {
		t.Fatalf("the operation that wrote members alone is refused for women: %v", r)
	}
	tooMany := op("b", changeset.ActionUpdate, map[string]any{"answers/women": 6})
	tooMany.HLC = 300
	next := st.Clone()
	if _, _, err := next.Apply(tooMany); err != nil {
		t.Fatal(err)
	}
	r := CheckResponse(tooMany, next, def, today)
	if r == nil || r.Code != syncproto.CodeInvalid || len(r.Fields) != 1 || r.Fields[0].Field != "answers/women" || r.Fields[0].Code != domain.CodeRange {
		t.Fatalf("women over members, written by the operation: %+v", r)
	}
	if r := CheckResponse(tooMany, next, nil, today); r == nil || !strings.Contains(r.Message, "not published") {
		t.Fatalf("without its definition: %v", r)
	}
	if got := ResponseDefinition(st); got != domain.QuestionnaireID("council_needs_2026", "2026031201") {
		t.Fatalf("ResponseDefinition %q", got)
	}
}

// Only central staff publish a definition, for every council, once.
func TestQuestionnaireWrites(t *testing.T) {
	_, id := needsDefinition(t)
	op := func(council string, action changeset.Action) *changeset.Op {
		return &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: domain.KindQuestionnaire, Record: id, Council: council, Action: action,
			Fields: map[string]changeset.Change{"form_id": {Value: json.RawMessage(`"council_needs_2026"`)}}}
	}
	existing := &changeset.State{Created: 5}
	cases := []struct {
		name string
		dev  Device
		op   *changeset.Op
		cur  *changeset.State
		want syncproto.Code
	}{
		{"central staff publish", Device{Role: domain.RoleCentral}, op("", changeset.ActionCreate), nil, ""},
		{"for one council", Device{Role: domain.RoleCentral}, op("NRN-ATB", changeset.ActionCreate), nil, syncproto.CodeInvalid},
		{"changed after", Device{Role: domain.RoleCentral}, op("", changeset.ActionUpdate), existing, syncproto.CodeForbidden},
		{"published twice", Device{Role: domain.RoleCentral}, op("", changeset.ActionCreate), existing, syncproto.CodeForbidden},
		{"a secretary", Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}, op("NRN-ATB", changeset.ActionCreate), nil, syncproto.CodeForbidden},
		{"a trainer", Device{Role: domain.RoleTrainer}, op("", changeset.ActionCreate), nil, syncproto.CodeForbidden},
	}
	for _, c := range cases {
		r := CheckWrite(c.dev, c.op, c.cur)
		var got syncproto.Code
		if r != nil {
			got = r.Code
		}
		if got != c.want {
			t.Errorf("%s: %v, want %q", c.name, r, c.want)
		}
	}
	if !IsGlobal(domain.KindQuestionnaire) || IsGlobal(domain.KindResponse) {
		t.Error("definitions are read by every device, responses by their council and central staff")
	}
}
