package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/showcase"
	"github.com/kenesh/kenesh/desktop/internal/update"
	"github.com/kenesh/kenesh/shared/domain"
	rel "github.com/kenesh/kenesh/shared/release"
)

// TestRestartToUpdate: a release fetched and verified before is offered
// in the status bar and in Settings, in Kyrgyz; asked to restart, Kenesh
// asks first, and an installation that fails says so and leaves the
// window and the records as they were.
func TestRestartToUpdate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := showcase.Create(context.Background(), dir, showcase.Options{Passphrase: testPass, DeviceName: "Сынак ноутбугу",
		Appeals: 2, Seed: 7, Session: testSession}); err != nil {
		t.Fatal(err)
	}
	// A release 0.7.0, signed, fetched into the store's folder from a
	// server that serves it as kenesh-syncserver does.
	keys := t.TempDir()
	pub, err := rel.GenerateKey(filepath.Join(keys, "k"))
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := rel.LoadKey(filepath.Join(keys, "k"))
	file := filepath.Join(keys, "kenesh-0.7.0-linux-amd64.tar.xz")
	os.WriteFile(file, []byte("not an archive: the installation fails"), 0o644)
	m, _ := rel.Describe(file, "0.7.0", "linux", "amd64", time.Now())
	sig, _ := rel.Sign(priv, m)
	var offered atomic.Pointer[rel.Signature]
	offered.Store(sig)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == rel.PathLatest:
			json.NewEncoder(w).Encode(offered.Load())
		case r.URL.Path == rel.PathFile+m.SHA256:
			http.ServeFile(w, r, file)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	uo := update.Options{Keys: []rel.PublicKey{pub}, Current: "0.6.0", OS: "linux", Arch: "amd64"}
	fetch := uo
	fetch.Server, fetch.Dir = srv.URL, filepath.Join(dir, update.DirName)
	if _, err := update.New(fetch).Check(context.Background(), nil); err != nil {
		t.Fatal(err)
	}

	h := newHarness(t, dir, "ky", false)
	h.u.cfg.Session.Update = uo
	closed := false
	h.u.cfg.CloseWindow = func() { closed = true }
	h.u.UnlockWith(testPass)
	h.waitFor("home", func() bool { return h.u.shell != nil })
	ready := h.T("update.ready", "version", "0.7.0")
	if !strings.Contains(ready, "0.7.0") || !strings.Contains(ready, "Кеңеш") {
		t.Fatalf("the Kyrgyz text: %q", ready)
	}
	h.waitFor("the update offered", func() bool { return h.shows(ready) })
	if !h.u.shell.status.upd.box.Visible() {
		t.Fatal("the status bar's update row is hidden")
	}
	h.tap(h.T("update.restart"))
	h.mustShow(h.T("update.confirm", "version", "0.7.0"))
	// The dialog's own button (the status bar's is first).
	var yes *widget.Button
	for _, o := range h.objects() {
		if b, ok := o.(*widget.Button); ok && b.Visible() && b.Text == h.T("update.restart") {
			yes = b
		}
	}
	test.Tap(yes)
	failed := h.T("update.failed", "error", "")
	failed = failed[:strings.Index(failed, ":")]
	h.waitFor("the failure told", func() bool { return h.shows(failed) })
	if closed {
		t.Fatal("the window closed on a failed update")
	}
	if n, _ := h.u.sess.Records().Count(records.Filter{Kind: domain.KindAppeal}); n != 2 {
		t.Fatalf("%d appeals after a failed update", n)
	}

	// Settings says the same, and follows: once the release is gone
	// (installed by hand meanwhile, say), it says nothing is newer.
	h.u.shell.navigate(secSettings)
	h.drain()
	h.mustShow(h.T("settings.updates"))
	sp := h.u.shell.root(secSettings).(*settingsPage)
	if sp.updateText.Text != ready || !sp.updateRestart.Visible() {
		t.Fatalf("Settings: %q, restart shown %v", sp.updateText.Text, sp.updateRestart.Visible())
	}
	// The server now offers a release signed by another key: refused, and
	// Settings says why, with nothing to install.
	_, err = rel.GenerateKey(filepath.Join(keys, "other"))
	if err != nil {
		t.Fatal(err)
	}
	otherPriv, _ := rel.LoadKey(filepath.Join(keys, "other"))
	m8 := *m
	m8.Version = "0.8.0"
	bad, _ := rel.Sign(otherPriv, &m8)
	offered.Store(bad)
	if err := h.u.sess.Records().Enroll(t.Context(), records.Enrollment{Server: srv.URL, ServerID: "test",
		Token: "t", Role: "secretary", Council: h.firstCouncil().Code, Name: "Ноутбук", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if st := h.u.sess.Updates.CheckNow(context.Background()); st.State != update.StateRefused {
		t.Fatalf("a release signed by another key: %+v", st)
	}
	refused := h.T("update.refused", "reason", h.T("update.reason.untrusted"))
	h.waitFor("the refusal in Settings", func() bool { return sp.updateText.Text == refused })
	if sp.updateRestart.Visible() || h.u.shell.status.upd.box.Visible() {
		t.Fatal("a refused release is offered")
	}
}

// TestServerVersionInSettings: Settings shows the release the server says
// it runs, asked when the page opens, and says when it did not answer.
func TestServerVersionInSettings(t *testing.T) {
	h := unlocked(t, "ky", 1, 0, 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok","server_id":"test","proto":1,"min_proto":1,"cap":6,"dicts":[1],"version":"0.6.3"}`))
	}))
	if err := h.u.sess.Records().Enroll(t.Context(), records.Enrollment{Server: srv.URL, ServerID: "test",
		Token: "t", Role: "secretary", Council: h.firstCouncil().Code, Name: "Ноутбук", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if h.u.shell.status.upd.box.Visible() {
		t.Fatal("an update row with no update ready")
	}
	h.u.shell.navigate(secSettings)
	h.mustShow(h.T("settings.server_version"))
	h.waitFor("the server's version", func() bool { return h.shows("0.6.3") })
	srv.Close()
	// Drawn again (as when the language changes): asked again.
	h.u.shell.root(secSettings).(*settingsPage).draw()
	h.waitFor("no answer told", func() bool { return h.shows(h.T("settings.server_version_unknown")) })
}

// TestUpdateManaged: a Kenesh installed from the .deb (update.Options
// .Managed) says in Settings, in Kyrgyz, that a newer release is out and
// that its administrator updates it; it fetches none of it and offers no
// restart.
func TestUpdateManaged(t *testing.T) {
	keys := t.TempDir()
	pub, err := rel.GenerateKey(filepath.Join(keys, "k"))
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := rel.LoadKey(filepath.Join(keys, "k"))
	file := filepath.Join(keys, "kenesh-0.7.0-linux-amd64.tar.xz")
	os.WriteFile(file, []byte("the release"), 0o644)
	m, _ := rel.Describe(file, "0.7.0", "linux", "amd64", time.Now())
	sig, _ := rel.Sign(priv, m)
	var fetched atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == rel.PathLatest:
			json.NewEncoder(w).Encode(sig)
		case r.URL.Path == rel.PathFile+m.SHA256:
			fetched.Add(1)
			http.ServeFile(w, r, file)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	dir := filepath.Join(t.TempDir(), "data")
	if err := showcase.Create(context.Background(), dir, showcase.Options{Passphrase: testPass, DeviceName: "Сынак ноутбугу",
		Appeals: 1, Seed: 7, Session: testSession}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, "ky", false)
	// As session.start sets it for a program dpkg lists.
	h.u.cfg.Session.Update = update.Options{Keys: []rel.PublicKey{pub}, Current: "0.6.0", OS: "linux", Arch: "amd64", Managed: true}
	h.u.UnlockWith(testPass)
	h.waitFor("home", func() bool { return h.u.shell != nil })
	if err := h.u.sess.Records().Enroll(t.Context(), records.Enrollment{Server: srv.URL, ServerID: "test",
		Token: "t", Role: "secretary", Council: h.firstCouncil().Code, Name: "Ноутбук", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.navigate(secSettings)
	h.drain()
	sp := h.u.shell.root(secSettings).(*settingsPage)
	if st := h.u.sess.Updates.CheckNow(context.Background()); st.State != update.StateManaged || st.Version != "0.7.0" {
		t.Fatalf("the check: %+v", st)
	}
	told := h.T("update.managed", "version", "0.7.0")
	if !strings.Contains(told, "0.7.0") || !strings.Contains(told, "администратор") {
		t.Fatalf("the Kyrgyz text: %q", told)
	}
	h.waitFor("the release announced in Settings", func() bool { return sp.updateText.Text == told })
	if sp.updateRestart.Visible() || h.u.shell.status.upd.box.Visible() {
		t.Fatal("a package's Kenesh offers to restart to update")
	}
	if n := fetched.Load(); n != 0 {
		t.Fatalf("%d requests for the release's file", n)
	}
}
