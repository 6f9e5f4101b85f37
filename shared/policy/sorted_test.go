package policy

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// sortedCases are operations of several fields, some of which do not fit
// (two of them, or more: the first by name is refused), of each kind.
func sortedCases() []*changeset.Op {
	const item = "0190a5c2-0000-7000-8000-00000000c001"
	var ops []*changeset.Op
	add := func(kind string, action changeset.Action, fields map[string]string) {
		ops = append(ops, &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: kind, Record: "r", Council: "NRN-ATB", Action: action, Fields: changes(fields)})
	}
	for _, kind := range []string{domain.KindAppeal, domain.KindEvent, domain.KindResponse, domain.KindCouncil, domain.KindMaterial, domain.KindGrant, "no such kind"} {
		for _, action := range []changeset.Action{changeset.ActionCreate, changeset.ActionUpdate} {
			add(kind, action, map[string]string{"council": `"NRN-ATB"`, "summary": `"x"`, "reg_no": `"NRN-ATB-1"`})
			add(kind, action, map[string]string{"council": `"NRN-ATB"`, "received_on": `"вчера"`, "summary": `5`, "PUBLISHED": `true`})
			add(kind, action, map[string]string{"zz": `1`, "received_on": `"2026-12-01"`, "consultations": `[]`, "attachments": `[{"id":"x"}]`})
			add(kind, action, map[string]string{"consultations/" + item: `{"id":"` + item + `","on":5}`, "attendees/" + item: `{"id":"` + item + `","group":"aliens"}`, "a": `{}`})
			add(kind, action, map[string]string{"_deleted": `true`, "a_newer_field": `{"x":1}`, "received_on": `null`, "consultations": `null`})
			add(kind, action, map[string]string{"followups/" + item: `{"id":"` + item + `","status":"maybe"}`, "materials/m1": `{"id":"m1"}`, "date": `"2026-13-01"`})
			add(kind, action, map[string]string{"Received_On": `5`, "received_on": `"2026-12-01"`, "extension_days": `2.5`, "appellant": `{"name":7}`})
		}
	}
	return ops
}

// CheckFieldsSorted is CheckFields: the same refusal (the first field by
// name that does not fit) or none, whether its fields are gathered from
// the operation, from none, or from another operation's (not used then).
func TestCheckFieldsSorted(t *testing.T) {
	cases := sortedCases()
	var s, other changeset.SortedFields
	other.Sort(&changeset.Op{Fields: changes(map[string]string{"summary": `5`})})
	for _, op := range cases {
		want := CheckFields(op)
		s.Sort(op)
		for name, got := range map[string]*Refusal{"gathered": CheckFieldsSorted(op, &s), "none": CheckFieldsSorted(op, nil), "another's": CheckFieldsSorted(op, &other)} {
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %v, fields %s: CheckFieldsSorted = %+v, CheckFields = %+v", op.Kind, op.Fields, name, got, want)
			}
		}
		if _, err := s.ValidateBound(op); err == nil {
			if got := CheckFieldsSorted(op, &s); !reflect.DeepEqual(got, want) {
				t.Errorf("%s %v, gathered by ValidateBound: %+v, CheckFields = %+v", op.Kind, op.Fields, got, want)
			}
		}
	}
}

// CheckWriteJudged with the fields judged before (JudgeFields) is
// CheckWrite: who writes first, then the fields, for every kind of
// writer; a zero FieldsJudged judges the fields then.
func TestCheckWriteJudged(t *testing.T) {
	devs := []Device{{Role: domain.RoleSecretary, Council: "NRN-ATB"}, {Role: domain.RoleSecretary, Council: "OSH-KRS"},
		{Role: domain.RoleCentral}, {Role: domain.RoleTrainer}, {Role: domain.RoleAdmin}, {Role: "nobody"}}
	var s changeset.SortedFields
	refused := 0
	for _, op := range sortedCases() {
		for _, cur := range []*changeset.State{nil, {Kind: op.Kind, ID: "r", Council: "NRN-ATB", Created: 5}} {
			for _, dev := range devs {
				want := CheckWrite(dev, op, cur)
				s.Sort(op)
				if got := CheckWriteJudged(dev, op, cur, JudgeFields(op, &s)); !reflect.DeepEqual(got, want) {
					t.Errorf("%+v writes %s %v on %+v: CheckWriteJudged = %+v, CheckWrite = %+v", dev, op.Kind, op.Fields, cur, got, want)
				}
				if got := CheckWriteJudged(dev, op, cur, FieldsJudged{}); !reflect.DeepEqual(got, want) {
					t.Errorf("%+v writes %s %v on %+v, fields not judged: %+v, CheckWrite = %+v", dev, op.Kind, op.Fields, cur, got, want)
				}
				if want != nil {
					refused++
				}
			}
		}
	}
	if refused == 0 {
		t.Fatal("no case refused")
	}
}

// FuzzCheckFieldsSorted: any fields, CheckFieldsSorted judges as
// CheckFields does.
func FuzzCheckFieldsSorted(f *testing.F) {
	kinds := make([]string, 0, len(recordTypes))
	for k := range recordTypes {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for i, op := range sortedCases() {
		var args []string
		for name, c := range op.Fields {
			args = append(args, name, string(c.Value))
		}
		for len(args) < 6 {
			args = append(args, "", "")
		}
		f.Add(uint8(i), args[0], args[1], args[2], args[3], args[4], args[5])
	}
	f.Fuzz(func(t *testing.T, which uint8, f1, v1, f2, v2, f3, v3 string) {
		op := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: kinds[int(which)%len(kinds)], Record: "r", Council: "NRN-ATB",
			Action: changeset.ActionUpdate, Fields: map[string]changeset.Change{}}
		for _, fv := range [][2]string{{f1, v1}, {f2, v2}, {f3, v3}} {
			if fv[0] != "" && json.Valid([]byte(fv[1])) {
				op.Fields[fv[0]] = changeset.Change{Value: json.RawMessage(fv[1])}
			}
		}
		var s changeset.SortedFields
		s.Sort(op)
		if got, want := CheckFieldsSorted(op, &s), CheckFields(op); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s %v: CheckFieldsSorted = %+v, CheckFields = %+v", op.Kind, op.Fields, got, want)
		}
	})
}
