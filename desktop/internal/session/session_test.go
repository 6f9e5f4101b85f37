package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/shared/domain"
)

var testOpts = Options{KDF: keyfile.TestParams}

func TestCreateLockUnlockBackupRestore(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if Exists(dir) {
		t.Fatal("empty dir reported as a store")
	}
	s, err := Create(ctx, dir, "correct horse battery", "Test laptop", testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if !Exists(dir) {
		t.Fatal("created store not found")
	}
	s.StartSync()
	if _, err := s.Records().AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckPassphrase("wrong one!"); Code(err) != ProblemWrongPassphrase {
		t.Fatalf("wrong passphrase: %v (%s)", err, Code(err))
	}
	if err := s.CheckPassphrase("correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Enroll(ctx, "ftp://x", "code"); Code(err) != ProblemBadURL {
		t.Fatalf("bad url: %v", err)
	}
	if _, _, err := s.Enroll(ctx, "http://remote.invalid:7480", "code"); Code(err) != ProblemPlainHTTP {
		t.Fatalf("plain HTTP to another computer: %v (%s)", err, Code(err))
	}
	if _, _, err := s.Enroll(ctx, "http://127.0.0.1:1", "code"); Code(err) != ProblemUnreachable {
		t.Fatalf("unreachable: %v (%s)", err, Code(err))
	}
	file := filepath.Join(t.TempDir(), BackupName(s.Records().Device().Created))
	if _, err := s.Backup(ctx, "not the passphrase", file); Code(err) != ProblemWrongPassphrase {
		t.Fatalf("backup with a wrong passphrase: %v", err)
	}
	if _, err := s.Backup(ctx, "correct horse battery", file); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangePassphrase("correct horse battery", "a new passphrase here"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Unlock(ctx, dir, "correct horse battery", testOpts); Code(err) != ProblemWrongPassphrase {
		t.Fatalf("old passphrase: %v", err)
	}
	s2, err := Unlock(ctx, dir, "a new passphrase here", testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unlock(ctx, dir, "a new passphrase here", testOpts); Code(err) != ProblemInUse {
		t.Fatalf("second open: %v (%s)", err, Code(err))
	}
	s2.Close()

	// Restore into a directory that already holds the settings file.
	dir2 := filepath.Join(t.TempDir(), "restored")
	os.MkdirAll(dir2, 0o700)
	os.WriteFile(filepath.Join(dir2, "settings.json"), []byte(`{"language":"ru"}`), 0o600)
	if _, _, err := Restore(ctx, file, dir2, "wrong passphrase", testOpts); Code(err) != ProblemWrongPassphrase {
		t.Fatalf("restore wrong passphrase: %v (%s)", err, Code(err))
	}
	s3, _, err := Restore(ctx, file, dir2, "correct horse battery", testOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	cs, _ := s3.Records().Councils(ctx)
	if len(cs) != 1 {
		t.Fatalf("restored councils: %v", cs)
	}
	if b, err := os.ReadFile(filepath.Join(dir2, "settings.json")); err != nil || string(b) != `{"language":"ru"}` {
		t.Fatalf("settings after restore: %q %v", b, err)
	}
	if _, _, err := Restore(ctx, file, dir2, "correct horse battery", testOpts); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("restore over a store: %v", err)
	}
}

func TestEstimate(t *testing.T) {
	for _, c := range []struct {
		p    string
		want Strength
	}{
		{"short", TooShort},
		{"сырсөз", TooShort}, // 6 letters, 12 bytes: the rule counts letters
		{"password123", Weak},
		{"12345678", Weak},
		{"aaaaaaaaaaaa", Weak},
		{"Naryn2026!", Fair},
		{"кызыл алма тоодо жашыл", Strong},
		{"Tr0ub4dor&3xyzQ!", Strong},
	} {
		if got := Estimate(c.p); got != c.want {
			t.Errorf("Estimate(%q) = %d, want %d", c.p, got, c.want)
		}
	}
}

// TestBackupNameInBishkekTime: the suggested name carries the time the
// screens show (Bishkek, UTC+6), whatever zone the laptop's clock is in.
func TestBackupNameInBishkekTime(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 25, 13, 0, 0, 0, time.FixedZone("CET", 3600)),
	} {
		if got, want := BackupName(now), "kenesh-backup-2026-11-25-1800.kenesh"; got != want {
			t.Errorf("BackupName(%v) = %s, want %s", now, got, want)
		}
	}
}
