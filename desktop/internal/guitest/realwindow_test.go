package guitest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/showcase"
	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
	"github.com/kenesh/kenesh/shared/refdata"
)

// shotsDir is where a run keeps its screenshots: $KENESH_GUITEST_SHOTS,
// else .guitest/ at the top of the repository. They are removed when the
// test passes and kept when it fails.
func shotsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KENESH_GUITEST_SHOTS")
	if dir == "" {
		wd, _ := os.Getwd()
		dir = filepath.Join(wd, "..", "..", "..", ".guitest")
	}
	dir, _ = filepath.Abs(dir)
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			_ = os.RemoveAll(dir)
		}
	})
	return dir
}

// demoStore makes a store with demo records and two conflicts.
func demoStore(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	err := showcase.Create(context.Background(), data, showcase.Options{Passphrase: passphrase, DeviceName: "Сынак ноутбугу",
		Appeals: 60, Events: 20, Seed: 3, Conflicts: 2, Session: session.Options{KDF: keyfile.TestParams}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func term(list refdata.List, code, lang string) string {
	t, ok := refdata.Default().Term(list, code)
	if !ok {
		panic("no term " + code)
	}
	return t.Names.In(lang)
}

// unlock types the passphrase on the unlock (or lock) screen and waits
// for the main screens.
func (a *app) unlock() {
	a.t.Helper()
	a.typeInto("passphrase", passphrase)
	a.key("Return")
	a.waitFor("the main screens", func(d uiprobe.Dump) bool {
		_, ok := find(d, "button", text(a.T("nav.home")))
		return ok && !d.Locked
	})
}

// clickNav clicks a section in the navigation (its label may carry a count).
func (a *app) clickNav(sec string) {
	a.t.Helper()
	a.click("button", prefix(a.T("nav."+sec)), "section "+sec)
}

// TestRealWindow is a secretary's day with a mouse, in the real kenesh
// binary in a real X window (Xvfb, 1366×768): every page, every drop-down
// of the lists and settings, an appeal and an event recorded with the
// mouse and read back with keneshctl, a workflow step confirmed with
// Enter, a conflict resolved, the language switched, lock and unlock
// over an open dialog.
// It fails if the app dies or logs a panic; the screenshots of a failed
// run stay in .guitest/ (see shotsDir).
func TestRealWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("the real-window test takes a minute or two; run it without -short")
	}
	tools(t)
	kenesh, keneshctl := binaries(t)
	shots := shotsDir(t)
	data := demoStore(t)
	x := startX(t)

	a := run(t, x, kenesh, data, "ky", shots)
	a.waitFor("the unlock screen", func(d uiprobe.Dump) bool { _, ok := find(d, "entry", named("passphrase")); return ok })
	a.screenshot("unlock")
	a.unlock()
	a.screenshot("home")

	// Every page, from the navigation.
	for _, sec := range []string{"events", "appeals", "conflicts", "settings", "home"} {
		a.clickNav(sec)
		want := a.T("nav." + sec)
		if sec == "home" {
			want = a.T("home.title")
		}
		a.waitFor("the "+sec+" page", func(d uiprobe.Dump) bool { return d.Title == want })
		a.screenshot(sec)
	}

	// Every drop-down of both lists: open it, pick the last option, then
	// "any" again (the list follows each choice).
	for _, kind := range []string{"events", "appeals"} {
		a.clickNav(kind)
		a.waitFor("the "+kind+" page", func(d uiprobe.Dump) bool { return d.Title == a.T("nav."+kind) })
		for _, f := range []string{"status", "category", "period", "oblast", "council"} {
			name := kind + ".filter." + f
			d, _ := a.dump()
			it, ok := find(d, "select", named(name))
			if !ok {
				if kind == "events" && f == "status" {
					continue
				}
				a.fail("no drop-down %s", name)
			}
			a.choose(name, it.Options[len(it.Options)-1])
			a.choose(name, it.Options[0])
		}
		a.screenshot(kind + "-filtered")
	}

	// An appeal recorded with the mouse: the drop-downs show what was
	// chosen, the record page shows what was saved.
	lang := "ky"
	a.clickButton(a.T("action.new_appeal"))
	a.waitFor("the appeal form", func(d uiprobe.Dump) bool { return d.Title == a.T("appeal.new_title") })
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
	name, summary := "Токтогулов Эрмек", "Милиция арызды каттоодон баш тартты ң ө ү Ң Ө Ү"
	a.typeInto("appeal.appellant.name", name)
	a.typeInto("appeal.summary", summary)
	a.screenshot("appeal-form")
	a.clickButton(a.T("action.save"))
	d := a.waitFor("the saved appeal", func(d uiprobe.Dump) bool { return strings.HasPrefix(d.Title, a.T("appeal.title")+" ") })
	regNo := strings.TrimPrefix(d.Title, a.T("appeal.title")+" ")
	for _, want := range []string{channel, category, gender, age, authority, district.Names.In(lang), name, summary, a.T("status.received")} {
		if !shows(d, want) {
			a.fail("the saved appeal does not show %q", want)
		}
	}
	a.screenshot("appeal-saved")

	// A workflow step: its dialog, a note, Enter confirms.
	a.clickButton(a.T("workflow.to.under_review"))
	a.typeInto("appeal.note", "Катчы карайт")
	a.key("Return")
	a.waitFor("the step applied", func(d uiprobe.Dump) bool {
		_, dialog := find(d, "entry", named("appeal.note"))
		st, ok := find(d, "label", text(a.T("status.under_review")))
		return !dialog && ok && visible(st)
	})
	a.screenshot("appeal-step")

	// An event recorded with the mouse.
	a.clickButton(a.T("action.new_event"))
	a.waitFor("the event form", func(d uiprobe.Dump) bool { return d.Title == a.T("event.new_title") })
	kindName := term(refdata.EventKinds, "mobile_reception", lang)
	a.choose("event.kind", kindName)
	eventTitle := "Көчмө кабыл алуу: Ат-Башы айылы"
	a.typeInto("event.title", eventTitle)
	a.clickButton(a.T("action.save"))
	d = a.waitFor("the saved event", func(d uiprobe.Dump) bool { return d.Title == a.T("event.title") })
	for _, want := range []string{kindName, eventTitle} {
		if !shows(d, want) {
			a.fail("the saved event does not show %q", want)
		}
	}
	a.screenshot("event-saved")

	// A conflict resolved: keep the other laptop's value.
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

	// Settings: the idle lock and text size drop-downs, then the language.
	a.clickNav("settings")
	a.waitFor("settings", func(d uiprobe.Dump) bool { return d.Title == a.T("nav.settings") })
	a.choose("settings-idle", a.T("settings.idle_minutes", "n", 30))
	a.choose("settings-scale", "115 %")
	a.choose("settings-scale", "100 %")
	a.clickButton("Русский")
	a.tr = l10n.MustLoad().In("ru")
	lang = "ru"
	a.waitFor("the Russian interface", func(d uiprobe.Dump) bool {
		_, ok := find(d, "button", text(a.T("nav.appeals")))
		return ok && d.Title == a.T("nav.settings")
	})
	a.screenshot("russian")

	// Lock (Ctrl+L) over an open dialog that shows a person's data and
	// holds what was typed: the lock screen shows neither, the unlock gives
	// both back as they were.
	a.clickButton(a.T("person.action"))
	a.typeInto("person-query", "Токтогулов")
	a.key("Return")
	a.waitFor("the person found", func(d uiprobe.Dump) bool { return shows(d, name) })
	a.key("ctrl+l")
	d = a.waitFor("the lock screen", func(d uiprobe.Dump) bool { return d.Locked })
	a.screenshot("locked")
	if d.Dialogs != 0 || shows(d, "Токтогулов") || shows(d, a.T("person.title")) {
		a.fail("the lock screen shows %d dialogs, the person's name %v", d.Dialogs, shows(d, "Токтогулов"))
	}
	a.unlock()
	a.waitFor("the dialog back with its text", func(d uiprobe.Dump) bool {
		it, ok := find(d, "entry", named("person-query"))
		return ok && it.Text == "Токтогулов" && shows(d, name) && d.Dialogs == 1
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
	kept := strings.TrimSpace(strings.Split(a.T("draft.saved", "time", "\x00"), "\x00")[0])
	a.waitFor("the draft kept", func(d uiprobe.Dump) bool { _, ok := find(d, "label", prefix(kept)); return ok })
	a.screenshot("draft-kept")
	_ = a.cmd.Process.Kill()
	<-a.exited

	a = run(t, x, kenesh, data, "ru", shots)
	a.unlock()
	a.waitFor("the draft offered", func(d uiprobe.Dump) bool { return shows(d, a.T("draft.found_title")) })
	a.screenshot("draft-offered")
	a.clickButton(a.T("draft.continue"))
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

	var saved struct {
		Channel, Category, Gender, Summary, Status, Authority, Language, Oblast, District string
		AgeGroup                                                                          string `json:"age_group"`
		Appellant                                                                         struct{ Name string }
	}
	if err := json.Unmarshal(ctl(t, keneshctl, data, "appeal", "show", regNo), &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Channel != "phone" || saved.Category != "police_justice" || saved.Gender != "male" ||
		saved.Summary != summary || saved.Appellant.Name != name || saved.Status != "under_review" ||
		saved.AgeGroup != "30_44" || saved.Authority != "police" || saved.Language != "ru" || saved.Oblast != "KG-N" || saved.District != "KG-N-ATB" {
		t.Fatalf("the appeal saved with the mouse reads back as %+v", saved)
	}
	var events []struct{ Title, Kind string }
	if err := json.Unmarshal(ctl(t, keneshctl, data, "event", "list", "--text", "Ат-Башы айылы", "--full"), &events); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Kind != "mobile_reception" || events[0].Title != eventTitle {
		t.Fatalf("the event saved with the mouse reads back as %+v", events)
	}
	_ = lang
	var drafts []struct{ Summary string }
	if err := json.Unmarshal(ctl(t, keneshctl, data, "appeal", "list", "--text", "тилкеси тартылып"), &drafts); err != nil {
		t.Fatal(err)
	}
	if len(drafts) != 0 {
		t.Fatalf("a discarded draft became an appeal: %+v", drafts)
	}
}
