package main

import (
	"bytes"
	"crypto/rand"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto/synctest"
)

// A trainer publishes a material and a new version with keneshctl; a
// council's laptop syncs, lists it downloaded, writes it out byte for byte
// and marks it read; central staff's laptop fetches a council's
// attachment when asked for it; files status counts what waits.
func TestMaterialsAndFiles(t *testing.T) {
	srv := synctest.NewServer(t, synctest.Options{})
	srv.AddCouncil(t, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N"})
	enroll := func(role, council, name string) *ctlRun {
		c := newCLI(t)
		c.ok("", "init", "--device-name", name)
		c.ok("", "enroll", "--server", srv.URL, "--code", srv.Code(t, synctest.Issue{Role: role, Council: council, Name: name}))
		return c
	}
	trainer := enroll(domain.RoleTrainer, "", "Тренер")
	sec := enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы катчысы")
	central := enroll(domain.RoleCentral, "", "Борбор")

	dir := t.TempDir()
	// The guide's bytes from a fixed seed: content-defined chunks cut
	// random bytes where the content says, and 300,000 random bytes make
	// one chunk about one time in 37 (no cut point past the 64 KiB
	// minimum), when the sweep below has only that chunk to drop (CI once
	// saw it). These bytes cut into several chunks, every time.
	v1 := make([]byte, 300_000)
	mrand.NewChaCha8([32]byte{'k', 'e', 'n', 'e', 's', 'h'}).Read(v1)
	guide := filepath.Join(dir, "колдонмо.pdf")
	os.WriteFile(guide, v1, 0o600)
	m := decode[map[string]any](t, trainer.ok("", "material", "publish", guide, "--title", "Аялдардын укуктары", "--lang", "ky", "--topic", "gender"))
	id := m["id"].(string)
	if st := filesStatus(t, trainer.ok("", "files", "status")); st["up"]["bytes"] != float64(len(v1)) {
		t.Fatalf("before the sync, files status: %v", st)
	}
	sum := decode[map[string]any](t, trainer.ok("", "sync"))
	if f, _ := sum["files"].(map[string]any); f == nil || f["up_chunks"].(float64) == 0 {
		t.Fatalf("sync summary: %v", sum)
	}
	if st := filesStatus(t, trainer.ok("", "files", "status")); st["up"]["bytes"] != 0 {
		t.Fatalf("after the sync, files status: %v", st)
	}
	v2 := append(bytes.Clone(v1), make([]byte, 1000)...)
	os.WriteFile(guide, v2, 0o600)
	trainer.ok("", "material", "publish", guide, "--replaces", id, "--notes", "1000 нөл кошулду")
	trainer.ok("", "sync")
	// The first version's last chunk is no version's now: dropped.
	if swept := decode[map[string]any](t, trainer.ok("", "files", "sweep")); swept["chunks"].(float64) < 1 || swept["bytes"].(float64) >= float64(len(v1)) {
		t.Fatalf("files sweep after a new version: %v", swept)
	}

	sec.ok("", "sync")
	list := decode[[]map[string]any](t, sec.ok("", "material", "list"))
	if len(list) != 1 || list[0]["id"] != id || list[0]["version"] != float64(2) || list[0]["downloaded"] != true || list[0]["read"] != false {
		t.Fatalf("the council's catalogue: %v", list)
	}
	out := filepath.Join(dir, "got.pdf")
	sec.ok("", "material", "get", id, "--out", out)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, v2) {
		t.Fatal("the material written out is not its second version")
	}
	sec.ok("", "material", "read", id)
	if list := decode[[]map[string]any](t, sec.ok("", "material", "list")); list[0]["read"] != true {
		t.Fatalf("after marking it read: %v", list)
	}

	// A council's attachment, which central staff fetch when asked.
	scan := filepath.Join(dir, "арыз.pdf")
	content := make([]byte, 200_000)
	rand.Read(content)
	os.WriteFile(scan, content, 0o600)
	a := decode[map[string]any](t, sec.ok(`{"council":"NRN-ATB","channel":"phone","oblast":"KG-N","category":"health","anonymous":true,"summary":"Оорукана","received_on":"2026-11-02","registered_on":"2026-11-02"}`, "appeal", "add"))
	sec.ok("", "appeal", "attach", a["id"].(string), scan)
	sec.ok("", "sync")
	central.ok("", "sync")
	if st := filesStatus(t, central.ok("", "files", "status")); st["on_demand"]["bytes"] != float64(len(content)) || st["down"]["bytes"] != 0 {
		t.Fatalf("central's files status: %v", st)
	}
	got := filepath.Join(dir, "central.pdf")
	central.ok("", "appeal", "attachment", a["id"].(string), "арыз.pdf", "--out", got)
	if b, _ := os.ReadFile(got); !bytes.Equal(b, content) {
		t.Fatal("central's copy of the attachment differs")
	}
}

func filesStatus(t *testing.T, out string) map[string]map[string]float64 {
	t.Helper()
	v := decode[map[string]any](t, out)
	m := map[string]map[string]float64{}
	for _, k := range []string{"up", "down", "on_demand"} {
		part := v[k].(map[string]any)
		m[k] = map[string]float64{"chunks": part["chunks"].(float64), "bytes": part["bytes"].(float64)}
	}
	return m
}
