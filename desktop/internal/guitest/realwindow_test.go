package guitest

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
	"github.com/kenesh/kenesh/shared/refdata"
)

// The real-window tests drive the real kenesh binary in a real X window
// (Xvfb, 1366×768) with the mouse and keyboard (xdotool), on a demo store,
// and read what it shows through its probe; each fails if the app dies or
// logs a panic, and keeps its screenshots in .guitest/ when it fails (see
// shotsDir). They are several, each a couple of minutes on a busy 2-core
// machine: a secretary's pages and settings (TestRealWindow), an appeal
// (TestRealWindowAppeal), an event (TestRealWindowEvent), the dialogs of
// files and the server (TestRealWindowDialogs), central staff and a
// trainer (TestRealWindowCentral).

// TestRealWindow is a council secretary's pages with a mouse: every page
// in each language (a screenshot each, nothing reaching past the window,
// no button cut); every drop-down of the lists and of Settings swept (the
// text size's too: the window must stay within the screen); the language
// switched; lock and unlock over an open dialog; a draft kept through a
// kill -9 and offered at the next start; Exit asking first.
// It fails if the app dies or logs a panic; the screenshots of a failed
// run stay in .guitest/ (see shotsDir).
func TestRealWindow(t *testing.T) {
	r := newRig(t)
	data := demoStore(t)
	// Someone the demo store names, for the personal data request.
	name := demoAppellant(t, r, data)
	surname, _, _ := strings.Cut(name, " ")

	a := r.run(data, "ky")
	a.waitFor("the unlock screen", func(d uiprobe.Dump) bool { _, ok := find(d, "entry", named("passphrase")); return ok })
	a.screenshot("unlock")
	a.unlock()
	lang := "ky"
	a.tour("secretary", lang)
	r.mark("every page in Kyrgyz")

	// Every drop-down of both lists: another choice, then the first
	// ("any") again; the list follows each.
	for _, kind := range []string{"events", "appeals"} {
		a.page(kind)
		if n := a.sweep("the " + kind + " list"); n < 4 {
			a.fail("the %s list has %d drop-downs", kind, n)
		}
		a.screenshot(kind + "-swept")
	}
	r.mark("the lists' drop-downs")

	// The Reports page: its period and side-by-side drop-downs, then a
	// number clicked opens the list of exactly the records it counts.
	a.page("reports")
	if n := a.sweep("the Reports page"); n < 4 {
		a.fail("the Reports page has %d drop-downs", n)
	}
	a.choose("reports.preset", a.T("report.period_all"))
	a.choose("reports.by", a.T("report.by.oblast"))
	d := a.waitFor("the figures by oblast", func(d uiprobe.Dump) bool {
		_, ok := find(d, "link", named("reports.n.appeals.total"))
		return ok && shows(d, a.T("report.by.oblast")) && !shows(d, a.T("report.computing"))
	})
	total, _ := find(d, "link", named("reports.n.appeals.total"))
	a.screenshot("reports")
	a.click("link", named("reports.n.appeals.total"), "the number of appeals")
	n, err := strconv.Atoi(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, total.Text))
	if err != nil {
		a.fail("the number of appeals reads %q", total.Text)
	}
	a.waitFor("the appeals it counts", func(d uiprobe.Dump) bool {
		return strings.HasPrefix(d.Title, a.T("report.sec.appeals")+": ") && shows(d, a.T("list.count_appeals", "n", n))
	})
	a.screenshot("reports-list")
	a.clickButton(a.T("action.back"))
	a.waitFor("the reports page again", func(d uiprobe.Dump) bool { return d.Title == a.T("nav.reports") })
	r.mark("the Reports page: its drop-downs, a number to the records it counts")

	// Settings: every drop-down (idle lock, text size, home council).
	a.page("settings")
	if n := a.sweep("Settings"); n < 3 {
		a.fail("Settings has %d drop-downs", n)
	}
	// The Materials page's size for downloads by themselves.
	a.page("materials")
	if n := a.sweep("Materials"); n < 1 {
		a.fail("the Materials page has %d drop-downs", n)
	}

	// Every page in Russian and in English.
	for _, l := range []string{"ru", "en"} {
		a.setLanguage(l)
		lang = l
		a.tour("secretary", lang)
	}
	a.setLanguage("ru")
	r.mark("Settings, every page in Russian and English")

	// Lock (Ctrl+L) over an open dialog that shows a person's data and
	// holds what was typed: the lock screen shows neither, the unlock gives
	// both back as they were.
	a.page("settings")
	a.clickButton(a.T("person.action"))
	a.typeInto("person-query", surname)
	a.key("Return")
	a.waitFor("the person found", func(d uiprobe.Dump) bool { return shows(d, name) })
	a.key("ctrl+l")
	d = a.waitFor("the lock screen", func(d uiprobe.Dump) bool { return d.Locked })
	a.screenshot("locked")
	if d.Dialogs != 0 || shows(d, surname) || shows(d, a.T("person.title")) {
		a.fail("the lock screen shows %d dialogs, the person's name %v", d.Dialogs, shows(d, surname))
	}
	a.unlock()
	a.waitFor("the dialog back with its text", func(d uiprobe.Dump) bool {
		it, ok := find(d, "entry", named("person-query"))
		return ok && it.Text == surname && shows(d, name) && d.Dialogs == 1
	})
	a.screenshot("unlocked-dialog")
	a.clickButton(a.T("action.close"))
	a.waitFor("the dialog closed", func(d uiprobe.Dump) bool { return d.Dialogs == 0 })

	// Nothing typed is lost: the app killed (kill -9) while an appeal is
	// being typed offers it at the next start.
	a.clickButton(a.T("action.new_appeal"))
	a.waitFor("the appeal form", func(d uiprobe.Dump) bool { return d.Title == a.T("appeal.new_title") })
	draft := "Жер тилкеси тартылып алынды"
	a.typeInto("appeal.summary", draft)
	a.waitDraftKept()
	a.screenshot("draft-kept")
	a = r.killAndContinueDraft(a, "ru", "draft-offered")
	a.waitFor("the draft back in the form", func(d uiprobe.Dump) bool {
		it, ok := find(d, "entry", named("appeal.summary"))
		return ok && it.Text == draft && d.Title == a.T("appeal.new_title")
	})
	if d, _ := a.dump(); d.Width < 1300 || d.Height < 700 {
		t.Errorf("the window opened at %.0f×%.0f on a 1366×768 screen", d.Width, d.Height)
	}

	// Exit (Ctrl+Q) with unsaved input asks; Cancel stays, then close
	// without saving.
	a.key("ctrl+q")
	a.waitFor("the exit question", func(d uiprobe.Dump) bool { return shows(d, a.T("exit.text")) })
	a.screenshot("exit-asks")
	a.clickButton(a.T("action.cancel"))
	a.waitFor("the form again", func(d uiprobe.Dump) bool { return !shows(d, a.T("exit.text")) && d.Title == a.T("appeal.new_title") })
	a.key("ctrl+q")
	a.clickButton(a.T("exit.discard"))
	a.waitExit("closing without saving")
	r.mark("lock, draft, exit")

	var drafts []struct{ Summary string }
	if err := json.Unmarshal(ctl(t, r.keneshctl, data, "appeal", "list", "--text", "тилкеси тартылып"), &drafts); err != nil {
		t.Fatal(err)
	}
	if len(drafts) != 0 {
		t.Fatalf("a discarded draft became an appeal: %+v", drafts)
	}
}

// TestRealWindowEvent records an event with the mouse as a secretary does
// after a hearing: every folded section of the form opened and filled (the
// agenda, the participants' table, a speaker, a decision, a follow-up
// action and a link), then every drop-down swept (the action's status
// too); the saved event read back with keneshctl; its follow-up action
// marked done; the event deleted after the question and restored; an
// appeal begun from it, received there.
func TestRealWindowEvent(t *testing.T) {
	r := newRig(t)
	data := demoStore(t)
	a := r.run(data, "ky")
	a.unlock()
	lang := "ky"
	a.page("events")
	r.mark("unlocked")

	// An event recorded with the mouse: every folded section opened and
	// filled, a speaker and a follow-up action added, then every
	// drop-down swept (the follow-up's status too).
	a.clickButton(a.T("action.new_event"))
	a.waitFor("the event form", func(d uiprobe.Dump) bool { return d.Title == a.T("event.new_title") })
	eventTitle := "Көчмө кабыл алуу: Ат-Башы айылы"
	a.typeInto("event.title", eventTitle)
	a.typeInto("event.start_time", "10:30")
	a.typeInto("event.duration_minutes", "90")
	a.typeInto("event.village", "Ат-Башы")
	a.openFold(a.T("field.agenda"))
	a.typeInto("event.agenda", "Жер маселелери")
	a.openFold(a.T("event.sec_participants"))
	counts := map[string]string{"citizens.female": "12", "citizens.male": "9", "journalists.unspecified": "2", "officials.male": "3"}
	for _, k := range []string{"citizens.female", "citizens.male", "journalists.unspecified", "officials.male"} {
		a.typeInto("event.participants."+k, counts[k])
	}
	a.openFold(a.T("field.speakers"))
	a.clickButton(a.T("event.add_speaker"))
	speaker := "Эсенова Бурул"
	a.typeAt("the speaker's name", nth("entry", "speakers.speaker_name", 0, 0), speaker)
	a.typeAt("the speaker's role", nth("entry", "speakers.speaker_role", 0, 0), "Юрист")
	a.openFold(a.T("event.sec_outcome"))
	decision := "Айыл өкмөтүнө кайрылуу жиберилсин"
	a.typeInto("event.decisions", decision)
	a.clickButton(a.T("event.add_followup"))
	action, owner := "Кайрылуу даярдоо", "Катчы"
	a.typeAt("the action", nth("entry", "followups.followup_action", 0, 0), action)
	a.typeAt("the action's owner", nth("entry", "followups.followup_owner", 0, 0), owner)
	a.typeAt("the action's due day", nth("entry", "followups.followup_due", 0, 0), "15.01.2027")
	a.typeInto("event.media_links", "https://kenesh.kg/news/1")
	if n := a.sweepForm("the event form"); n < 6 {
		a.fail("the event form has %d drop-downs", n)
	}
	kindName := term(refdata.EventKinds, "mobile_reception", lang)
	a.choose("event.kind", kindName)
	a.chooseAt("the action's status", nth("select", "followups.followup_status", 0, 0), term(refdata.FollowupStatuses, "open", lang))
	a.screenshot("event-form")
	a.clickButton(a.T("action.save"))
	d := a.waitFor("the saved event", func(d uiprobe.Dump) bool { return d.Title == a.T("event.title") })
	for _, want := range []string{kindName, eventTitle, speaker, decision, action} {
		if !shows(d, want) {
			a.fail("the saved event does not show %q", want)
		}
	}
	a.screenshot("event-saved")
	a.clickButton(a.T("event.mark_done"))
	done := term(refdata.FollowupStatuses, "done", lang)
	a.waitFor("the action done", func(d uiprobe.Dump) bool {
		_, btn := find(d, "button", text(a.T("event.mark_done")))
		return !btn && shows(d, action+" — "+owner) && shows(d, done)
	})

	// Deleted (after a question) and restored.
	a.clickButton(a.T("action.delete"))
	a.waitFor("the delete question", func(d uiprobe.Dump) bool { return d.Dialogs == 1 && shows(d, a.T("record.delete_text")) })
	a.click("button", func(it uiprobe.Item) bool { return it.Layer == 1 && it.Text == a.T("action.delete") }, "the dialog's delete")
	a.waitFor("the event deleted", func(d uiprobe.Dump) bool { return d.Dialogs == 0 && shows(d, a.T("record.deleted")) })
	a.clickButton(a.T("action.restore"))
	a.waitFor("the event restored", func(d uiprobe.Dump) bool {
		_, edit := find(d, "button", text(a.T("action.edit")))
		return edit && !shows(d, a.T("record.deleted"))
	})

	// An appeal begun from the event: received there, as the form shows.
	a.clickButton(a.T("action.new_appeal_from_event"))
	a.waitFor("the appeal form from the event", func(d uiprobe.Dump) bool {
		it, ok := find(d, "select", named("appeal.channel"))
		return d.Title == a.T("appeal.new_title") && ok && it.Text == term(refdata.AppealChannels, "at_event", lang)
	})
	a.clickButton(a.T("action.cancel"))
	a.waitFor("back to the event", func(d uiprobe.Dump) bool { return d.Title == a.T("event.title") && d.Dialogs == 0 })

	r.mark("an event recorded, done, deleted, restored")
	a.key("ctrl+q")
	a.waitExit("Ctrl+Q")

	type count_ struct{ Female, Male, Unspecified int }
	var events []struct {
		Title, Kind, Agenda, Village, Language string
		Start                                  string `json:"start_time"`
		Duration                               int    `json:"duration_minutes"`
		Participants                           map[string]count_
		Speakers                               []struct{ Name, Role string }
		Decisions                              []string
		FollowUps                              []struct{ Action, Owner, Due, Status string } `json:"followups"`
		Media                                  []string                                      `json:"media_links"`
	}
	if err := json.Unmarshal(ctl(t, r.keneshctl, data, "event", "list", "--text", "Ат-Башы айылы", "--full"), &events); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Fatalf("the event saved with the mouse: %d found", len(events))
	}
	e := events[0]
	if e.Kind != "mobile_reception" || e.Title != eventTitle || e.Start != "10:30" || e.Duration != 90 || e.Village != "Ат-Башы" ||
		e.Agenda != "Жер маселелери" || e.Participants["citizens"] != (count_{Female: 12, Male: 9}) ||
		e.Participants["journalists"] != (count_{Unspecified: 2}) || e.Participants["officials"] != (count_{Male: 3}) ||
		len(e.Speakers) != 1 || e.Speakers[0].Name != speaker || e.Speakers[0].Role != "Юрист" ||
		len(e.Decisions) != 1 || e.Decisions[0] != decision || len(e.FollowUps) != 1 || e.FollowUps[0].Action != action ||
		e.FollowUps[0].Owner != owner || e.FollowUps[0].Due != "2027-01-15" || e.FollowUps[0].Status != "done" ||
		len(e.Media) != 1 || e.Media[0] != "https://kenesh.kg/news/1" {
		t.Fatalf("the event saved with the mouse reads back as %+v", e)
	}
}

// TestRealWindowAppeal records an appeal with the mouse and takes it
// through its dialogs: every drop-down of the form swept, its folded
// section opened, then the choices that matter made and read back with
// keneshctl; its workflow steps (Enter confirms the first, the dialog's
// button the next); a legal consultation; its publication with the preview
// (the public summary, no name or contacts); an edit given up through the
// discard question; a scan attached through Fyne's open dialog (read back
// byte for byte), a photo too, a copy of it saved through the save dialog
// and compared, then removed after a question; then a conflict kept as
// the other laptop wrote it and another written by hand.
func TestRealWindowAppeal(t *testing.T) {
	r := newRig(t)
	data := demoStore(t)
	photo := pngPhoto(t)
	if err := os.MkdirAll(filepath.Join(r.home, stick), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.home, stick, "сүрөт.png"), photo, 0o600); err != nil {
		t.Fatal(err)
	}
	a := r.run(data, "ky")
	a.unlock()
	lang := "ky"
	a.page("appeals")
	r.mark("unlocked")

	// An appeal recorded with the mouse: every drop-down swept, then the
	// choices that matter, read back at the end.
	a.clickButton(a.T("action.new_appeal"))
	a.waitFor("the appeal form", func(d uiprobe.Dump) bool { return d.Title == a.T("appeal.new_title") })
	if n := a.sweepForm("the appeal form"); n < 9 {
		a.fail("the appeal form has %d drop-downs", n)
	}
	a.openFold(a.T("field.vulnerable_groups"))
	for _, g := range []string{"disability", "rural_remote"} {
		name := term(refdata.VulnerableGroups, g, lang)
		a.click("check", text(name), "the box "+name)
		a.waitFor(name+" ticked", func(d uiprobe.Dump) bool { it, ok := find(d, "check", text(name)); return ok && it.Checked })
	}
	channel, category, gender := term(refdata.AppealChannels, "phone", lang), term(refdata.RightCategories, "police_justice", lang),
		term(refdata.Genders, "male", lang)
	a.choose("appeal.channel", channel)
	a.choose("appeal.category", category)
	a.choose("appeal.gender", gender)
	// The rest of the form's drop-downs; the region's districts follow it.
	age, authority := term(refdata.AgeGroups, "30_44", lang), term(refdata.Authorities, "police", lang)
	region, _ := refdata.Default().Region("KG-N")
	district, _, _ := refdata.Default().District("KG-N-ATB")
	a.choose("appeal.age_group", age)
	a.choose("appeal.authority", authority)
	a.choose("appeal.language", "Русский")
	a.choose("appeal.oblast", region.Names.In(lang))
	a.choose("appeal.district", district.Names.In(lang))
	name, phone, summary := "Токтогулов Эрмек", "+996 555 123 456", "Милиция арызды каттоодон баш тартты ң ө ү Ң Ө Ү"
	a.typeInto("appeal.appellant.name", name)
	a.typeInto("appeal.appellant.phone", phone)
	a.typeInto("appeal.summary", summary)
	a.screenshot("appeal-form")
	a.clickButton(a.T("action.save"))
	d := a.waitFor("the saved appeal", func(d uiprobe.Dump) bool { return strings.HasPrefix(d.Title, a.T("appeal.title")+" ") })
	regNo := strings.TrimPrefix(d.Title, a.T("appeal.title")+" ")
	for _, want := range []string{channel, category, gender, age, authority, district.Names.In(lang), name, summary, a.T("status.received"),
		term(refdata.VulnerableGroups, "rural_remote", lang)} {
		if !shows(d, want) {
			a.fail("the saved appeal does not show %q", want)
		}
	}
	a.screenshot("appeal-saved")
	r.mark("an appeal recorded")

	// A scan attached with the mouse, through Fyne's open dialog; its
	// content is read back with keneshctl at the end.
	scan := bytes.Repeat([]byte("Арыздын сканы: ң ө ү. "), 20_000)
	if err := os.MkdirAll(filepath.Join(r.home, stick), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.home, stick, "арыз-сканы.pdf"), scan, 0o644); err != nil {
		t.Fatal(err)
	}
	a.clickButton(a.T("files.attach"))
	a.pickFile("арыз-сканы")
	a.waitFor("the scan attached", func(d uiprobe.Dump) bool { return d.Dialogs == 0 && shows(d, "арыз-сканы.pdf") })
	a.screenshot("appeal-file")
	r.mark("a file attached")

	// Workflow steps: the first confirmed with Enter, the next two with
	// the dialog's button.
	step := func(to, note string, enter bool) {
		t.Helper()
		a.clickButton(a.T("workflow.to." + to))
		a.typeInto("appeal.note", note)
		if enter {
			a.key("Return")
		} else {
			a.clickButton(a.T("workflow.apply"))
		}
		a.waitFor("the step to "+to, func(d uiprobe.Dump) bool {
			st, ok := find(d, "label", text(a.T("status."+to)))
			return d.Dialogs == 0 && ok && visible(st)
		})
	}
	step("under_review", "Катчы карайт", true)
	a.screenshot("appeal-step")
	step("fact_checking", "Фактылар текшерилет", false)
	step("verified", "Тастыкталды", false)

	// A legal consultation, logged from its dialog.
	a.clickButton(a.T("consult.action"))
	consultant := "Юрист Асанова"
	a.typeInto("appeal.consultations.consultant", consultant)
	a.typeInto("appeal.consultations.summary", "Арыз жазууга жардам берилди")
	a.screenshot("consultation")
	a.clickButton(a.T("action.save"))
	a.waitFor("the consultation logged", func(d uiprobe.Dump) bool { return d.Dialogs == 0 && shows(d, consultant) })

	// Publication: the preview shows the public summary and none of the
	// appellant's name or contacts (no consent); marked ready.
	a.clickButton(a.T("publication.action"))
	public := "Милиция арызды каттоодон баш тартты"
	a.typeInto("appeal.public_summary", public)
	d = a.waitFor("the preview", func(d uiprobe.Dump) bool { return d.Dialogs == 1 && showsOn(d, 1, public) })
	for _, private := range []string{name, phone} {
		if showsOn(d, 1, private) {
			a.fail("the publication preview shows %q", private)
		}
	}
	a.click("check", text(a.T("field.ready_for_publication")), "ready for publication")
	a.waitFor("ready ticked", func(d uiprobe.Dump) bool {
		it, ok := find(d, "check", text(a.T("field.ready_for_publication")))
		return ok && it.Checked
	})
	a.screenshot("publication")
	a.clickButton(a.T("action.save"))
	a.waitFor("marked ready", func(d uiprobe.Dump) bool { return d.Dialogs == 0 && shows(d, a.T("field.ready_for_publication")) })

	// An edit given up: the form asks before dropping what was typed.
	a.clickButton(a.T("action.edit"))
	a.waitFor("the edit form", func(d uiprobe.Dump) bool { return d.Title == a.T("appeal.edit_title", "regno", regNo) })
	if n := a.sweepForm("the appeal's edit form"); n < 8 { // the council is not changed after
		a.fail("the appeal's edit form has %d drop-downs", n)
	}
	a.typeInto("appeal.summary", "Бул өзгөртүү сакталбайт")
	a.clickButton(a.T("action.cancel"))
	a.waitFor("the discard question", func(d uiprobe.Dump) bool { return d.Dialogs == 1 && shows(d, a.T("form.discard_text")) })
	a.screenshot("discard-asks")
	a.clickButton(a.T("form.discard"))
	a.waitFor("the appeal as it was", func(d uiprobe.Dump) bool {
		return d.Dialogs == 0 && d.Title == a.T("appeal.title")+" "+regNo && shows(d, summary)
	})
	r.mark("the appeal's dialogs")

	// A photo of the written complaint, attached from the stick through
	// Fyne's open dialog; a copy saved through its save dialog (the home
	// folder, the name it offers); then removed after a question. Its
	// buttons are those under its name (the scan has its own).
	a.clickButton(a.T("files.attach"))
	a.pickFile("сүрөт")
	a.waitFor("the photo attached", func(d uiprobe.Dump) bool { return shows(d, "сүрөт.png") && shows(d, a.T("files.type.photo")) })
	a.screenshot("attached")
	a.clickAt("the photo's "+a.T("files.save_copy"), under("сүрөт.png", a.T("files.save_copy")))
	d = a.waitFor("the save dialog", func(d uiprobe.Dump) bool {
		it, ok := find(d, "entry", text("сүрөт.png"))
		return ok && it.Layer >= 1
	})
	a.placesTranslated(d)
	a.clickButton(a.T("Save"))
	copied := filepath.Join(r.home, "сүрөт.png")
	a.waitFor("the copy saved", func(d uiprobe.Dump) bool { return showsOn(d, topLayer(d), a.T("files.saved", "file", copied)) })
	a.clickButton(a.T("action.close"))
	if got, err := os.ReadFile(copied); err != nil || !bytes.Equal(got, photo) {
		t.Fatalf("the saved copy of the photo: %d bytes, %v", len(got), err)
	}
	a.clickAt("the photo's "+a.T("files.remove"), under("сүрөт.png", a.T("files.remove")))
	a.waitFor("the question", func(d uiprobe.Dump) bool {
		return d.Dialogs == 1 && showsOn(d, 1, a.T("files.remove_text", "name", "сүрөт.png"))
	})
	a.click("button", func(it uiprobe.Item) bool { return it.Layer == 1 && it.Text == a.T("files.remove") }, "the dialog's remove")
	a.waitFor("the photo removed", func(d uiprobe.Dump) bool {
		_, photo := find(d, "label", text("сүрөт.png")) // the history still names it
		_, scan := find(d, "label", text("арыз-сканы.pdf"))
		return d.Dialogs == 0 && !photo && scan
	})
	r.mark("a photo attached, saved, removed")

	// Conflicts: one kept as the other laptop wrote it, the other written
	// by hand.
	a.clickNav("conflicts")
	count := func(d uiprobe.Dump) int {
		n := 0
		for _, it := range d.Items {
			if it.Kind == "button" && it.Text == a.T("conflicts.keep") {
				n++
			}
		}
		return n
	}
	d = a.waitFor("two conflicts", func(d uiprobe.Dump) bool { return count(d) == 4 })
	var keep []uiprobe.Item
	for _, it := range d.Items {
		if it.Kind == "button" && it.Text == a.T("conflicts.keep") {
			keep = append(keep, it)
		}
	}
	a.move(d, keep[1].X+keep[1].W/2, keep[1].Y+keep[1].H/2)
	a.xdo("click", "1")
	a.waitFor("one conflict left", func(d uiprobe.Dump) bool { return count(d) == 2 })
	a.screenshot("conflict-resolved")
	a.clickButton(a.T("conflicts.merge"))
	merged := "Катчы менен борбор бирге тактаган текст"
	a.typeInto("appeal.value", merged)
	a.screenshot("conflict-merge")
	a.clickButton(a.T("action.save"))
	a.waitFor("no conflict left", func(d uiprobe.Dump) bool { return d.Dialogs == 0 && count(d) == 0 && shows(d, a.T("conflicts.none")) })
	r.mark("conflicts")

	// The Materials page, with the mouse.
	a.page("materials")
	a.screenshot("materials")
	a.key("ctrl+q")
	a.waitExit("Ctrl+Q")

	// What was saved with the mouse, as the core reads it.
	var saved struct {
		Channel, Category, Gender, Summary, Status, Authority, Language, Oblast, District string
		AgeGroup                                                                          string   `json:"age_group"`
		Vulnerable                                                                        []string `json:"vulnerable_groups"`
		Ready                                                                             bool     `json:"ready_for_publication"`
		PublicSummary                                                                     string   `json:"public_summary"`
		Appellant                                                                         struct{ Name, Phone string }
		Consultations                                                                     []struct{ Consultant string }
	}
	if err := json.Unmarshal(ctl(t, r.keneshctl, data, "appeal", "show", regNo), &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Channel != "phone" || saved.Category != "police_justice" || saved.Gender != "male" ||
		saved.Summary != summary || saved.Appellant.Name != name || saved.Appellant.Phone != phone || saved.Status != "verified" ||
		saved.AgeGroup != "30_44" || saved.Authority != "police" || saved.Language != "ru" || saved.Oblast != "KG-N" || saved.District != "KG-N-ATB" ||
		strings.Join(saved.Vulnerable, ",") != "disability,rural_remote" || !saved.Ready || saved.PublicSummary != public ||
		len(saved.Consultations) != 1 || saved.Consultations[0].Consultant != consultant {
		t.Fatalf("the appeal saved with the mouse reads back as %+v", saved)
	}
	got := filepath.Join(t.TempDir(), "scan.pdf")
	ctl(t, r.keneshctl, data, "appeal", "attachment", regNo, "арыз-сканы.pdf", "--out", got)
	if b, err := os.ReadFile(got); err != nil || !bytes.Equal(b, scan) {
		t.Fatalf("the file attached with the mouse reads back as %d bytes (%v), want %d", len(b), err, len(scan))
	}
	var merges []struct{ Summary string }
	if err := json.Unmarshal(ctl(t, r.keneshctl, data, "appeal", "list", "--text", "бирге тактаган"), &merges); err != nil || len(merges) != 1 {
		t.Fatalf("the conflict written by hand: %+v %v", merges, err)
	}
	if out := ctl(t, r.keneshctl, data, "conflicts", "list"); strings.TrimSpace(string(out)) != "[]" && strings.TrimSpace(string(out)) != "null" {
		t.Fatalf("conflicts left: %s", out)
	}
}

// pngPhoto is a small picture, as a phone's photo of a paper would be.
func pngPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{R: uint8(x * 4), G: uint8(y * 5), B: 120, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// under locates the button showing label that comes first below the
// text name (a file's own buttons, under its name).
func under(name, label string) locator {
	return func(d uiprobe.Dump) (uiprobe.Item, bool) {
		n, ok := find(d, "label", text(name))
		if !ok {
			return uiprobe.Item{}, false
		}
		var best uiprobe.Item
		found := false
		for _, it := range d.Items {
			if it.Kind == "button" && it.Text == label && it.Layer == n.Layer && it.Y > n.Y && (!found || it.Y < best.Y) {
				best, found = it, true
			}
		}
		return best, found
	}
}
