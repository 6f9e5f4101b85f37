package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	hlcpkg "github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
)

const (
	grantID = "0190e0b2-0000-7000-8000-0000000000aa"
	mile1   = "0190e0b2-0000-7000-8000-000000000001"
	mile2   = "0190e0b2-0000-7000-8000-000000000002"
)

func grantOp(dev, council string, action changeset.Action, hlc uint64, fields map[string]string) *changeset.Op {
	o := &changeset.Op{Device: dev, Seq: hlc, HLC: hlcpkg.Timestamp(hlc), Kind: domain.KindGrant, Record: grantID, Council: council, Action: action, Fields: map[string]changeset.Change{}}
	for k, v := range fields {
		o.Fields[k] = changeset.Change{Value: json.RawMessage(v)}
	}
	return o
}

func newGrant() *changeset.Op {
	return grantOp("central", "NRN-ATB", changeset.ActionCreate, 10, map[string]string{
		"council": `"NRN-ATB"`, "purpose": `"Кампания"`, "amount": `150000`, "currency": `"KGS"`,
		"start_on": `"2026-03-01"`, "end_on": `"2026-09-30"`,
		"milestones/" + mile1: `{"id":"` + mile1 + `","title":"Угуу","due":"2026-05-15"}`,
		"milestones/" + mile2: `{"id":"` + mile2 + `","title":"Отчет","due":"2026-09-30"}`,
	})
}

// Central staff record a grant under its council; the council reports its
// milestones and writes nothing else of it; nobody else writes it.
func TestGrantWrites(t *testing.T) {
	central := Device{Role: domain.RoleCentral}
	sec := Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	other := Device{Role: domain.RoleSecretary, Council: "OSH-ARA"}
	existing := &changeset.State{Kind: domain.KindGrant, ID: grantID, Council: "NRN-ATB", Created: 5}
	report := `{"id":"` + mile1 + `","met":true,"met_on":"2026-05-10"}`
	cases := []struct {
		name string
		dev  Device
		op   *changeset.Op
		cur  *changeset.State
		want syncproto.Code
		word string
	}{
		{"central staff create", central, newGrant(), nil, "", ""},
		{"central staff change the amount", central, grantOp("c", "NRN-ATB", changeset.ActionUpdate, 11, map[string]string{"amount": `200000`}), existing, "", ""},
		{"central staff pay out", central, grantOp("c", "NRN-ATB", changeset.ActionUpdate, 11, map[string]string{"disbursements/x": `{"id":"x"}`}), existing, "", ""},
		{"central staff remove it", central, grantOp("c", "NRN-ATB", changeset.ActionDelete, 11, map[string]string{changeset.DeletedField: `true`}), existing, "", ""},
		{"for no council", central, grantOp("c", "", changeset.ActionCreate, 11, map[string]string{"council": `""`}), nil, syncproto.CodeInvalid, "names the council"},
		{"council field not the operation's", central, grantOp("c", "NRN-ATB", changeset.ActionCreate, 11, map[string]string{"council": `"OSH-ARA"`}), nil, syncproto.CodeWrongCouncil, ""},
		{"moved to another council", central, grantOp("c", "OSH-ARA", changeset.ActionUpdate, 11, map[string]string{"amount": `1`}), existing, syncproto.CodeWrongCouncil, ""},
		{"created twice", central, newGrant(), existing, syncproto.CodeInvalid, "created once"},
		{"central staff report for the council", central, grantOp("c", "NRN-ATB", changeset.ActionUpdate, 11, map[string]string{"reports/" + mile1: report}), existing, syncproto.CodeForbidden, "the council reports"},
		{"the council reports", sec, grantOp("s", "NRN-ATB", changeset.ActionUpdate, 11, map[string]string{"reports/" + mile1: report}), existing, "", ""},
		{"the council raises the amount", sec, grantOp("s", "NRN-ATB", changeset.ActionUpdate, 11, map[string]string{"reports/" + mile1: report, "amount": `900000`}), existing, syncproto.CodeForbidden, "amount are written by central staff"},
		{"the council moves a due date", sec, grantOp("s", "NRN-ATB", changeset.ActionUpdate, 11, map[string]string{"milestones/" + mile1: `{}`}), existing, syncproto.CodeForbidden, "central staff"},
		{"the council makes a grant", sec, newGrant(), nil, syncproto.CodeForbidden, "central staff record"},
		{"the council removes it", sec, grantOp("s", "NRN-ATB", changeset.ActionDelete, 11, map[string]string{changeset.DeletedField: `true`}), existing, syncproto.CodeForbidden, "central staff record and remove"},
		{"a report of a grant not here", sec, grantOp("s", "NRN-ATB", changeset.ActionUpdate, 11, map[string]string{"reports/" + mile1: report}), nil, syncproto.CodeForbidden, ""},
		{"another council reports", other, grantOp("s", "NRN-ATB", changeset.ActionUpdate, 11, map[string]string{"reports/" + mile1: report}), existing, syncproto.CodeWrongCouncil, ""},
		{"another council, under its own name", other, grantOp("s", "OSH-ARA", changeset.ActionUpdate, 11, map[string]string{"reports/" + mile1: report}), existing, syncproto.CodeWrongCouncil, ""},
		{"a trainer", Device{Role: domain.RoleTrainer}, newGrant(), nil, syncproto.CodeForbidden, ""},
		{"an administrator", Device{Role: domain.RoleAdmin}, newGrant(), nil, syncproto.CodeForbidden, ""},
	}
	for _, c := range cases {
		r := CheckWrite(c.dev, c.op, c.cur)
		switch {
		case c.want == "" && r != nil:
			t.Errorf("%s: refused: %v", c.name, r)
		case c.want != "" && (r == nil || r.Code != c.want || !strings.Contains(r.Message, c.word)):
			t.Errorf("%s: %v, want %s with %q", c.name, r, c.want, c.word)
		}
	}
	if IsGlobal(domain.KindGrant) || !MayRead(sec, domain.KindGrant, "NRN-ATB") || MayRead(other, domain.KindGrant, "NRN-ATB") || !MayRead(central, domain.KindGrant, "NRN-ATB") {
		t.Error("a grant is read by its council and central staff alone")
	}
}

// The whole grant is checked after each merge; an operation is refused
// for the faults of what it wrote, not for another laptop's.
func TestCheckGrant(t *testing.T) {
	today := caldate.MustParse("2026-06-01")
	st := &changeset.State{}
	create := newGrant()
	if _, _, err := st.Apply(create); err != nil {
		t.Fatal(err)
	}
	if r := CheckGrant(create, st, today); r != nil {
		t.Fatalf("a valid grant: %v", r)
	}
	apply := func(st *changeset.State, op *changeset.Op) *changeset.State {
		next := st.Clone()
		if _, _, err := next.Apply(op); err != nil {
			t.Fatal(err)
		}
		return next
	}
	pay := func(hlc uint64, id string, amount string) *changeset.Op {
		return grantOp("central", "NRN-ATB", changeset.ActionUpdate, hlc, map[string]string{
			"disbursements/" + id: `{"id":"` + id + `","on":"2026-03-05","amount":` + amount + `}`})
	}
	d1, d2 := "0190e0b2-0000-7000-8000-0000000000d1", "0190e0b2-0000-7000-8000-0000000000d2"
	st = apply(st, pay(20, d1, "100000"))
	over := pay(21, d2, "60000")
	r := CheckGrant(over, apply(st, over), today)
	if r == nil || r.Code != syncproto.CodeInvalid || len(r.Fields) != 1 || r.Fields[0].Field != "disbursements" || !strings.Contains(r.Message, "160000 som disbursed in all") {
		t.Fatalf("paying out over the amount: %+v", r)
	}
	// The council's report is not refused for a disbursement over the
	// amount someone else made; a report of its own that breaks the rules is.
	st = apply(st, over)
	report := func(hlc uint64, v string) *changeset.Op {
		return grantOp("sec", "NRN-ATB", changeset.ActionUpdate, hlc, map[string]string{"reports/" + mile1: v})
	}
	good := report(30, `{"id":"`+mile1+`","met":true,"met_on":"2026-05-10"}`)
	if r := CheckGrant(good, apply(st, good), today); r != nil {
		t.Fatalf("a report, on a grant whose disbursements another wrote wrong: %v", r)
	}
	bad := report(31, `{"id":"`+mile1+`","met":true}`)
	r = CheckGrant(bad, apply(st, bad), today)
	if r == nil || len(r.Fields) != 1 || r.Fields[0].Field != "reports/"+mile1+".met_on" || r.Fields[0].Code != domain.CodeRequired {
		t.Fatalf("met with no day: %+v", r)
	}
	// End before start written by central staff.
	dates := grantOp("central", "NRN-ATB", changeset.ActionUpdate, 40, map[string]string{"end_on": `"2026-02-01"`})
	r = CheckGrant(dates, apply(st, dates), today)
	if r == nil || !strings.Contains(r.Message, "end_on: the grant ends on 2026-02-01, which is not after it starts on 2026-03-01") {
		t.Fatalf("end before start: %+v", r)
	}
	// A grant removed is not judged.
	del := grantOp("central", "NRN-ATB", changeset.ActionDelete, 50, map[string]string{changeset.DeletedField: `true`})
	if r := CheckGrant(del, apply(st, del), today); r != nil {
		t.Fatalf("a removal: %v", r)
	}
}

// Who the app offers a grant's form and a milestone's report: the roles
// checkGrantCentral and checkGrantCouncil let write them.
func TestMayWriteGrantAndReport(t *testing.T) {
	for _, tt := range []struct {
		dev           Device
		write, report bool
	}{
		{Device{Role: domain.RoleCentral}, true, false},
		{Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}, false, true},
		{Device{Role: domain.RoleSecretary, Council: "OSH-ARV"}, false, false},
		{Device{Role: domain.RoleTrainer}, false, false},
		{Device{Role: domain.RoleAdmin}, false, false},
		{Device{}, false, false},
	} {
		if got := MayWriteGrant(tt.dev); got != tt.write {
			t.Errorf("%+v writes a grant: %v", tt.dev, got)
		}
		if got := MayReportMilestones(tt.dev, "NRN-ATB"); got != tt.report {
			t.Errorf("%+v reports NRN-ATB's milestones: %v", tt.dev, got)
		}
	}
}
