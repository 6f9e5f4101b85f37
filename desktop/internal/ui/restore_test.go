package ui

import (
	"context"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"path/filepath"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/shared/domain"
)

// A new laptop restores the backup of a lost one from the first run.
func TestFirstRunRestoreBackup(t *testing.T) {
	ctx := context.Background()
	old := unlocked(t, "ru", 40, 5, 0)
	backup := filepath.Join(t.TempDir(), "usb.kenesh")
	if _, err := old.u.sess.Backup(ctx, testPass, backup); err != nil {
		t.Fatal(err)
	}
	want, _ := old.u.sess.Records().Count(records.Filter{Kind: domain.KindAppeal})

	dir := filepath.Join(t.TempDir(), "new-laptop")
	h := newHarness(t, dir, "ru", true)
	h.tap("Русский")
	h.tap(h.T("firstrun.have_backup"))
	h.mustShow(h.T("restore.title"))
	// Nothing chosen: said beside the field.
	h.tap(h.T("restore.action"))
	h.mustShow(h.T("err.required"))
	var file, pass *controls.Entry
	for _, o := range h.objects() {
		if e, ok := o.(*controls.Entry); ok && e.Visible() {
			if e.Password {
				pass = e
			} else {
				file = e
			}
		}
	}
	file.SetText(backup)
	pass.SetText("не тот пароль")
	h.tap(h.T("restore.action"))
	h.waitFor("refusal", func() bool { return h.shows(h.T("problem.wrong_passphrase")) })
	if session.Exists(dir) {
		t.Fatal("a failed restore left a store behind")
	}
	pass.SetText(testPass)
	h.tap(h.T("restore.action"))
	h.waitFor("enroll screen", func() bool { return h.shows(h.T("enroll.title")) })
	h.tap(h.T("enroll.offline"))
	h.waitFor("home", func() bool { return h.u.shell != nil })
	if got, _ := h.u.sess.Records().Count(records.Filter{Kind: domain.KindAppeal}); got != want {
		t.Fatalf("restored %d appeals, want %d", got, want)
	}
}
