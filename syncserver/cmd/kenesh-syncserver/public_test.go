package main

import (
	"context"
	"io"
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

// The administrator switches the form's challenge on and off on the
// running server; without one, the command says where it can be switched.
func TestAdminPublicChallenge(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "srv")
	if code, _, errs := runCLI(ctx, "admin", "--data", dir, "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N"); code != 0 {
		t.Fatalf("council add: %s", errs)
	}
	if code, _, errs := runCLI(ctx, "admin", "--data", dir, "public-challenge", "on"); code == 0 || !strings.Contains(errs, "--public-challenge") {
		t.Fatalf("no server running: %d %s", code, errs)
	}
	url := serveBG(t, http.DefaultClient, "http", "--data", dir)
	form := func() string {
		resp, err := http.Get(url + "/public/en/appeal")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for _, tc := range []struct {
		args []string
		want string
		asks bool
	}{
		{nil, `{"challenge":false}`, false}, {[]string{"on"}, `{"challenge":true}`, true},
		{nil, `{"challenge":true}`, true}, {[]string{"off"}, `{"challenge":false}`, false},
	} {
		code, out, errs := runCLI(ctx, append([]string{"admin", "--data", dir, "public-challenge"}, tc.args...)...)
		if code != 0 || strings.Join(strings.Fields(out), "") != tc.want {
			t.Fatalf("public-challenge %v: %d %q %s", tc.args, code, out, errs)
		}
		if asks := strings.Contains(form(), "/challenge/"); asks != tc.asks {
			t.Fatalf("after public-challenge %v the form asks it: %v", tc.args, asks)
		}
	}
	if code, _, _ := runCLI(ctx, "admin", "--data", dir, "public-challenge", "maybe"); code != 2 {
		t.Fatalf("a wrong word: exit %d", code)
	}
}
