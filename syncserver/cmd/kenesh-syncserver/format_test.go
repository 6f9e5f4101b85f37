package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store"
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
		ID, Name, Council, Role string
		Acked                   uint64
	}
	if err := json.Unmarshal([]byte(cli("admin", "--data", dir, "--key-file", keyFile, "devices")), &devices); err != nil {
		t.Fatal(err)
	}
	laptop := ""
	for _, d := range devices {
		if d.Name == "Ат-Башы ноутбугу" && d.Council == "NRN-ATB" && d.Role == "secretary" && d.Acked == 3 {
			laptop = d.ID
		}
	}
	if laptop == "" {
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
	if f, err := s.Format(); err != nil || f.Format != 4 {
		t.Fatalf("format after restoring a backup of format 0: %+v %v", f, err)
	}
	n, err := s.Head(ctx)
	if err != nil || n != 4 {
		t.Fatalf("the log's head: %d %v, want 4 (the council; the appeal, its step and the event)", n, err)
	}
	// The log, moved to batches (format 2), reads as it was written: the
	// laptop's judgements by its seqs, its operations in server order, and
	// a pull from a cursor a laptop held then.
	err = s.ReadLog(ctx, func(x store.LogReader) error {
		for seq := uint64(1); seq <= 3; seq++ {
			if j, err := x.Judgement(laptop, seq); err != nil || j == nil || j.ServerSeq != seq+1 || j.Code != "" {
				t.Errorf("judgement of the laptop's %d: %+v %v", seq, j, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var logged []uint64
	err = s.EachOp(ctx, 0, func(seq uint64, op *changeset.Op) error {
		if seq > 1 && (op.Device != laptop || op.Seq != seq-1) {
			t.Errorf("log entry %d: %s/%d", seq, op.Device, op.Seq)
		}
		logged = append(logged, seq)
		return nil
	})
	if err != nil || len(logged) != 4 {
		t.Fatalf("the log: %v %v", logged, err)
	}
	for after, want := range map[uint64]int{0: 4, 2: 2, 4: 0} {
		p, err := s.Pull(ctx, store.Scope{Council: "NRN-ATB", Global: true}, "", after, store.PullLimits{MaxBytes: 1 << 20})
		if err != nil || len(p.Ops) != want || p.Cursor != 4 {
			t.Fatalf("a council's pull after %d: %+v %v, want %d operations", after, p, err, want)
		}
	}
}
