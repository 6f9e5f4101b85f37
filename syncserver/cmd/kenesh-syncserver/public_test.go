package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// public export writes the static site from the store, and from a running
// server through its control socket.
func TestPublicExport(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "srv")
	if code, _, errs := runCLI(ctx, "admin", "--data", dir, "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N"); code != 0 {
		t.Fatalf("council add: %s", errs)
	}
	out := filepath.Join(t.TempDir(), "site")
	if code, stdout, errs := runCLI(ctx, "public", "export", "--data", dir, "--out", out); code != 0 || !strings.Contains(stdout, out) {
		t.Fatalf("export: %d %s %s", code, stdout, errs)
	}
	if b, err := os.ReadFile(filepath.Join(out, "ky", "index.html")); err != nil || !strings.Contains(string(b), "Жарыяланган кайрылуулар") {
		t.Fatalf("the exported list: %v", err)
	}
	if code, _, errs := runCLI(ctx, "public", "export", "--data", dir, "--out", out); code != 1 || !strings.Contains(errs, "not empty") {
		t.Fatalf("export into a used directory: %d %s", code, errs)
	}
	if code, _, _ := runCLI(ctx, "public", "export", "--data", dir); code != 2 {
		t.Fatalf("no --out: exit %d", code)
	}
	serveBG(t, http.DefaultClient, "http", "--data", dir)
	running := filepath.Join(t.TempDir(), "running")
	if code, _, errs := runCLI(ctx, "public", "export", "--data", dir, "--out", running, "--base", "/register/"); code != 0 {
		t.Fatalf("export from a running server: %d %s", code, errs)
	}
	if b, err := os.ReadFile(filepath.Join(running, "en", "stats.html")); err != nil || !strings.Contains(string(b), `href="/register/style.css"`) {
		t.Fatalf("the exported statistics: %v", err)
	}
}
