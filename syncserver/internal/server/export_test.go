package server

import (
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// The record of an export (domain.Export, issue 12) travels like any
// record: the server takes a council's under its council and central
// staff's under none, refuses a change to one, and gives each to those
// who may read it: the council's to that council and central staff,
// central staff's to central staff alone.
func TestExportRecordsTravel(t *testing.T) {
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	h.council("OSH-NOO", "KG-O")
	secA := h.enroll(domain.RoleSecretary, "NRN-ATB")
	secB := h.enroll(domain.RoleSecretary, "OSH-NOO")
	central := h.enroll(domain.RoleCentral, "")
	central2 := h.enroll(domain.RoleCentral, "")

	fields := func(council string) map[string]any {
		m := map[string]any{"at": "2026-06-30T10:00:00Z", "by": "laptop", "format": "xlsx", "kinds": []string{"appeal"}, "records": 12}
		if council != "" {
			m["council"] = council
		}
		return m
	}
	exA, exC := domain.NewID(), domain.NewID()
	if r := secA.push(secA.op(domain.KindExport, exA, "NRN-ATB", changeset.ActionCreate, fields("NRN-ATB"))); len(r.Refused) != 0 {
		t.Fatalf("a council's export refused: %+v", r.Refused)
	}
	if r := central.push(central.op(domain.KindExport, exC, "", changeset.ActionCreate, fields(""))); len(r.Refused) != 0 {
		t.Fatalf("central staff's export refused: %+v", r.Refused)
	}
	r := secA.push(secA.op(domain.KindExport, exA, "NRN-ATB", changeset.ActionUpdate, map[string]any{"records": 0}))
	if len(r.Refused) != 1 || r.Refused[0].Code != syncproto.CodeForbidden {
		t.Errorf("a change to an export's record: %+v, want refused as forbidden", r.Refused)
	}

	pulled := func(d *device) map[string]bool {
		m := map[string]bool{}
		for _, op := range d.pullAll() {
			if op.Kind == domain.KindExport {
				m[op.Record] = true
			}
		}
		return m
	}
	if got := pulled(central2); !got[exA] || !got[exC] {
		t.Errorf("central staff pulled exports %v, want the council's and central's", got)
	}
	if got := pulled(secB); got[exA] || got[exC] {
		t.Errorf("another council pulled exports %v, want none", got)
	}
	secA2 := h.enroll(domain.RoleSecretary, "NRN-ATB")
	if got := pulled(secA2); !got[exA] || got[exC] {
		t.Errorf("the council's other laptop pulled exports %v, want its council's only", got)
	}
}
