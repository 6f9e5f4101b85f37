package guitest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
	"github.com/kenesh/kenesh/shared/caldate"
)

// TestRealWindowProgramme is a council's secretary doing the programme's
// other work with the mouse, in Kyrgyz, on what central staff sent from
// their laptop (keneshctl) through a real kenesh-syncserver: a small
// grant with a milestone five days late, and the needs assessment's
// questionnaire. The home screen shows the late milestone; its link opens
// the grant, where Met today marks it (and the home screen and the Grants
// page follow). The questionnaire is filled on the Questionnaires page: a
// question that appears only for the answer "other" (relevant), the
// topics trained in not asked of a council not trained, the
// districts offered only for the oblast chosen (choice_filter), a
// constraint broken (age 15) and shown under its question without saving,
// then mended and saved. Read back with keneshctl on the council's laptop
// and, after both syncs, on central staff's.
func TestRealWindowProgramme(t *testing.T) {
	r := newRig(t)
	g := r.newCouncilGrant()
	central, sec, purpose, late := g.central, g.sec, g.purpose, g.late
	central.ctl("form", "publish", filepath.Join("..", "..", "..", "shared", "xlsform", "testdata", "council_needs.xlsx"))
	central.ctl("sync")
	sec.ctl("sync")
	r.mark("a grant and a questionnaire sent to the council")

	a := r.run(sec.data, "ky")
	a.unlock()

	// The late milestone on the home screen opens the grant.
	d := a.page("home")
	if !shows(d, a.T("home.grants_late", "n", 1)) {
		a.fail("the home screen does not show one late grant milestone")
	}
	a.screenshot("programme-home-late-grant")
	a.click("link", func(it uiprobe.Item) bool { return strings.HasSuffix(it.Text, " · "+purpose) }, "the late grant")
	a.waitFor("the grant's page", func(d uiprobe.Dump) bool { return shows(d, purpose) && shows(d, a.T("grant.milestones")) })
	d, _ = a.dump()
	if n := count(d, "button", a.T("grant.mark_met")); n != 2 {
		a.fail("the grant's page offers Met today %d times, want 2 (one a milestone)", n)
	}
	// The first milestone in due order is the late one.
	a.clickAt("Met today of the late milestone", nthText("button", a.T("grant.mark_met"), 0))
	a.waitFor("the milestone met", func(d uiprobe.Dump) bool {
		return count(d, "button", a.T("grant.mark_met")) == 1 && count(d, "button", a.T("grant.unmark")) == 1
	})
	a.screenshot("programme-grant-met")
	d = a.page("home")
	if shows(d, a.T("home.grants_late", "n", 1)) || !shows(d, a.T("home.grants_late", "n", 0)) {
		a.fail("the home screen still shows the milestone late")
	}
	a.clickButton(a.T("home.grants_all"))
	a.waitFor("the Grants page", func(d uiprobe.Dump) bool { return shows(d, purpose) })
	a.screenshot("programme-grants")
	r.mark("a late milestone marked met with the mouse")

	// The questionnaire, filled with the mouse and the keyboard.
	a.page("questionnaires")
	a.clickButton(a.T("quest.new"))
	a.waitFor("the questionnaire's form", func(d uiprobe.Dump) bool { _, ok := find(d, "entry", named("quest.respondent_name")); return ok })
	d, _ = a.dump()
	if _, ok := find(d, "entry", named("quest.role_other")); ok {
		a.fail("the question for another role is asked before the role is chosen")
	}
	a.typeInto("quest.respondent_name", "Асанова Айгүл")
	a.click("radio", text("Аял"), "female")
	a.typeInto("quest.age", "15")
	a.click("radio", text("Башка"), "the role other")
	a.typeInto("quest.role_other", "Айыл өкмөтүнүн өкүлү")
	a.click("radio", text("Нарын облусу"), "Naryn oblast")
	d = a.waitFor("Naryn's districts", func(d uiprobe.Dump) bool { _, ok := find(d, "radio", text("Ат-Башы району")); return ok })
	for _, other := range []string{"Сокулук району", "Ала-Бука району"} {
		if _, ok := find(d, "radio", text(other)); ok {
			a.fail("%s is offered for Naryn oblast", other)
		}
	}
	a.click("radio", text("Ат-Башы району"), "At-Bashy district")
	a.typeInto("quest.members", "15")
	a.typeInto("quest.women", "7")
	a.click("radio", text("Жок"), "trained: no")
	d, _ = a.dump()
	if n := count(d, "check", "Мыйзамдар"); n != 1 {
		a.fail("%d questions offer the topics after 'not trained', want 1 (the topics needed)", n)
	}
	a.click("check", text("Бюджетти көзөмөлдөө"), "budget control needed")
	a.waitFor("budget control ticked", func(d uiprobe.Dump) bool {
		it, ok := find(d, "check", text("Бюджетти көзөмөлдөө"))
		return ok && it.Checked
	})
	a.clickButton(a.T("quest.save"))
	a.waitFor("the broken constraint shown", func(d uiprobe.Dump) bool { return shows(d, a.T("quest.fix")) })
	a.screenshot("programme-questionnaire-refused")
	a.typeInto("quest.age", "41")
	a.clickButton(a.T("quest.save"))
	a.waitFor("the response saved and listed", func(d uiprobe.Dump) bool {
		_, form := find(d, "entry", named("quest.respondent_name"))
		return !form && shows(d, a.T("quest.responses", "n", 1))
	})
	a.screenshot("programme-questionnaire-saved")
	a.clickButton(a.T("sync.now"))
	a.waitFor("everything sent", func(d uiprobe.Dump) bool {
		return shows(d, a.T("sync.state.idle")) && shows(d, a.T("sync.pending", "n", 0))
	})
	a.key("ctrl+q")
	a.waitExit("Ctrl+Q")
	r.mark("a questionnaire filled with the mouse")

	// What was saved, as central staff read it after their sync.
	central.ctl("sync")
	var got struct {
		Milestones []struct {
			Title string
			Met   bool
		}
	}
	if err := json.Unmarshal(central.ctl("grant", "show", g.id), &got); err != nil || len(got.Milestones) != 2 {
		t.Fatalf("the grant on central staff's laptop: %+v %v", got, err)
	}
	for _, m := range got.Milestones {
		if m.Met != (m.Title == late) {
			t.Fatalf("milestone %q met %v on central staff's laptop", m.Title, m.Met)
		}
	}
	var responses []map[string]any
	if err := json.Unmarshal(central.ctl("response", "list", "council_needs_2026"), &responses); err != nil || len(responses) != 1 {
		t.Fatalf("the responses on central staff's laptop: %v %v", responses, err)
	}
	answers, _ := json.Marshal(responses[0])
	for _, want := range []string{`"Асанова Айгүл"`, `"female"`, `41`, `"other"`, `"Айыл өкмөтүнүн өкүлү"`, `"KG-N"`, `"KG-N-ATB"`, `"no"`, `"budget"`} {
		if !strings.Contains(string(answers), want) {
			t.Fatalf("the response lacks %s:\n%s", want, answers)
		}
	}
}

// councilGrant is central staff and a council's secretary enrolled on one
// server, and a grant central staff made for the council (not yet synced):
// its first milestone (late) was due five days ago, its second (later) is
// due in 100 days.
type councilGrant struct {
	central, sec laptop
	id, purpose  string
	late, later  string
}

func (r *rig) newCouncilGrant() councilGrant {
	r.t.Helper()
	srv := r.startServer()
	srv.addCouncil()
	g := councilGrant{
		central: r.newLaptop(srv, "central", "", "Бишкек, борбордук кеңсе"),
		sec:     r.newLaptop(srv, "secretary", council, "Ат-Башы кеңешинин ноутбугу"),
		purpose: "Жаштардын укуктары боюнча маалымат кампаниясы",
		late:    "Ачык угуу өткөрүлдү",
		later:   "Жыйынтык отчет",
	}
	today := caldate.Of(time.Now().In(time.FixedZone("Asia/Bishkek", 6*3600)))
	day := func(n int) string { return today.AddDays(n).String() }
	var made struct{ ID string }
	if err := json.Unmarshal(g.central.ctlIn(fmt.Sprintf(`{"council": %q, "purpose": %q, "amount": 250000, "currency": "KGS", "start_on": %q, "end_on": %q,
		"milestones": [{"title": %q, "due": %q}, {"title": %q, "due": %q}]}`, council, g.purpose, day(-60), day(120), g.late, day(-5), g.later, day(100)),
		"grant", "add"), &made); err != nil || made.ID == "" {
		r.t.Fatalf("the grant: %+v %v", made, err)
	}
	g.id = made.ID
	return g
}

// count is how many items of kind show text exactly.
func count(d uiprobe.Dump, kind, text string) int {
	n := 0
	for _, it := range d.Items {
		if it.Kind == kind && it.Text == text {
			n++
		}
	}
	return n
}

// nthText is the locator of the k-th item (from 0, in the order the
// screen lists them, top to bottom in a form) of kind showing text: two
// questions may offer the same choice.
func nthText(kind, text string, k int) locator {
	return func(d uiprobe.Dump) (uiprobe.Item, bool) {
		for _, it := range d.Items {
			if it.Kind == kind && it.Text == text {
				if k == 0 {
					return it, true
				}
				k--
			}
		}
		return uiprobe.Item{}, false
	}
}

// TestRealWindowPublishQuestionnaire is central staff publishing a
// questionnaire from its XLSForm workbook with the mouse, in Kyrgyz: the
// Questionnaires page's Publish button, the workbook picked from a USB
// stick in Fyne's open dialog (only .xlsx files listed), the confirmation
// naming the form and its version, the published form on the page, the
// sync; the council's laptop has it after its own sync.
func TestRealWindowPublishQuestionnaire(t *testing.T) {
	r := newRig(t)
	srv := r.startServer()
	srv.addCouncil()
	central := r.newLaptop(srv, "central", "", "Бишкек, борбордук кеңсе")
	sec := r.newLaptop(srv, "secretary", council, "Ат-Башы кеңешинин ноутбугу")
	book, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "xlsform", "testdata", "council_needs.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(r.home, stick), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"council_needs.xlsx": book, "council_needs.pdf": []byte("%PDF-1.4 not a form")} {
		if err := os.WriteFile(filepath.Join(r.home, stick, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	a := r.run(central.data, "ky")
	a.unlock()
	d := a.page("questionnaires")
	if !shows(d, a.T("quest.none_central")) {
		a.fail("central staff's empty Questionnaires page does not say how to publish one")
	}
	a.clickButton(a.T("quest.publish"))
	a.placesTranslated(a.waitFor("the file dialog", func(d uiprobe.Dump) bool { _, ok := find(d, "file", text(stick)); return ok }))
	a.click("file", text(stick), "the folder "+stick)
	d = a.waitFor("the workbook listed", func(d uiprobe.Dump) bool { _, ok := find(d, "file", prefix("council_needs")); return ok })
	if n := count(d, "file", "council_needs"); n != 1 {
		a.fail("the dialog lists %d files named council_needs, want only the workbook", n)
	}
	time.Sleep(600 * time.Millisecond) // not a double click on the folder's cell
	a.click("file", prefix("council_needs"), "the workbook")
	a.clickButton(a.T("Open"))
	a.waitFor("the confirmation", func(d uiprobe.Dump) bool { return shows(d, "council_needs.xlsx") && shows(d, a.T("quest.publish_ok")) })
	a.screenshot("quest-publish-confirm")
	a.click("button", func(it uiprobe.Item) bool { return it.Layer >= 1 && it.Text == a.T("quest.publish_ok") }, "publish")
	a.waitFor("published", func(d uiprobe.Dump) bool { return shows(d, a.T("quest.published_title")) })
	a.screenshot("quest-published")
	a.clickButton(a.T("action.close"))
	a.waitFor("the form on the page", func(d uiprobe.Dump) bool {
		return d.Dialogs == 0 && !shows(d, a.T("quest.none_central")) && shows(d, a.T("quest.responses", "n", 0))
	})
	a.clickButton(a.T("sync.now"))
	a.waitFor("sent", func(d uiprobe.Dump) bool {
		return shows(d, a.T("sync.state.idle")) && shows(d, a.T("sync.pending", "n", 0))
	})
	a.key("ctrl+q")
	a.waitExit("Ctrl+Q")

	sec.ctl("sync")
	var forms []struct {
		FormID  string `json:"form_id"`
		Version string
	}
	out := sec.ctl("form", "list")
	if err := json.Unmarshal(out, &forms); err != nil || len(forms) != 1 || forms[0].FormID != "council_needs_2026" {
		t.Fatalf("the council's laptop has %s (%v), want the needs assessment", out, err)
	}
}
