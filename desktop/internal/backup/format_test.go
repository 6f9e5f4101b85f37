package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/backup"
	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
)

// TestRestoreFormat0 restores a backup made by keneshctl 0.4.0 (built from
// commit 6015dea, before stores kept their format): a secretary's laptop,
// enrolled with a local server, with an appeal moved under review and an
// event, all synced (the commands are in the commit that added the file).
// It comes back whole, migrated to this release's format.
func TestRestoreFormat0(t *testing.T) {
	ctx := context.Background()
	core, _, err := backup.Restore(ctx, filepath.Join("testdata", "golden", "store-format0.kenesh"),
		filepath.Join(t.TempDir(), "restored"), "golden-passphrase", app.Options{KDF: keyfile.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	f, err := core.Store.Format()
	if err != nil || f.Format < 1 {
		t.Fatalf("format after restoring a backup of format 0: %+v %v", f, err)
	}
	id, err := core.Records.AppealByRegNo("NRN-ATB-2026-QTSF-0001")
	if err != nil {
		t.Fatal(err)
	}
	a, err := core.Records.Appeal(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Appellant.Name != "Токтогулов Эрмек" || a.Status != "under_review" || a.Summary != "Милиция арызды каттоодон баш тартты" {
		t.Fatalf("the appeal: %+v", a)
	}
	evs, _ := core.Records.List(records.Filter{Kind: "event"})
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	e, err := core.Records.Enrollment(ctx)
	if err != nil || e.Council != "NRN-ATB" || e.Role != "secretary" {
		t.Fatalf("enrollment: %+v %v", e, err)
	}
	if core.Records.Seq() != 3 {
		t.Fatalf("seq %d, want 3", core.Records.Seq())
	}
}

// TestRestoreNewerFormat: a backup of a later release's format is refused
// with what to do, and leaves nothing in the directory.
func TestRestoreNewerFormat(t *testing.T) {
	ctx := context.Background()
	opts := app.Options{KDF: keyfile.TestParams}
	core, err := app.Init(ctx, filepath.Join(t.TempDir(), "src"), pass, "Талас ноутбугу", opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := core.Store.SetMeta(ctx, map[string][]byte{"format": []byte(`{"format":42,"release":"2.0.0"}`)}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "newer.kbk")
	if _, err := backup.Write(ctx, core, pass, file); err != nil {
		t.Fatal(err)
	}
	core.Close()
	dst := filepath.Join(t.TempDir(), "dst")
	_, _, err = backup.Restore(ctx, file, dst, pass, opts)
	if !errors.Is(err, store.ErrNewerFormat) || !strings.Contains(err.Error(), "install Kenesh 2.0.0 or newer") ||
		strings.Contains(err.Error(), "damaged") {
		t.Fatalf("restore of a newer backup: %v", err)
	}
	if entries, _ := os.ReadDir(dst); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}
