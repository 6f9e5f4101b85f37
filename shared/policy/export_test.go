package policy

import (
	"encoding/json"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// The record of an export is written once by the laptop that exported: a
// council's under its council, central staff's under none; nobody changes
// it after, and trainers and administrators make none.
func TestExportRecords(t *testing.T) {
	sec := Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	central := Device{Role: domain.RoleCentral}
	trainer := Device{Role: domain.RoleTrainer}
	admin := Device{Role: domain.RoleAdmin}
	existing := &changeset.State{Kind: domain.KindExport, ID: "x", Council: "NRN-ATB", Created: 5}
	op := func(council string, action changeset.Action, fields map[string]string) *changeset.Op {
		o := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: domain.KindExport, Record: "x", Council: council, Action: action, Fields: map[string]changeset.Change{}}
		for k, v := range fields {
			o.Fields[k] = changeset.Change{Value: json.RawMessage(v)}
		}
		return o
	}
	made := map[string]string{"format": `"xlsx"`, "records": `12`}
	withCouncil := func(c string) map[string]string {
		m := map[string]string{"council": c}
		for k, v := range made {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name string
		dev  Device
		op   *changeset.Op
		cur  *changeset.State
		want syncproto.Code // "" allowed
	}{
		{"a council's export", sec, op("NRN-ATB", changeset.ActionCreate, withCouncil(`"NRN-ATB"`)), nil, ""},
		{"another council's", sec, op("OSH-ARA", changeset.ActionCreate, withCouncil(`"OSH-ARA"`)), nil, syncproto.CodeWrongCouncil},
		{"its field says another council", sec, op("NRN-ATB", changeset.ActionCreate, withCouncil(`"OSH-ARA"`)), nil, syncproto.CodeWrongCouncil},
		{"no council field", sec, op("NRN-ATB", changeset.ActionCreate, made), nil, syncproto.CodeInvalid},
		{"changed after", sec, op("NRN-ATB", changeset.ActionUpdate, map[string]string{"records": `0`}), existing, syncproto.CodeForbidden},
		{"deleted after", sec, op("NRN-ATB", changeset.ActionDelete, map[string]string{changeset.DeletedField: `true`}), existing, syncproto.CodeForbidden},
		{"made twice", sec, op("NRN-ATB", changeset.ActionCreate, withCouncil(`"NRN-ATB"`)), existing, syncproto.CodeForbidden},
		{"central staff's export", central, op("", changeset.ActionCreate, made), nil, ""},
		{"central staff's under a council", central, op("NRN-ATB", changeset.ActionCreate, withCouncil(`"NRN-ATB"`)), nil, syncproto.CodeWrongCouncil},
		{"central staff changing a council's", central, op("NRN-ATB", changeset.ActionUpdate, map[string]string{"records": `0`}), existing, syncproto.CodeWrongCouncil},
		{"a trainer's", trainer, op("", changeset.ActionCreate, made), nil, syncproto.CodeForbidden},
		{"an administrator's", admin, op("", changeset.ActionCreate, made), nil, syncproto.CodeForbidden},
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
	// Who reads them: the council and central staff.
	for _, c := range []struct {
		dev     Device
		council string
		want    bool
	}{{sec, "NRN-ATB", true}, {sec, "OSH-ARA", false}, {sec, "", false}, {central, "", true}, {central, "NRN-ATB", true}, {trainer, "", false}} {
		if got := MayRead(c.dev, domain.KindExport, c.council); got != c.want {
			t.Errorf("MayRead(%s of %q, export of %q) = %v", c.dev.Role, c.dev.Council, c.council, got)
		}
	}
}

func TestMayExportPersonal(t *testing.T) {
	for role, want := range map[string]bool{domain.RoleSecretary: true, domain.RoleCentral: true, domain.RoleTrainer: false, domain.RoleAdmin: false, "": false} {
		if got := MayExportPersonal(Device{Role: role}); got != want {
			t.Errorf("MayExportPersonal(%q) = %v", role, got)
		}
	}
}
