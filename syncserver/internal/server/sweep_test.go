package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kenesh/kenesh/shared/domain"
)

// The server releases a removed attachment's chunks, and a laptop that
// sent them before sends them again when a record names them anew (it
// notes what the server holds per record, not per council): a secretary
// attaches a scan and syncs, removes it and syncs; two sweeps release it;
// attached to another appeal it goes up again, and the council's other
// laptop opens it byte for byte.
func TestFilesSweptWithKeneshctl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds keneshctl and runs laptops")
	}
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	bin := keneshctl(t)
	sec, _ := h.keneshctlLaptop(t, bin, domain.RoleSecretary, "NRN-ATB", "Ат-Башы катчысы")
	other, _ := h.keneshctlLaptop(t, bin, domain.RoleSecretary, "NRN-ATB", "Ат-Башы, экинчи ноутбук")
	dir := t.TempDir()
	content := make([]byte, 300_000)
	rand.Read(content)
	scan := filepath.Join(dir, "арыз.pdf")
	os.WriteFile(scan, content, 0o600)
	const appeal = `{"council":"NRN-ATB","channel":"phone","oblast":"KG-N","category":"health","anonymous":true,"summary":"Оорукана","received_on":"2026-11-02","registered_on":"2026-11-02"}`
	a1 := jsonOf[map[string]any](t, sec.ok(appeal, "appeal", "add"))["id"].(string)
	sec.ok("", "appeal", "attach", a1, scan)
	sec.ok("", "sync")
	sec.ok("", "appeal", "detach", a1, "арыз.pdf")
	sec.ok("", "sync")
	ctx := context.Background()
	var released int64
	for range 2 {
		r, err := h.srv.Files().Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		released += r.ReleasedBytes
	}
	if released != int64(len(content)) {
		t.Fatalf("released %d bytes of a removed %d-byte attachment", released, len(content))
	}
	a2 := jsonOf[map[string]any](t, sec.ok(appeal, "appeal", "add"))["id"].(string)
	sec.ok("", "appeal", "attach", a2, scan)
	var sum struct {
		Files struct {
			UpBytes int64 `json:"up_bytes"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(sec.ok("", "sync")), &sum); err != nil || sum.Files.UpBytes < int64(len(content)) {
		t.Fatalf("the scan attached again went up with %d bytes (%v)", sum.Files.UpBytes, err)
	}
	other.ok("", "sync")
	got := filepath.Join(dir, "got.pdf")
	other.ok("", "appeal", "attachment", a2, "арыз.pdf", "--out", got)
	if b, _ := os.ReadFile(got); !bytes.Equal(b, content) {
		t.Fatal("the other laptop's copy differs")
	}
}
