package guitest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
)

// TestRealWindowFirstRun is a laptop's first start, twice, each on an
// empty folder: the language chosen (the next screens follow it), a store
// made (a passphrase too short refused, then two that differ, then one),
// the enrollment screen left for working offline, the home screen; then a
// laptop replaced after a theft: its backup restored from the first
// screens, the file picked in Fyne's open dialog, and its records there.
func TestRealWindowFirstRun(t *testing.T) {
	r := newRig(t)
	// The backup of the laptop that was stolen, on the stick.
	old := r.newLaptop(nil, "", "", "Эски ноутбук")
	old.ctl("demo", "--appeals", "7", "--events", "3", "--seed", "5", "-q")
	if err := os.Mkdir(filepath.Join(r.home, stick), 0o755); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(r.home, stick, "kenesh-backup-2026-11-30-1800.kenesh")
	old.ctl("backup", backup)

	// A new laptop: the language first, then the store.
	fresh := filepath.Join(t.TempDir(), "data")
	a := r.run(fresh, "ky")
	a.waitFor("the language screen", func(d uiprobe.Dump) bool { return shows(d, a.T("firstrun.choose_language")) })
	a.screenshot("firstrun-language")
	a.clickButton("Русский")
	a.tr = l10n.MustLoad().In("ru")
	a.waitFor("the store's screen in Russian", func(d uiprobe.Dump) bool { return shows(d, a.T("firstrun.create_title")) })
	a.typeInto("store.device", "Ноутбук Нарынского совета")
	a.typeInto("store.passphrase", "сырсөз") // six letters, twelve bytes
	a.typeInto("store.again", "сырсөз")
	a.clickButton(a.T("firstrun.create"))
	a.waitFor("too short", func(d uiprobe.Dump) bool {
		return shows(d, a.T("problem.short_passphrase", "n", keyfile.MinPassphraseLen))
	})
	a.typeInto("store.passphrase", passphrase)
	a.typeInto("store.again", passphrase+"!")
	a.clickButton(a.T("firstrun.create"))
	a.waitFor("they differ", func(d uiprobe.Dump) bool { return shows(d, a.T("firstrun.mismatch")) })
	a.screenshot("firstrun-create")
	a.typeInto("store.again", passphrase)
	a.clickButton(a.T("firstrun.create"))
	a.waitFor("the enrollment screen", func(d uiprobe.Dump) bool { return shows(d, a.T("enroll.title")) })
	a.screenshot("firstrun-enroll")
	a.clickButton(a.T("enroll.offline"))
	a.waitFor("the home screen", func(d uiprobe.Dump) bool { return d.Title == a.T("home.title") })
	a.tour("first-run", "ru")
	a.key("ctrl+q")
	a.waitExit("Ctrl+Q")
	var st struct {
		Device   struct{ Name string }
		Enrolled bool
	}
	if err := json.Unmarshal(ctl(t, r.keneshctl, fresh, "status"), &st); err != nil || st.Device.Name != "Ноутбук Нарынского совета" || st.Enrolled {
		t.Fatalf("the store made on the first run: %+v %v", st, err)
	}
	r.mark("a store made on the first run")

	// A laptop replacing a stolen one: restored from the backup.
	replaced := filepath.Join(t.TempDir(), "data")
	a = r.run(replaced, "ky")
	a.waitFor("the language screen", func(d uiprobe.Dump) bool { return shows(d, a.T("firstrun.choose_language")) })
	a.clickButton("Кыргызча")
	a.clickButton(a.T("firstrun.have_backup"))
	a.waitFor("the restore screen", func(d uiprobe.Dump) bool { return shows(d, a.T("restore.title")) })
	a.clickAt("Browse for the backup", beside(a.T("action.browse"), "restore.file"))
	a.pickFile("kenesh-backup-")
	a.waitFor("the backup chosen", func(d uiprobe.Dump) bool {
		it, ok := find(d, "entry", named("restore.file"))
		return ok && it.Text == backup
	})
	a.typeInto("restore.passphrase", passphrase)
	a.screenshot("firstrun-restore")
	a.clickButton(a.T("restore.action"))
	a.waitFor("the enrollment screen", func(d uiprobe.Dump) bool { return shows(d, a.T("enroll.title")) })
	a.clickButton(a.T("enroll.offline"))
	a.waitFor("the home screen", func(d uiprobe.Dump) bool { return d.Title == a.T("home.title") && shows(d, "Эски ноутбук") })
	a.page("appeals")
	a.waitFor("its appeals", func(d uiprobe.Dump) bool { return shows(d, a.T("list.count_appeals", "n", 7)) })
	a.key("ctrl+q")
	a.waitExit("Ctrl+Q")
	var appeals []json.RawMessage
	if err := json.Unmarshal(ctl(t, r.keneshctl, replaced, "appeal", "list"), &appeals); err != nil || len(appeals) != 7 {
		t.Fatalf("the restored store holds %d appeals (%v)", len(appeals), err)
	}
	if out := string(ctl(t, r.keneshctl, replaced, "status")); !strings.Contains(out, "Эски ноутбук") {
		t.Fatalf("the restored store is not the stolen laptop's:\n%s", out)
	}
	r.mark("a store restored on the first run")
}
