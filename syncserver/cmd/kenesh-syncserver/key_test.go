package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func runCLIEnv(ctx context.Context, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(ctx, &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}, args)
	return code, out.String(), errb.String()
}

// The data key: made beside the data directory at the first start (0600),
// required and checked afterwards, rotated on a stopped server.
func TestDataKeyFile(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dir := filepath.Join(root, "srv")
	admin := func(args ...string) (int, string, string) {
		return runCLI(ctx, append([]string{"admin", "--data", dir}, args...)...)
	}
	if code, _, errs := admin("council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы", "--oblast", "KG-N"); code != 0 {
		t.Fatalf("first start: %s", errs)
	}
	st, err := os.Stat(dir + ".key")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	keyBytes, _ := os.ReadFile(dir + ".key")

	if code, _, errs := admin("--key-file", filepath.Join(dir, "k"), "council", "list"); code != 1 || !strings.Contains(errs, "inside the data directory") {
		t.Fatalf("a key file inside the data: %d %s", code, errs)
	}
	other := filepath.Join(root, "other.key")
	if code, _, errs := runCLI(ctx, "admin", "--data", filepath.Join(root, "x"), "--key-file", other, "council", "list"); code != 0 {
		t.Fatalf("another server: %s", errs)
	}
	if code, _, errs := admin("--key-file", other, "council", "list"); code != 1 || !strings.Contains(errs, "does not open") {
		t.Fatalf("a wrong key: %d %s", code, errs)
	}
	os.Rename(dir+".key", dir+".key.away")
	if code, _, errs := admin("council", "list"); code != 1 || !strings.Contains(errs, "missing") || !strings.Contains(errs, "put that file back") {
		t.Fatalf("a missing key: %d %s", code, errs)
	}
	if _, err := os.Stat(dir + ".key"); err == nil {
		t.Fatal("a new key was made for encrypted data")
	}
	os.Rename(dir+".key.away", dir+".key")

	code, out, errs := runCLI(ctx, "rotate-key", "--data", dir)
	if code != 0 || !strings.Contains(out, "old_key_file") {
		t.Fatalf("rotate-key: %d %s %s", code, out, errs)
	}
	now, _ := os.ReadFile(dir + ".key")
	if bytes.Equal(now, keyBytes) {
		t.Fatal("the key did not change")
	}
	olds, _ := filepath.Glob(dir + ".key.old-*")
	if len(olds) != 1 {
		t.Fatalf("old key files: %v", olds)
	}
	if code, _, errs := admin("--key-file", olds[0], "council", "list"); code != 1 || !strings.Contains(errs, "does not open") {
		t.Fatalf("the old key after rotation: %d %s", code, errs)
	}
	if code, out, errs := admin("council", "list"); code != 0 || !strings.Contains(out, "NRN-ATB") {
		t.Fatalf("the new key: %d %s %s", code, out, errs)
	}
}

// Backups to a recipient the operator names, or a passphrase: restored
// with its identity, into a store with a new key.
func TestBackupToARecipientOrPassphrase(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dir := filepath.Join(root, "srv")
	if code, _, errs := runCLI(ctx, "admin", "--data", dir, "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N"); code != 0 {
		t.Fatal(errs)
	}
	id, _ := age.GenerateX25519Identity()
	idFile := filepath.Join(root, "backup-identity.txt")
	os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
	backup := filepath.Join(root, "b.kbk")
	if code, out, errs := runCLI(ctx, "admin", "--data", dir, "backup", "--recipient", id.Recipient().String(), backup); code != 0 || !strings.Contains(out, "1 recipient") {
		t.Fatalf("backup to a recipient: %d %s %s", code, out, errs)
	}
	// The server's own key does not open it; the recipient's identity does.
	if code, _, errs := runCLI(ctx, "restore", "--data", filepath.Join(root, "r0"), "--key-file", dir+".key", backup); code != 1 || !strings.Contains(errs, "--identity") {
		t.Fatalf("restore with the server's key: %d %s", code, errs)
	}
	r1 := filepath.Join(root, "r1")
	if code, _, errs := runCLI(ctx, "restore", "--data", r1, "--identity", idFile, backup); code != 0 {
		t.Fatalf("restore with the identity: %s", errs)
	}
	if code, out, _ := runCLI(ctx, "admin", "--data", r1, "council", "list"); code != 0 || !strings.Contains(out, "Ат-Башы коомдук кеңеши") {
		t.Fatalf("the restored store (with its new key %s.key): %s", r1, out)
	}

	if code, _, errs := runCLI(ctx, "admin", "--data", dir, "backup", "--passphrase", filepath.Join(root, "x.kbk")); code != 2 || !strings.Contains(errs, "KENESH_BACKUP_PASSPHRASE") {
		t.Fatalf("--passphrase without one: %d %s", code, errs)
	}
	if raceBuild {
		t.Log("the passphrase backup is not run under -race: its scrypt takes seconds there")
		return
	}
	env := map[string]string{"KENESH_BACKUP_PASSPHRASE": "a long backup passphrase"}
	pb := filepath.Join(root, "p.kbk")
	if code, out, errs := runCLIEnv(ctx, env, "admin", "--data", dir, "backup", "--passphrase", pb); code != 0 || !strings.Contains(out, "passphrase") {
		t.Fatalf("backup to a passphrase: %d %s %s", code, out, errs)
	}
	if code, _, errs := runCLIEnv(ctx, map[string]string{"KENESH_BACKUP_PASSPHRASE": "wrong"}, "restore", "--data", filepath.Join(root, "r2"), pb); code != 1 {
		t.Fatalf("restore with a wrong passphrase: %d %s", code, errs)
	}
	if code, _, errs := runCLIEnv(ctx, env, "restore", "--data", filepath.Join(root, "r3"), pb); code != 0 {
		t.Fatalf("restore with the passphrase: %s", errs)
	}
}
