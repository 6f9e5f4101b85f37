package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// Small grants as a script drives them, with keneshctl against the real
// server on 127.0.0.1: central staff record a grant to a council (a bad
// one exits 1 naming every fault) and pay part of it out; the council's
// laptop gets it with its next sync (another council's does not), sees
// its late milestone, may not pay itself, and reports the milestone met;
// central staff see the report after their sync. Raw pushes show the
// server judges what the laptops would: a council writing the amount is
// forbidden, central staff paying out over the amount are refused with
// the field, and a council's report is not refused for it.
func TestGrantsWithKeneshctl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds keneshctl and runs laptops")
	}
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	h.council("JA-ALA", "KG-J")
	bin := keneshctl(t)
	enroll := func(role, council, name string) ctl { l, _ := h.keneshctlLaptop(t, bin, role, council, name); return l }
	central := enroll(domain.RoleCentral, "", "Борбор")
	atb := enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы катчысы")
	ala := enroll(domain.RoleSecretary, "JA-ALA", "Ала-Бука катчысы")
	central.ok("", "sync")

	// Dates around today, as the laptops see it.
	today := caldate.Of(time.Now().In(time.FixedZone("Asia/Bishkek", 6*3600)))
	day := func(n int) string { return today.AddDays(n).String() }
	bad := fmt.Sprintf(`{"council": "NRN-ATB", "purpose": "Кампания", "amount": 100000, "currency": "USD", "start_on": %q, "end_on": %q,
		"disbursements": [{"on": %q, "amount": 120000}]}`, day(-30), day(-60), day(-1))
	code, _, errs := central.try(bad, "grant", "add")
	for _, want := range []string{"currency: \"USD\" is not the programme's currency", "end_on: the grant ends on", "120000 som disbursed in all, more than the grant's 100000 som"} {
		if code != 1 || !strings.Contains(errs, want) {
			t.Fatalf("a bad grant: exit %d, want %q in\n%s", code, want, errs)
		}
	}
	good := fmt.Sprintf(`{"council": "NRN-ATB", "purpose": "Жергиликтүү бюджетти ачык талкуулоо кампаниясы", "amount": 150000, "start_on": %q, "end_on": %q,
		"milestones": [{"title": "Ачык угуу өткөрүлдү", "due": %q}, {"title": "Жыйынтык отчет", "due": %q}]}`, day(-60), day(120), day(-5), day(120))
	g := jsonOf[map[string]any](t, central.ok(good, "grant", "add"))
	id, _ := g["id"].(string)
	if g["currency"] != "KGS" || g["milestones_total"] != float64(2) || g["late_milestones"] != float64(1) {
		t.Fatalf("added: %v", g)
	}
	paid := jsonOf[map[string]any](t, central.ok("", "grant", "disburse", id, "--amount", "100000", "--on", day(-50), "--note", "№ 17"))
	if paid["disbursed"] != float64(100000) {
		t.Fatalf("paid: %v", paid)
	}
	if code, _, errs := central.try("", "grant", "disburse", id, "--amount", "60000"); code != 1 || !strings.Contains(errs, "160000 som disbursed in all") {
		t.Fatalf("paying over the amount: exit %d, %s", code, errs)
	}
	central.ok("", "sync")

	atb.ok("", "sync")
	late := jsonOf[[]map[string]any](t, atb.ok("", "grant", "list", "--late"))
	if len(late) != 1 || late[0]["id"] != id || late[0]["disbursed"] != float64(100000) {
		t.Fatalf("the council's late grants after its sync: %v", late)
	}
	ala.ok("", "sync")
	if l := jsonOf[[]map[string]any](t, ala.ok("", "grant", "list")); len(l) != 0 {
		t.Fatalf("another council sees the grant: %v", l)
	}
	if code, _, errs := atb.try("", "grant", "disburse", id, "--amount", "50000"); code != 1 || !strings.Contains(errs, "written by central staff") {
		t.Fatalf("the council pays itself: exit %d, %s", code, errs)
	}
	rep := jsonOf[map[string]any](t, atb.ok("", "grant", "milestone", id, "1", "--on", day(-6), "--note", "42 киши катышты"))
	if rep["milestones_met"] != float64(1) || rep["late_milestones"] != float64(0) {
		t.Fatalf("reported: %v", rep)
	}
	atb.ok("", "sync")
	central.ok("", "sync")
	shown := jsonOf[map[string]any](t, central.ok("", "grant", "show", id))
	ms := shown["milestones"].([]any)
	if first := ms[0].(map[string]any); first["met"] != true || first["met_on"] != day(-6) || first["note"] != "42 киши катышты" {
		t.Fatalf("central staff see the report: %v", ms)
	}
	if l := jsonOf[[]map[string]any](t, central.ok("", "grant", "list", "--late")); len(l) != 0 {
		t.Fatalf("nothing late after the report: %v", l)
	}
	if hist := jsonOf[[]any](t, central.ok("", "grant", "history", id)); len(hist) != 3 {
		t.Fatalf("history: %d entries", len(hist))
	}

	// Raw pushes.
	sec := h.enroll(domain.RoleSecretary, "NRN-ATB")
	cen := h.enroll(domain.RoleCentral, "")
	if r := sec.push(sec.op(domain.KindGrant, id, "NRN-ATB", changeset.ActionUpdate, map[string]any{"amount": 900000})); len(r.Refused) != 1 || r.Refused[0].Code != syncproto.CodeForbidden {
		t.Fatalf("a council raises its grant: %+v", r.Refused)
	}
	over := domain.NewID()
	r := cen.push(cen.op(domain.KindGrant, id, "NRN-ATB", changeset.ActionUpdate, map[string]any{
		"disbursements/" + over: map[string]any{"id": over, "on": day(-1), "amount": 60000}}))
	if len(r.Refused) != 1 || r.Refused[0].Code != syncproto.CodeInvalid || len(r.Refused[0].Fields) != 1 || r.Refused[0].Fields[0].Field != "disbursements" {
		t.Fatalf("central staff pay out over the amount: %+v", r.Refused)
	}
	m2 := ms[1].(map[string]any)["id"].(string)
	if r := sec.push(sec.op(domain.KindGrant, id, "NRN-ATB", changeset.ActionUpdate, map[string]any{
		"reports/" + m2: map[string]any{"id": m2, "met": true}})); len(r.Refused) != 1 || r.Refused[0].Fields[0].Field != "reports/"+m2+".met_on" {
		t.Fatalf("met with no day: %+v", r.Refused)
	}
	if r := sec.push(sec.op(domain.KindGrant, domain.NewID(), "NRN-ATB", changeset.ActionCreate, map[string]any{"council": "NRN-ATB"})); len(r.Refused) != 1 || r.Refused[0].Code != syncproto.CodeForbidden {
		t.Fatalf("a council makes itself a grant: %+v", r.Refused)
	}
}
