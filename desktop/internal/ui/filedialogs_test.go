package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
)

// placesInLanguage fails unless the file dialog on top names its places
// (Home, …) in the interface's language: Fyne writes them in English, and
// translateFileDialog renames those of the dialog shown, so it must run
// after Show.
func placesInLanguage(t *testing.T, h *harness, which string) {
	t.Helper()
	if _, ok := probeFind(h, "label", h.T("Home")); !ok {
		t.Fatalf("%s: the file dialog's places are not in the interface's language: %+v", which, h.u.Probe().Items)
	}
	if _, ok := probeFind(h, "label", "Home"); ok {
		t.Fatalf("%s: the file dialog shows the place Home in English", which)
	}
}

// The file dialogs of attaching a file to a record and of publishing a
// material name their places in the interface's language.
func TestAttachAndPublishDialogsPlacesTranslated(t *testing.T) {
	h := unlocked(t, "ky", 1, 0, 0)
	list, _ := h.u.sess.Records().List(records.Filter{Kind: domain.KindAppeal})
	h.u.shell.push(newAppealDetail(h.u, list[0].ID))
	h.drain()
	h.tap(h.T("files.attach"))
	placesInLanguage(t, h, "attach a file")
	for _, o := range h.win.Canvas().Overlays().List() {
		o.Hide()
	}

	if err := h.u.sess.Records().Enroll(context.Background(), records.Enrollment{Server: "https://kenesh.example.kg", ServerID: "test",
		Token: "t", Role: domain.RoleTrainer, Name: "Тренер", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.rebuild()
	h.u.shell.show()
	h.u.shell.navigate(secMaterials)
	h.drain()
	h.tap(h.T("materials.publish"))
	h.tap(h.T("materials.choose_file"))
	placesInLanguage(t, h, "publish a material")
}

// The Materials page's size for downloads by themselves is seen whole:
// its words (a self-shortening hint in a row showed "…") and the choice
// (a Select is as wide as its placeholder: "20 МБ чей…").
func TestMaterialsAutoSizeWhole(t *testing.T) {
	for _, lang := range []string{"ky", "ru", "en"} {
		h := unlocked(t, lang, 0, 0, 0)
		h.u.shell.navigate(secMaterials)
		h.drain()
		label, ok := probeFind(h, "label", h.T("materials.auto"))
		if !ok || label.Cut {
			t.Fatalf("%s: the words of the automatic download's size are cut: %+v", lang, label)
		}
		var sel ProbeItem
		for _, it := range h.u.Probe().Items {
			if it.Kind == "select" && len(it.Options) > 0 && it.Options[len(it.Options)-1] == h.T("materials.auto_all") {
				sel = it
			}
		}
		need := fyne.MeasureText(sel.Text, theme.TextSize(), fyne.TextStyle{}).Width + theme.Size(theme.SizeNameInlineIcon)
		if sel.Text == "" || sel.W < need {
			t.Fatalf("%s: the size %q shows in %.0f, needs %.0f", lang, sel.Text, sel.W, need)
		}
	}
}
