package guitest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/showcase"
	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
	"github.com/kenesh/kenesh/shared/refdata"
)

// The steps the real-window tests share: unlocking, the navigation, a
// tour of every page with a screenshot each, folded sections.

// shotsDir is where a test keeps its screenshots: a folder named after it
// in $KENESH_GUITEST_SHOTS, else in .guitest/ at the top of the
// repository. They are removed when the test passes (unless
// KENESH_GUITEST_KEEP is set, to look at them) and kept when it fails.
func shotsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KENESH_GUITEST_SHOTS")
	if dir == "" {
		wd, _ := os.Getwd()
		dir = filepath.Join(wd, "..", "..", "..", ".guitest")
	}
	dir, _ = filepath.Abs(filepath.Join(dir, t.Name()))
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("KENESH_GUITEST_KEEP") == "" {
			_ = os.RemoveAll(dir)
			_ = os.Remove(filepath.Dir(dir)) // when empty
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
	a.clickAt("section "+sec, func(d uiprobe.Dump) (uiprobe.Item, bool) { return a.navButton(d, sec) })
}

// page goes to a section and waits for its page.
func (a *app) page(sec string) uiprobe.Dump {
	a.t.Helper()
	a.clickNav(sec)
	want := a.T("nav." + sec)
	if t := sec + ".title"; sec != "settings" && a.tr.Has(t) { // a page titled otherwise than its section
		want = a.T(t)
	}
	return a.waitFor("the "+sec+" page", func(d uiprobe.Dump) bool { return d.Title == want && d.Dialogs == 0 })
}

// sections are those the app may show in its navigation (a section a
// newer app adds is toured once it is named here).
var sections = []string{"home", "events", "appeals", "reports", "materials", "questionnaires", "conflicts", "settings"}

// navButton is the navigation's button of a section: the leftmost button
// showing its name (a page may hold one too: Settings on the home screen).
func (a *app) navButton(d uiprobe.Dump, sec string) (uiprobe.Item, bool) {
	var nav uiprobe.Item
	ok := false
	if !a.tr.Has("nav." + sec) {
		return nav, false
	}
	for _, it := range d.Items {
		if it.Kind == "button" && it.Layer == 0 && strings.HasPrefix(it.Text, a.T("nav."+sec)) && (!ok || it.X < nav.X) {
			nav, ok = it, true
		}
	}
	return nav, ok
}

// tour visits every section the navigation offers, in the order it lists
// them, and keeps a screenshot of each named role-language-section; it
// returns the sections. A page whose controls reach past the window's
// right edge (cut off, not scrolled) fails it.
func (a *app) tour(role, lang string) []string {
	a.t.Helper()
	d, _ := a.dump()
	var secs []string
	y := map[string]float32{}
	for _, sec := range sections {
		if it, ok := a.navButton(d, sec); ok {
			secs = append(secs, sec)
			y[sec] = it.Y
		}
	}
	slices.SortFunc(secs, func(p, q string) int { return int(y[p] - y[q]) })
	for _, sec := range secs {
		d := a.page(sec)
		a.screenshot(role + "-" + lang + "-" + sec)
		a.fits(d, role+" "+sec+" in "+lang)
	}
	return secs
}

// fits fails when something on the screen reaches past the window's right
// or bottom edge: cut off for good, since nothing scrolls there.
func (a *app) fits(d uiprobe.Dump, what string) {
	a.t.Helper()
	if s := max(d.Scale, 1); d.Width*s > screenW+0.5 || d.Height*s > screenH+0.5 {
		a.fail("%s: the window (%.0f×%.0f) is larger than the screen (%d×%d)", what, d.Width*s, d.Height*s, screenW, screenH)
	}
	for _, it := range d.Items {
		if it.Kind == "button" && it.Cut && visible(it) {
			a.fail("%s: the button %q is narrower than its text", what, it.Text)
		}
		if it.Kind == "menuitem" || (it.Text == "" && it.Kind != "select" && it.Kind != "entry") {
			continue
		}
		if it.X+it.W > d.Width+1 && it.Clip[2] >= d.Width-1 || it.Y+it.H > d.Height+1 && it.Clip[3] >= d.Height-1 {
			a.fail("%s: %s %q reaches past the window (%.0f,%.0f %.0f×%.0f in %.0f×%.0f)", what, it.Kind, it.Text,
				it.X, it.Y, it.W, it.H, d.Width, d.Height)
		}
	}
}

// openFold opens a folded section of a form by its header: the screen
// then shows more (the section's fields).
func (a *app) openFold(title string) {
	a.t.Helper()
	before, _ := a.dump()
	a.clickButton(title)
	a.waitFor("the section "+title+" open", func(d uiprobe.Dump) bool { return len(d.Items) > len(before.Items) })
}

// showsOn reports whether an item on the given layer shows s (in part).
func showsOn(d uiprobe.Dump, layer int, s string) bool {
	for _, it := range d.Items {
		if it.Layer == layer && strings.Contains(it.Text, s) {
			return true
		}
	}
	return false
}

// setLanguage switches the language in Settings.
func (a *app) setLanguage(lang string) {
	a.t.Helper()
	names := map[string]string{"ky": "Кыргызча", "ru": "Русский", "en": "English"}
	a.page("settings")
	a.clickButton(names[lang])
	a.tr = l10n.MustLoad().In(lang)
	a.waitFor("the interface in "+lang, func(d uiprobe.Dump) bool {
		_, ok := find(d, "button", prefix(a.T("nav.home")))
		return ok && d.Title == a.T("nav.settings")
	})
}

// demoAppellant is the name of an appellant the demo store holds.
func demoAppellant(t *testing.T, r *rig, data string) string {
	t.Helper()
	var list []struct {
		Anonymous bool
		Appellant *struct{ Name string }
	}
	if err := json.Unmarshal(ctl(t, r.keneshctl, data, "appeal", "list", "--full"), &list); err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if !a.Anonymous && a.Appellant != nil && strings.Count(a.Appellant.Name, " ") >= 1 && len([]rune(a.Appellant.Name)) > 8 {
			return a.Appellant.Name
		}
	}
	t.Fatal("no appellant with a name in the demo store")
	return ""
}
