package ui

import (
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
)

// probeFind is the probe's item of kind showing text, on the top layer.
func probeFind(h *harness, kind, text string) (ProbeItem, bool) {
	var found ProbeItem
	ok := false
	for _, it := range h.u.Probe().Items {
		if it.Kind == kind && it.Text == text && (!ok || it.Layer >= found.Layer) {
			found, ok = it, true
		}
	}
	return found, ok
}

// probeTap taps where the probe says an item is, as the real-window test
// clicks there.
func probeTap(h *harness, it ProbeItem) {
	test.TapCanvas(h.win.Canvas(), fyne.NewPos(it.X+it.W/2, it.Y+it.H/2))
	h.drain()
}

// The probe sees what Fyne's own widgets draw, where a person clicks: a
// folded section's header (an accordion's, kept in its renderer), and the
// folders and files of Fyne's file dialog (types Fyne keeps private).
func TestProbeSeesFoldsAndFileDialogs(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	h.win.Resize(fyne.NewSize(1366, 1600)) // the whole form in view
	h.u.shell.newEvent()
	h.drain()
	header, ok := probeFind(h, "button", h.T("event.sec_participants"))
	if !ok {
		t.Fatal("the probe does not see the participants' folded section")
	}
	if _, ok := probeFind(h, "label", h.T("field.female")); ok {
		t.Fatal("the probe sees inside a folded section")
	}
	probeTap(h, header)
	if _, ok := probeFind(h, "label", h.T("field.female")); !ok {
		t.Fatal("a tap where the probe saw the header did not open the section")
	}

	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "флешка"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kenesh-backup.kenesh"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	var chosen string
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err == nil && r != nil {
			chosen = r.URI().Path()
			r.Close()
		}
	}, h.win)
	l, err := storage.ListerForURI(storage.NewFileURI(dir))
	if err != nil {
		t.Fatal(err)
	}
	d.SetLocation(l)
	d.Show()
	h.drain()
	if _, ok := probeFind(h, "file", "флешка"); !ok {
		t.Fatalf("the probe does not see the folder in the file dialog: %+v", h.u.Probe().Items)
	}
	file, ok := probeFind(h, "file", "kenesh-backup")
	if !ok {
		t.Fatal("the probe does not see the file in the file dialog")
	}
	probeTap(h, file)
	open, ok := probeFind(h, "button", "Ачуу")
	if !ok {
		t.Fatalf("no Open button in the file dialog: %+v", h.u.Probe().Items)
	}
	probeTap(h, open)
	if chosen != filepath.Join(dir, "kenesh-backup.kenesh") {
		t.Fatalf("chose %q", chosen)
	}
}
