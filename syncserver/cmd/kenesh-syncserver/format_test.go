package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// TestRestoreFormat0 restores a backup that kenesh-syncserver 0.4.0 made
// (commit 6015dea, before stores kept their format; admin backup
// --passphrase): the council NRN-ATB, a secretary's laptop enrolled and
// synced with an appeal and an event. It comes back whole, migrated to
// this release's format.
func TestRestoreFormat0(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "srv")
	keyFile := filepath.Join(t.TempDir(), "server.key")
	vars := map[string]string{envBackupPassphrase: "golden-server-backup"}
	cli := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(ctx, &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}, args); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	cli("restore", "--data", dir, "--key-file", keyFile, filepath.Join("testdata", "server-format0.kbk"))
	var devices []struct {
		Name, Council, Role string
		Acked               uint64
	}
	if err := json.Unmarshal([]byte(cli("admin", "--data", dir, "--key-file", keyFile, "devices")), &devices); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range devices {
		found = found || (d.Name == "Ат-Башы ноутбугу" && d.Council == "NRN-ATB" && d.Role == "secretary" && d.Acked == 3)
	}
	if !found {
		t.Fatalf("devices after restoring: %+v", devices)
	}
	if out := cli("admin", "--data", dir, "--key-file", keyFile, "council", "list"); !strings.Contains(out, "Ат-Башы коомдук кеңеши") {
		t.Fatalf("councils: %s", out)
	}
	key, err := serverkey.Load(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := badgerstore.Open(ctx, dir, badgerstore.Options{Small: true, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if f, err := s.Format(); err != nil || f.Format < 1 {
		t.Fatalf("format after restoring a backup of format 0: %+v %v", f, err)
	}
	n, err := s.Head(ctx)
	if err != nil || n != 4 {
		t.Fatalf("the log's head: %d %v, want 4 (the council; the appeal, its step and the event)", n, err)
	}
}
