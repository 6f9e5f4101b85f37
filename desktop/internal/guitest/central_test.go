package guitest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
)

// TestRealWindowCentral is a trainer's laptop and central staff's, synced
// from a real kenesh-syncserver to which a council's laptop (keneshctl)
// sent two verified appeals, one marked ready for publication. The
// trainer: its pages in ru and ky (no appeals or events), the councils it
// holds on its home screen, a guide published from the Materials page
// with its file picked in Fyne's open dialog, which the council's laptop
// gets and reads. Central staff: every page in each language (a
// screenshot each, and no recording offered), who holds the guide, the
// review queue on the home screen, the appeal not ready (its review
// cannot publish it), the ready one opened from the queue, its review's
// preview (the public summary, not the appellant's name or phone) and its
// publication, synced; Ctrl+N answered with a word, not a form. Read back
// with keneshctl and in the server's public register.
func TestRealWindowCentral(t *testing.T) {
	r := newRig(t)
	srv := r.startServer()
	srv.addCouncil()
	sec := r.newLaptop(srv, "secretary", council, "Ат-Башы кеңешинин ноутбугу")
	person, phone := "Абдыкадырова Нургүл", "+996 777 303 404"
	verified := func(summary string) string {
		t.Helper()
		var a struct {
			RegNo string `json:"reg_no"`
		}
		out := sec.ctlIn(`{"council":"`+council+`","channel":"phone","oblast":"KG-N","category":"health","appellant":{"name":"`+person+
			`","phone":"`+phone+`"},"summary":"`+summary+`"}`, "appeal", "add")
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatal(err)
		}
		for _, step := range []string{"under_review", "fact_checking", "verified"} {
			sec.ctl("appeal", "move", a.RegNo, step, "--note", "текшерилди")
		}
		return a.RegNo
	}
	public := "Айылдагы ФАПта дары-дармек жок"
	ready := verified("ФАПта дары жок, медайым жумасына бир келет")
	sec.ctlIn(`{"ready_for_publication": true, "public_summary": "`+public+`"}`, "appeal", "edit", ready)
	notReady := verified("Мектепке жол жок")
	sec.ctl("sync")
	r.mark("a server and a council's laptop")

	// A trainer's laptop: its pages (no appeals or events), the councils
	// it holds on its home screen, and a guide published from the
	// Materials page, its file picked in Fyne's open dialog.
	guide := bytes.Repeat([]byte("Коомдук угуу боюнча колдонмо. "), 30_000)
	if err := os.MkdirAll(filepath.Join(r.home, stick), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.home, stick, "колдонмо.pdf"), guide, 0o600); err != nil {
		t.Fatal(err)
	}
	trainer := r.newLaptop(srv, "trainer", "", "Тренер Айгерим")
	trainer.ctl("sync")
	a := r.run(trainer.data, "ru")
	a.unlock()
	for _, lang := range []string{"ru", "ky"} {
		if lang != "ru" {
			a.setLanguage(lang)
		}
		secs := a.tour("trainer", lang)
		if strings.Join(secs, " ") != "home materials conflicts settings" {
			a.fail("a trainer's navigation: %v", secs)
		}
	}
	d := a.page("home")
	for _, want := range []string{a.T("home.held", "n", 1), councilName, a.T("home.role_other", "role", a.T("role.trainer"))} {
		if !shows(d, want) {
			a.fail("a trainer's home does not show %q", want)
		}
	}
	a.page("materials")
	a.clickButton(a.T("materials.publish"))
	a.clickButton(a.T("materials.choose_file"))
	a.pickFile("колдонмо")
	a.waitFor("the file chosen", func(d uiprobe.Dump) bool { return showsOn(d, 1, "колдонмо.pdf") })
	title := "Аялуу топтордун укуктарын коргоо боюнча колдонмо"
	a.typeInto("material.title", title)
	a.typeInto("material.topic", "Укук")
	if n := a.sweep("the material's form"); n != 1 {
		a.fail("the material's form has %d drop-downs", n)
	}
	a.choose("material.language", "Кыргызча")
	a.screenshot("trainer-publish")
	a.click("button", func(it uiprobe.Item) bool { return it.Layer == 1 && it.Text == a.T("materials.publish_ok") }, "publish")
	a.waitFor("the guide published and sent", func(d uiprobe.Dump) bool {
		return d.Dialogs == 0 && shows(d, title) && shows(d, a.T("sync.state.idle")) && shows(d, a.T("sync.pending", "n", 0))
	})
	a.screenshot("trainer-published")
	a.key("ctrl+q")
	a.waitExit("Ctrl+Q")
	r.mark("a trainer's laptop, a guide published")

	// The council's laptop gets it whole, and reads it.
	sec.ctl("sync")
	var materials []struct {
		ID, Title  string
		Downloaded bool
	}
	if err := json.Unmarshal(sec.ctl("material", "list"), &materials); err != nil || len(materials) != 1 || materials[0].Title != title ||
		!materials[0].Downloaded {
		t.Fatalf("the council's materials: %+v %v", materials, err)
	}
	out := filepath.Join(t.TempDir(), "guide.pdf")
	sec.ctl("material", "get", materials[0].ID, "--out", out)
	if b, err := os.ReadFile(out); err != nil || !bytes.Equal(b, guide) {
		t.Fatalf("the material on the council's laptop: %d bytes, %v", len(b), err)
	}
	sec.ctl("material", "read", materials[0].ID)
	sec.ctl("sync")

	central := r.newLaptop(srv, "central", "", "Бишкек, борбордук кеңсе")
	central.ctl("sync")

	a = r.run(central.data, "ky")
	a.unlock()
	for _, lang := range []string{"ky", "ru", "en"} {
		if lang != "ky" {
			a.setLanguage(lang)
		}
		secs := a.tour("central", lang)
		if strings.Join(secs, " ") != "home events appeals materials questionnaires reports conflicts settings" {
			a.fail("central staff's navigation: %v", secs)
		}
		for _, page := range []string{"home", "appeals"} {
			d := a.page(page)
			for _, key := range []string{"home.record_appeal", "action.new_appeal", "action.new_event"} {
				if shows(d, a.T(key)) {
					a.fail("central staff are offered %q on %s", a.T(key), page)
				}
			}
		}
	}
	a.setLanguage("ky")
	r.mark("every page of central staff in ky, ru and en")

	// Who holds the guide: the council's laptop, which read it.
	a.page("materials")
	a.clickButton(a.T("materials.who"))
	a.waitFor("who holds it", func(d uiprobe.Dump) bool { return shows(d, a.T("materials.holders", "n", 1, "read", 1)) })
	a.screenshot("central-materials-who")

	// The review queue: both verified appeals wait.
	d = a.page("home")
	for _, want := range []string{a.T("home.review", "n", 2), a.T("home.activity"), a.T("home.role", "role", a.T("role.central"))} {
		if !shows(d, want) {
			a.fail("central staff's home does not show %q", want)
		}
	}
	openQueued := func(regNo string) {
		t.Helper()
		a.page("home")
		a.click("link", prefix(regNo+" · "), "the queued appeal "+regNo)
		a.waitFor("the appeal "+regNo, func(d uiprobe.Dump) bool { return d.Title == a.T("appeal.title")+" "+regNo })
	}

	// Not marked ready by its council: its review cannot publish it.
	openQueued(notReady)
	a.clickButton(a.T("review.action"))
	d = a.waitFor("the review", func(d uiprobe.Dump) bool { return d.Dialogs == 1 && showsOn(d, 1, a.T("review.not_ready")) })
	if it, ok := find(d, "check", text(a.T("field.published"))); !ok || !it.Disabled {
		a.fail("an appeal not ready for publication can be published: %+v", it)
	}
	a.clickButton(a.T("action.cancel"))
	a.waitFor("the review closed", func(d uiprobe.Dump) bool { return d.Dialogs == 0 })

	// Ready: the preview shows what the public will read, and no contacts.
	openQueued(ready)
	d, _ = a.dump()
	if _, ok := find(d, "button", text(a.T("action.edit"))); ok {
		a.fail("central staff are offered to edit a council's appeal")
	}
	a.clickButton(a.T("review.action"))
	d = a.waitFor("the review's preview", func(d uiprobe.Dump) bool { return d.Dialogs == 1 && showsOn(d, 1, public) })
	for _, private := range []string{person, phone} {
		if showsOn(d, 1, private) {
			a.fail("the publication preview shows %q", private)
		}
	}
	a.click("check", text(a.T("field.published")), "published")
	a.waitFor("published ticked", func(d uiprobe.Dump) bool {
		it, ok := find(d, "check", text(a.T("field.published")))
		return ok && it.Checked
	})
	a.typeInto("appeal.review_note", "Жарыяланды")
	a.screenshot("central-review")
	a.clickButton(a.T("action.save"))
	a.waitFor("published", func(d uiprobe.Dump) bool {
		_, ok := find(d, "label", text(a.T("field.published")))
		return d.Dialogs == 0 && ok && shows(d, "Жарыяланды")
	})
	a.screenshot("central-published")

	// Ctrl+N on a laptop that records nothing: a word, not a form.
	a.key("ctrl+n")
	a.waitFor("the word", func(d uiprobe.Dump) bool { return d.Dialogs == 1 && showsOn(d, 1, a.T("review.central")) })
	a.clickButton(a.T("action.close"))
	a.waitFor("the word closed", func(d uiprobe.Dump) bool { return d.Dialogs == 0 && d.Title == a.T("appeal.title")+" "+ready })

	a.clickButton(a.T("sync.now"))
	a.waitFor("the publication sent", func(d uiprobe.Dump) bool {
		return shows(d, a.T("sync.state.idle")) && shows(d, a.T("sync.pending", "n", 0))
	})
	a.key("ctrl+q")
	a.waitExit("Ctrl+Q")
	r.mark("an appeal reviewed and published")

	var got struct {
		Published   bool
		PublishedOn string `json:"published_on"`
		ReviewNote  string `json:"review_note"`
	}
	if err := json.Unmarshal(central.ctl("appeal", "show", ready), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Published || got.PublishedOn == "" || got.ReviewNote != "Жарыяланды" {
		t.Fatalf("the published appeal reads back as %+v", got)
	}
	if pending, _, _ := central.status(); pending != 0 {
		t.Fatalf("central staff's laptop still has %d changes to send", pending)
	}
	// In the public register, as the public reads it (the server makes its
	// copy of the register in the background).
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, page := srv.get("/public/ky/appeals/" + ready)
		if status == 200 {
			if !strings.Contains(page, public) || strings.Contains(page, person) || strings.Contains(page, "303 404") {
				t.Fatalf("the public register's page of %s:\n%s", ready, page)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not in the public register: %d", ready, status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if status, _ := srv.get("/public/ky/appeals/" + notReady); status != 404 {
		t.Fatalf("the appeal not ready for publication is in the register: %d", status)
	}

}
