package guitest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
	"github.com/kenesh/kenesh/shared/refdata"
)

// The folder a secretary keeps backups in: a USB stick, here a folder of
// the app's home directory, chosen in Fyne's file dialogs.
const stick = "флешка"

// beside locates the button showing label in the row of the entry named
// entry (two Browse buttons share a page).
func beside(label, entry string) locator {
	return func(d uiprobe.Dump) (uiprobe.Item, bool) {
		e, ok := find(d, "entry", named(entry))
		if !ok {
			return uiprobe.Item{}, false
		}
		for _, it := range d.Items {
			mid, emid := it.Y+it.H/2, e.Y+e.H/2
			if it.Kind == "button" && it.Text == label && it.Layer == e.Layer && mid > emid-e.H/2-4 && mid < emid+e.H/2+4 {
				return it, true
			}
		}
		return uiprobe.Item{}, false
	}
}

// pickFile chooses a file in Fyne's open dialog: into the stick's folder
// when the dialog does not open there, then the file whose name (shown
// without its extension) begins with prefix, then Open.
func (a *app) pickFile(prefix_ string) {
	a.t.Helper()
	d := a.waitFor("the file dialog", func(d uiprobe.Dump) bool { _, ok := find(d, "file", prefix("")); return ok })
	a.placesTranslated(d)
	if _, ok := find(d, "file", prefix(prefix_)); !ok {
		a.click("file", text(stick), "the folder "+stick)
		// Fyne shows the folder's files in the same cells: a click on the
		// file where the folder was, within a double click's time, would
		// open it at once.
		time.Sleep(600 * time.Millisecond)
	}
	a.click("file", prefix(prefix_), "the file "+prefix_)
	a.clickButton(a.T("Open"))
	a.waitFor("the file dialog closed", func(d uiprobe.Dump) bool { _, ok := find(d, "file", prefix("")); return !ok })
}

// placesTranslated fails unless the file dialog on top names its places
// (Home, Computer) in the interface's language (the person's PDF's once
// did not).
func (a *app) placesTranslated(d uiprobe.Dump) {
	a.t.Helper()
	top := topLayer(d)
	if a.T("Home") == "Home" {
		return
	}
	if !showsOn(d, top, a.T("Home")) || showsOn(d, top, "Home") || showsOn(d, top, "Computer") {
		a.fail("the file dialog's places are not in the interface's language")
	}
}

// TestRealWindowDialogs is a secretary's laptop meeting the world through
// the app's dialogs: enrollment with a wrong code (a clear error beside
// it), then with a real one against a real kenesh-syncserver on 127.0.0.1
// (the status bar then says everything was sent); web submissions sent
// through the server's public form, pulled into the home screen's inbox
// and registered (the right chosen in the dialog), joined to that appeal,
// and refused as spam; a trainer's guide come with the sync, marked read
// and a copy saved through Fyne's save dialog; a person's data request
// saved as a PDF through
// Fyne's save dialog; a backup made into a folder chosen in Fyne's folder
// dialog, restored from the file chosen in its open dialog, and opened.
// What each did is read back from the server, the files and keneshctl.
func TestRealWindowDialogs(t *testing.T) {
	r := newRig(t)
	srv := r.startServer()
	srv.addCouncil()
	// A laptop that worked offline: its council defined by hand, an
	// appeal recorded.
	l := r.newLaptop(nil, "", "", "Ат-Башы кеңешинин ноутбугу")
	l.ctl("council", "add", "--code", council, "--name", councilName, "--oblast", councilOblast, "--district", "KG-N-ATB")
	l.ctl("council", "home", council)
	person, phone := "Жумабаева Айпери", "+996 700 111 222"
	l.ctlIn(`{"council":"`+council+`","channel":"in_person","oblast":"KG-N","category":"land_property","appellant":{"name":"`+person+
		`","phone":"`+phone+`"},"summary":"Жер тилкеси мыйзамсыз тартылып алынды"}`, "appeal", "add")
	if err := os.Mkdir(filepath.Join(r.home, stick), 0o755); err != nil {
		t.Fatal(err)
	}
	// A trainer's guide waiting on the server.
	guide := bytes.Repeat([]byte("Укук боюнча колдонмо ң ө ү. "), 2_000)
	guideFile := filepath.Join(t.TempDir(), "укук-колдонмо.pdf")
	if err := os.WriteFile(guideFile, guide, 0o600); err != nil {
		t.Fatal(err)
	}
	trainer := r.newLaptop(srv, "trainer", "", "Тренер Айгерим")
	guideTitle := "Укуктарды коргоо боюнча колдонмо"
	trainer.ctl("material", "publish", guideFile, "--title", guideTitle, "--lang", "ky")
	trainer.ctl("sync")
	form := srv.openForm() // the server takes a form filled in no less than 3 s
	r.mark("a server, a laptop and a trainer's guide")

	a := r.run(l.data, "ky")
	a.unlock()
	a.page("settings")

	// Enrollment: a wrong code is refused beside the code, in words.
	a.typeInto("enroll.server", srv.URL)
	a.typeInto("enroll.code", "ABCD-EFGH")
	a.clickButton(a.T("enroll.action"))
	a.waitFor("the wrong code refused", func(d uiprobe.Dump) bool {
		it, ok := find(d, "label", text(a.T("problem.bad_code")))
		return ok && visible(it)
	})
	a.screenshot("enroll-wrong-code")
	a.typeInto("enroll.code", srv.code("secretary", council, "Ат-Башы кеңешинин ноутбугу"))
	a.clickButton(a.T("enroll.action"))
	a.waitFor("enrolled, and everything sent", func(d uiprobe.Dump) bool {
		return shows(d, srv.URL) && shows(d, a.T("sync.state.idle")) && shows(d, a.T("sync.pending", "n", 0))
	})
	a.screenshot("enrolled-synced")
	r.mark("enrolled")

	// Web submissions: pulled into the inbox at the next sync.
	texts := []string{"Айылда таза суу жок\nБалдар ооруп жатышат.", "Арзан насыя сунуштайбыз", "Суу маселеси боюнча дагы кайрылам"}
	form.send(texts[0], "Осмонова Гүлзат", "+996 555 010 203")
	for _, text := range texts[1:] {
		srv.openForm().send(text, "Садыков Бакыт", "+996 555 040 506")
	}
	a.page("home")
	a.clickButton(a.T("sync.now"))
	a.waitFor("the inbox", func(d uiprobe.Dump) bool { return shows(d, a.T("inbox.title", "n", 3)) })
	a.screenshot("inbox")
	title := func(text string) string { first, _, _ := strings.Cut(text, "\n"); return first }
	open := func(text string) {
		t.Helper()
		a.click("link", func(it uiprobe.Item) bool { return strings.HasSuffix(it.Text, " · "+title(text)) }, "the submission "+title(text))
		a.waitFor("the submission", func(d uiprobe.Dump) bool { return d.Dialogs == 1 && showsOn(d, 1, a.T("inbox.dialog")) })
	}

	// Registered as an appeal, under the right chosen in the dialog.
	open(texts[0])
	if n := a.sweep("the submission"); n != 1 {
		a.fail("the submission's dialog has %d drop-downs", n)
	}
	water := term(refdata.RightCategories, "health", "ky")
	a.choose("appeal.category", water)
	a.screenshot("submission")
	a.click("button", func(it uiprobe.Item) bool { return it.Layer == 1 && it.Text == a.T("inbox.register") }, "register")
	d := a.waitFor("the appeal registered", func(d uiprobe.Dump) bool {
		return d.Dialogs == 0 && strings.HasPrefix(d.Title, a.T("appeal.title")+" ") && shows(d, "Осмонова Гүлзат")
	})
	regNo := strings.TrimPrefix(d.Title, a.T("appeal.title")+" ")
	if !shows(d, water) {
		a.fail("the registered appeal does not show its right %q", water)
	}

	// Joined to that appeal, by its number.
	a.page("home")
	open(texts[2])
	a.click("button", func(it uiprobe.Item) bool { return it.Layer == 1 && it.Text == a.T("inbox.merge") }, "join")
	a.typeInto("submission.appeal", regNo)
	a.screenshot("submission-join")
	a.click("button", func(it uiprobe.Item) bool { return it.Layer == 1 && it.Text == a.T("inbox.merge") }, "join it")
	a.waitFor("joined", func(d uiprobe.Dump) bool { return d.Dialogs == 0 && shows(d, a.T("inbox.title", "n", 1)) })

	// Refused as spam.
	open(texts[1])
	a.click("button", func(it uiprobe.Item) bool { return it.Layer == 1 && it.Text == a.T("inbox.refuse") }, "refuse")
	a.waitFor("the refusal", func(d uiprobe.Dump) bool { _, ok := find(d, "select", named("submission.refusal")); return ok })
	if n := a.sweep("the refusal"); n != 1 {
		a.fail("the refusal's dialog has %d drop-downs", n)
	}
	a.choose("submission.refusal", a.T("inbox.reason.spam"))
	a.typeInto("submission.note", "Жарнама")
	a.click("button", func(it uiprobe.Item) bool { return it.Layer == 1 && it.Text == a.T("inbox.refuse") }, "refuse it")
	a.waitFor("the inbox empty", func(d uiprobe.Dump) bool { return d.Dialogs == 0 && !shows(d, a.T("inbox.title", "n", 1)) })
	a.clickButton(a.T("sync.now"))
	a.waitFor("everything sent", func(d uiprobe.Dump) bool {
		return shows(d, a.T("sync.state.idle")) && shows(d, a.T("sync.pending", "n", 0))
	})
	r.mark("the inbox")

	// The trainer's guide, come by itself with the sync: marked read, and a
	// copy saved through Fyne's save dialog.
	a.page("materials")
	a.waitFor("the guide here", func(d uiprobe.Dump) bool { return shows(d, guideTitle) && shows(d, a.T("materials.here")) })
	a.clickButton(a.T("materials.mark_read"))
	a.waitFor("the guide read", func(d uiprobe.Dump) bool { return shows(d, a.T("materials.here")+" · "+a.T("materials.read")) })
	a.clickButton(a.T("files.save_copy"))
	d = a.waitFor("the save dialog", func(d uiprobe.Dump) bool {
		it, ok := find(d, "entry", text("укук-колдонмо.pdf"))
		return ok && it.Layer >= 1
	})
	a.placesTranslated(d)
	a.screenshot("material-save")
	a.clickButton(a.T("Save"))
	copied := filepath.Join(r.home, "укук-колдонмо.pdf")
	a.waitFor("the copy saved", func(d uiprobe.Dump) bool { return showsOn(d, topLayer(d), a.T("files.saved", "file", copied)) })
	a.clickButton(a.T("action.close"))
	if got, err := os.ReadFile(copied); err != nil || !bytes.Equal(got, guide) {
		t.Fatalf("the saved copy of the guide: %d bytes, %v", len(got), err)
	}
	r.mark("the trainer's guide")

	// A person's data request, saved as a PDF where Fyne's save dialog
	// says (the home folder, the name it offers).
	a.page("settings")
	a.clickButton(a.T("person.action"))
	a.typeInto("person-query", "Жумабаева")
	a.key("Return")
	a.waitFor("the person found", func(d uiprobe.Dump) bool { return showsOn(d, 1, person) })
	a.clickButton(a.T("person.save_pdf"))
	d = a.waitFor("the save dialog", func(d uiprobe.Dump) bool {
		it, ok := find(d, "entry", prefix("kenesh-"))
		return ok && it.Layer == 2 && strings.HasSuffix(it.Text, ".pdf")
	})
	name, _ := find(d, "entry", prefix("kenesh-"))
	a.placesTranslated(d)
	a.screenshot("person-save")
	a.clickButton(a.T("Save"))
	pdf := filepath.Join(r.home, name.Text)
	a.waitFor("the PDF saved", func(d uiprobe.Dump) bool { return shows(d, a.T("person.saved", "file", pdf)) })
	if st, err := os.Stat(pdf); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the person's PDF: %v %v", st, err)
	}
	if txt, err := exec.Command("pdftotext", pdf, "-").Output(); err != nil || !strings.Contains(string(txt), person) {
		t.Fatalf("the person's PDF does not name them (%v):\n%s", err, txt)
	}
	a.clickButton(a.T("action.close"))
	a.waitFor("the dialog closed", func(d uiprobe.Dump) bool { return d.Dialogs == 0 })
	r.mark("the person's PDF")

	// A backup into the folder chosen in Fyne's folder dialog.
	a.clickAt("Browse for the backup", beside(a.T("action.browse"), "backup.file"))
	a.placesTranslated(a.waitFor("the folder dialog", func(d uiprobe.Dump) bool { _, ok := find(d, "file", text(stick)); return ok }))
	a.click("file", text(stick), "the folder "+stick)
	a.clickButton(a.T("Open"))
	d = a.waitFor("the backup's folder chosen", func(d uiprobe.Dump) bool {
		it, ok := find(d, "entry", named("backup.file"))
		return d.Dialogs == 0 && ok && filepath.Dir(it.Text) == filepath.Join(r.home, stick)
	})
	file, _ := find(d, "entry", named("backup.file"))
	a.typeInto("backup.passphrase", passphrase)
	a.clickButton(a.T("settings.backup_now"))
	a.waitFor("the backup made", func(d uiprobe.Dump) bool { return shows(d, a.T("settings.backup_done", "file", file.Text)) })
	a.screenshot("backup-made")
	if st, err := os.Stat(file.Text); err != nil || st.Size() == 0 {
		t.Fatalf("the backup: %v %v", st, err)
	}
	r.mark("a backup")

	// Restored from the file chosen in Fyne's open dialog, and opened.
	a.clickAt("Browse for the backup to restore", beside(a.T("action.browse"), "restore.file"))
	a.pickFile("kenesh-backup-")
	a.waitFor("the backup chosen", func(d uiprobe.Dump) bool {
		it, ok := find(d, "entry", named("restore.file"))
		return ok && it.Text == file.Text
	})
	d, _ = a.dump()
	dir, _ := find(d, "entry", named("restore.dir"))
	a.typeInto("restore.passphrase", passphrase)
	a.clickButton(a.T("restore.action"))
	a.itemAt("the restored store's button", on("button", text(a.T("settings.open_restored")))) // in view
	a.screenshot("restored")
	a.clickButton(a.T("settings.open_restored"))
	a.waitFor("the restored store open", func(d uiprobe.Dump) bool { return d.Title == a.T("home.title") })
	a.page("settings")
	a.waitFor("its folder in Settings", func(d uiprobe.Dump) bool { return shows(d, dir.Text) })
	a.key("ctrl+q")
	a.waitExit("Ctrl+Q")
	r.mark("restored")

	// What the server and the stores hold.
	if pending, enrolled, last := l.status(); pending != 0 || !enrolled || last == "" {
		t.Fatalf("the laptop: %d pending, enrolled %v, last sync %q", pending, enrolled, last)
	}
	restored := laptop{r: r, data: dir.Text}
	for _, store := range []laptop{l, restored} {
		var got []struct {
			RegNo    string `json:"reg_no"`
			Category string
		}
		if err := json.Unmarshal(store.ctl("appeal", "list", "--text", "таза суу", "--full"), &got); err != nil || len(got) != 1 ||
			got[0].RegNo != regNo || got[0].Category != "health" {
			t.Fatalf("the registered appeal in %s: %+v %v", store.data, got, err)
		}
	}
	var materials []struct {
		Title string
		Read  bool
	}
	if err := json.Unmarshal(l.ctl("material", "list"), &materials); err != nil || len(materials) != 1 || materials[0].Title != guideTitle ||
		!materials[0].Read {
		t.Fatalf("the guide on the laptop: %+v %v", materials, err)
	}
	var inbox []struct{ Status string }
	if err := json.Unmarshal(l.ctl("inbox", "list", "--status", "all"), &inbox); err != nil {
		t.Fatal(err)
	}
	handled := map[string]int{}
	for _, s := range inbox {
		handled[s.Status]++
	}
	if len(inbox) != 3 || handled["registered"] != 1 || handled["merged"] != 1 || handled["refused"] != 1 {
		t.Fatalf("the inbox after handling: %+v", inbox)
	}
}
