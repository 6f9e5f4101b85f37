package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/backup"
	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/records"
)

const pass = "backup-test-passphrase"

func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	opts := app.Options{KDF: keyfile.TestParams}
	src := filepath.Join(t.TempDir(), "src")
	core, err := app.Init(ctx, src, pass, "Талас ноутбугу", opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, core.Records, demo.Options{Appeals: 300, Events: 40, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	want, _ := core.Records.List(records.Filter{Kind: "appeal"})
	file := filepath.Join(t.TempDir(), "kenesh.kbk")
	if _, err := backup.Write(ctx, core, pass, file); err != nil {
		t.Fatal(err)
	}
	seq := core.Records.Seq()
	core.Close()

	t.Run("wrong passphrase", func(t *testing.T) {
		_, _, err := backup.Restore(ctx, file, filepath.Join(t.TempDir(), "x"), "not-the-passphrase", opts)
		if !errors.Is(err, keyfile.ErrWrongPassphrase) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("into a non-empty directory", func(t *testing.T) {
		if _, _, err := backup.Restore(ctx, file, src, pass, opts); err == nil {
			t.Fatal("restored over an existing store")
		}
	})
	t.Run("cut off", func(t *testing.T) {
		b, _ := os.ReadFile(file)
		for _, n := range []int{100, len(b) / 2, len(b) - 10} {
			cut := filepath.Join(t.TempDir(), "cut.kbk")
			os.WriteFile(cut, b[:n], 0o600)
			dst := filepath.Join(t.TempDir(), "dst")
			if _, _, err := backup.Restore(ctx, cut, dst, pass, opts); err == nil {
				t.Fatalf("a backup cut at %d of %d bytes was restored", n, len(b))
			}
		}
	})
	t.Run("not a backup", func(t *testing.T) {
		junk := filepath.Join(t.TempDir(), "junk")
		os.WriteFile(junk, []byte("hello"), 0o600)
		if _, _, err := backup.Restore(ctx, junk, filepath.Join(t.TempDir(), "d"), pass, opts); !errors.Is(err, backup.ErrNotBackup) {
			t.Fatalf("got %v", err)
		}
	})

	dst := filepath.Join(t.TempDir(), "restored")
	restored, h, err := backup.Restore(ctx, file, dst, pass, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if h.Seq != seq || restored.Records.Seq() != seq {
		t.Fatalf("sequence: header %d, restored %d, want %d", h.Seq, restored.Records.Seq(), seq)
	}
	got, _ := restored.Records.List(records.Filter{Kind: "appeal"})
	if len(got) != len(want) {
		t.Fatalf("restored %d appeals, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].RegNo != want[i].RegNo || got[i].Status != want[i].Status {
			t.Fatalf("appeal %d differs: %+v vs %+v", i, got[i], want[i])
		}
	}
	a, err := restored.Records.Appeal(ctx, want[0].ID)
	if err != nil || a.Summary == "" {
		t.Fatalf("restored appeal: %v %v", a, err)
	}
}
