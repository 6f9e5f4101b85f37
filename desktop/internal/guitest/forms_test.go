package guitest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
	"github.com/kenesh/kenesh/shared/caldate"
)

// TestRealWindowGrantDraft is central staff's grant form in the real
// window, in Kyrgyz, with the mouse: the council chosen in its drop-down,
// the rest typed, the app killed (kill -9) before saving, the draft
// offered at the next start and continued, an end before the start
// refused beside its field, mended, saved, and read back with keneshctl.
func TestRealWindowGrantDraft(t *testing.T) {
	r := newRig(t)
	srv := r.startServer()
	srv.addCouncil()
	central := r.newLaptop(srv, "central", "", "Бишкек, борбордук кеңсе")
	today := caldate.Of(time.Now().In(time.FixedZone("Asia/Bishkek", 6*3600)))
	day := func(n int) string { return today.AddDays(n).String() }
	central.ctlIn(fmt.Sprintf(`{"council": %q, "purpose": "Биринчи грант", "amount": 100000, "currency": "KGS", "start_on": %q, "end_on": %q}`,
		council, day(-10), day(100)), "grant", "add")

	a := r.run(central.data, "ky")
	a.unlock()
	a.clickButton(a.T("home.grants_all"))
	a.waitFor("the Grants page", func(d uiprobe.Dump) bool { return shows(d, "Биринчи грант") })
	a.clickButton(a.T("grant.new"))
	a.waitFor("the grant form", func(d uiprobe.Dump) bool { _, ok := find(d, "entry", named("grant.purpose")); return ok })
	a.choose("grant.council", councilName)
	purpose := "Үй-бүлөлүк зомбулукка каршы өнөктүк: үгүт, ңөү"
	a.typeInto("grant.purpose", purpose)
	a.typeInto("grant.amount", "150 000")
	a.typeInto("grant.start_on", day(1))
	a.typeInto("grant.end_on", day(-30)) // before its start: a fault
	a.waitDraftKept()
	a.screenshot("grant-draft-typed")
	a = r.killAndContinueDraft(a, "ky", "grant-draft-offered")
	a.waitFor("the draft back", func(d uiprobe.Dump) bool {
		it, ok := find(d, "entry", named("grant.purpose"))
		return ok && it.Text == purpose
	})
	a.clickButton(a.T("action.save"))
	a.waitFor("the end date refused", func(d uiprobe.Dump) bool { return shows(d, a.T("grant.err.end_on")) })
	a.screenshot("grant-end-refused")
	a.typeInto("grant.end_on", day(200))
	a.clickButton(a.T("action.save"))
	a.waitFor("saved: the grant's page", func(d uiprobe.Dump) bool {
		_, form := find(d, "entry", named("grant.purpose"))
		return !form && shows(d, purpose)
	})
	a.screenshot("grant-saved")
	a.key("ctrl+q")
	a.waitExit("closing")

	var gs []struct {
		Purpose string
		Amount  int64
		Council string
	}
	if err := json.Unmarshal(central.ctl("grant", "list"), &gs); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range gs {
		if g.Purpose == purpose {
			found = true
			if g.Amount != 150000 || g.Council != council {
				t.Errorf("saved grant: %+v", g)
			}
		}
	}
	if !found {
		t.Fatalf("the grant typed is not in keneshctl's list: %+v", gs)
	}
}

// TestRealWindowJurorLaptopChecked: in central staff's competition set-up
// (real window, Kyrgyz), a juror's laptop id mistyped (moved to with Tab,
// as a person does) is refused beside the juror when saving.
func TestRealWindowJurorLaptopChecked(t *testing.T) {
	r := newRig(t)
	srv := r.startServer()
	srv.addCouncil()
	central := r.newLaptop(srv, "central", "", "Бишкек, борбордук кеңсе")
	a := r.run(central.data, "ky")
	a.unlock()
	a.clickButton(a.T("home.competitions_all"))
	a.clickButton(a.T("competition.new"))
	a.waitFor("the set-up form", func(d uiprobe.Dump) bool { _, ok := find(d, "entry", named("competition.title")); return ok })
	a.typeInto("competition.title", "Жаштардын эссе сынагы: үн, өң")
	a.clickButton(a.T("competition.add_juror"))
	a.typeInto("competition.jurors.0", "Айгүл Токтогулова")
	a.key("Tab")
	a.xdo("type", "--delay", "20", "12345-not-an-id")
	a.clickButton(a.T("action.save"))
	a.waitFor("the juror's laptop refused", func(d uiprobe.Dump) bool { return shows(d, a.T("err.format.device")) })
	a.screenshot("competition-juror-refused")
}

// TestRealWindowMilestoneReportDraft: a council secretary's report of a
// grant's milestone (ux2's d330ea6 made it keep a draft; a widget test
// drove it), in the real window, in Kyrgyz, with the mouse: the grant
// synced from central staff, Write report clicked, the note typed, the app
// killed (kill -9) before saving, the draft offered at the next start and
// continued with the note back, saved, and read back with keneshctl.
func TestRealWindowMilestoneReportDraft(t *testing.T) {
	r := newRig(t)
	g := r.newCouncilGrant()
	central, sec, purpose := g.central, g.sec, g.purpose
	central.ctl("sync")
	sec.ctl("sync")

	a := r.run(sec.data, "ky")
	a.unlock()
	a.clickButton(a.T("home.grants_all"))
	a.waitFor("the Grants page", func(d uiprobe.Dump) bool { return shows(d, purpose) })
	a.click("link", func(it uiprobe.Item) bool { return strings.Contains(it.Text, purpose) }, "the grant")
	a.waitFor("the grant's page", func(d uiprobe.Dump) bool { return shows(d, a.T("grant.milestones")) })
	a.clickAt("Write report of the first milestone", nthText("button", a.T("grant.write_report"), 0))
	a.waitFor("the report's form", func(d uiprobe.Dump) bool { return shows(d, a.T("grant.report_save")) })
	note := "42 киши катышты: үч сунуш кабыл алынды, ңөү"
	a.typeAt("the report's note", on("entry", func(it uiprobe.Item) bool { return strings.HasSuffix(it.Name, ".note") }), note)
	a.waitDraftKept()
	a.screenshot("report-typed")
	a = r.killAndContinueDraft(a, "ky", "report-draft-offered")
	a.waitFor("the report back", func(d uiprobe.Dump) bool { return shows(d, note) && shows(d, a.T("grant.report_save")) })
	a.screenshot("report-continued")
	a.clickButton(a.T("grant.report_save"))
	a.waitFor("saved: the form gone, the report shown", func(d uiprobe.Dump) bool {
		return !shows(d, a.T("grant.report_save")) && shows(d, note)
	})
	a.screenshot("report-saved")
	a.key("ctrl+q")
	a.waitExit("closing")
	if out := string(sec.ctl("grant", "show", g.id)); !strings.Contains(out, note) {
		t.Fatalf("the report is not in keneshctl's grant show:\n%s", out)
	}
}
