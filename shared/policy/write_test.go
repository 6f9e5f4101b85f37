package policy

import (
	"encoding/json"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// A council's record stays with the council that made it: its council
// field and registration number say that council, and it is created once.
func TestCouncilFieldsFollowTheOperation(t *testing.T) {
	sec := Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	existing := &changeset.State{Kind: domain.KindAppeal, ID: "a", Council: "NRN-ATB", Created: 5}
	op := func(action changeset.Action, fields map[string]string) *changeset.Op {
		o := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: domain.KindAppeal, Record: "a", Council: "NRN-ATB", Action: action, Fields: map[string]changeset.Change{}}
		for k, v := range fields {
			o.Fields[k] = changeset.Change{Value: json.RawMessage(v)}
		}
		return o
	}
	cases := []struct {
		name string
		op   *changeset.Op
		cur  *changeset.State
		want syncproto.Code // "" allowed
	}{
		{"a new appeal", op(changeset.ActionCreate, map[string]string{"council": `"NRN-ATB"`, "reg_no": `"NRN-ATB-2026-K7QH-0001"`}), nil, ""},
		{"another council's field", op(changeset.ActionCreate, map[string]string{"council": `"OSH-ARA"`}), nil, syncproto.CodeWrongCouncil},
		{"another council's number", op(changeset.ActionCreate, map[string]string{"council": `"NRN-ATB"`, "reg_no": `"OSH-ARA-2026-K7QH-0001"`}), nil, syncproto.CodeWrongCouncil},
		{"a number that only starts alike", op(changeset.ActionCreate, map[string]string{"council": `"NRN-ATB"`, "reg_no": `"NRN-ATBX-2026-K7QH-0001"`}), nil, syncproto.CodeWrongCouncil},
		{"no council", op(changeset.ActionCreate, map[string]string{"summary": `"x"`}), nil, syncproto.CodeInvalid},
		{"a council that is not text", op(changeset.ActionUpdate, map[string]string{"council": `1`}), existing, syncproto.CodeWrongCouncil},
		{"an edit", op(changeset.ActionUpdate, map[string]string{"summary": `"x"`}), existing, ""},
		{"an edit moving it", op(changeset.ActionUpdate, map[string]string{"council": `"OSH-ARA"`}), existing, syncproto.CodeWrongCouncil},
		{"created again", op(changeset.ActionCreate, map[string]string{"council": `"NRN-ATB"`}), existing, syncproto.CodeInvalid},
		{"a deletion", op(changeset.ActionDelete, map[string]string{changeset.DeletedField: `true`}), existing, ""},
		{"an edit of a record not held", op(changeset.ActionUpdate, map[string]string{"summary": `"x"`}), nil, syncproto.CodeInvalid},
		{"an edit of a record held from edits alone", op(changeset.ActionUpdate, map[string]string{"summary": `"x"`}), &changeset.State{Kind: domain.KindAppeal, ID: "a", Council: "NRN-ATB"}, ""},
		{"a deletion of a record not held", op(changeset.ActionDelete, map[string]string{changeset.DeletedField: `true`}), nil, ""},
	}
	for _, c := range cases {
		r := CheckWrite(sec, c.op, c.cur)
		switch {
		case c.want == "" && r != nil:
			t.Errorf("%s: refused: %v", c.name, r)
		case c.want != "" && (r == nil || r.Code != c.want):
			t.Errorf("%s: %v, want %s", c.name, r, c.want)
		}
	}
}

// A council handles its web submissions by the handling fields alone; the
// server makes them, and nobody rewrites what the citizen sent.
func TestSubmissions(t *testing.T) {
	sec := Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	other := Device{Role: domain.RoleSecretary, Council: "OSH-ARA"}
	central := Device{Role: domain.RoleCentral}
	existing := &changeset.State{Kind: domain.KindSubmission, ID: "s", Council: "NRN-ATB", Created: 5}
	op := func(council string, action changeset.Action, fields map[string]string) *changeset.Op {
		o := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: domain.KindSubmission, Record: "s", Council: council, Action: action, Fields: map[string]changeset.Change{}}
		for k, v := range fields {
			o.Fields[k] = changeset.Change{Value: json.RawMessage(v)}
		}
		return o
	}
	handle := map[string]string{"status": `"registered"`, "appeal": `"0190a0b0-0000-7000-8000-000000000001"`, "handled_on": `"2026-12-01"`}
	cases := []struct {
		name string
		dev  Device
		op   *changeset.Op
		cur  *changeset.State
		want syncproto.Code // "" allowed
	}{
		{"registered by its council", sec, op("NRN-ATB", changeset.ActionUpdate, handle), existing, ""},
		{"refused with a note", sec, op("NRN-ATB", changeset.ActionUpdate, map[string]string{"status": `"refused"`, "refusal": `"spam"`, "note": `"x"`}), existing, ""},
		{"made by a laptop", sec, op("NRN-ATB", changeset.ActionCreate, map[string]string{"council": `"NRN-ATB"`, "text": `"x"`}), nil, syncproto.CodeForbidden},
		{"an update of one the server never made", sec, op("NRN-ATB", changeset.ActionUpdate, handle), nil, syncproto.CodeForbidden},
		{"the citizen's text rewritten", sec, op("NRN-ATB", changeset.ActionUpdate, map[string]string{"text": `"x"`, "status": `"refused"`}), existing, syncproto.CodeForbidden},
		{"the sender's name rewritten", sec, op("NRN-ATB", changeset.ActionUpdate, map[string]string{"appellant": `{"name":"x"}`}), existing, syncproto.CodeForbidden},
		{"deleted", sec, op("NRN-ATB", changeset.ActionDelete, map[string]string{changeset.DeletedField: `true`}), existing, syncproto.CodeForbidden},
		{"another council's", other, op("NRN-ATB", changeset.ActionUpdate, handle), existing, syncproto.CodeWrongCouncil},
		{"moved to another council", other, op("OSH-ARA", changeset.ActionUpdate, handle), existing, syncproto.CodeWrongCouncil},
		{"central staff", central, op("NRN-ATB", changeset.ActionUpdate, handle), existing, syncproto.CodeForbidden},
	}
	for _, c := range cases {
		r := CheckWrite(c.dev, c.op, c.cur)
		switch {
		case c.want == "" && r != nil:
			t.Errorf("%s: refused: %v", c.name, r)
		case c.want != "" && (r == nil || r.Code != c.want):
			t.Errorf("%s: %v, want %s", c.name, r, c.want)
		}
	}
	if !MayRead(sec, domain.KindSubmission, "NRN-ATB") || MayRead(other, domain.KindSubmission, "NRN-ATB") || !MayRead(central, domain.KindSubmission, "NRN-ATB") {
		t.Error("a council's web submissions are read by that council and central staff only")
	}
}
