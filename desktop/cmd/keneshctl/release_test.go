package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReleaseSign: the release manager's commands: a key made, a file
// signed by its make dist name, verified, and a file changed after
// signing or checked against another key refused.
func TestReleaseSign(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "release.key")
	gen := decode[map[string]string](t, c.ok("", "release", "keygen", "--out", key))
	if !strings.HasPrefix(gen["public_key"], "kenesh-release-key:") {
		t.Fatalf("keygen: %v", gen)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the private key: %v %v", fi, err)
	}
	if code, _, errs := c.run("", "release", "keygen", "--out", key); code == 0 || !strings.Contains(errs, "exists") {
		t.Fatalf("keygen over a key: %d %s", code, errs)
	}
	file := filepath.Join(dir, "kenesh-0.7.0-windows-amd64-setup.exe")
	os.WriteFile(file, []byte("the installer"), 0o644)
	signed := decode[struct {
		Manifest struct{ Version, OS, Arch, File string }
	}](t, c.ok("", "release", "sign", "--key", key, file))
	if m := signed.Manifest; m.Version != "0.7.0" || m.OS != "windows" || m.Arch != "amd64" || m.File != filepath.Base(file) {
		t.Fatalf("signed %+v", signed)
	}
	if fi, err := os.Stat(file + ".sig"); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("the signature is %v (%v): the server's user must read it", fi.Mode(), err)
	}
	c.ok("", "release", "verify", "--trust", gen["public_key"], file)

	other := filepath.Join(dir, "other.key")
	otherPub := decode[map[string]string](t, c.ok("", "release", "keygen", "--out", other))["public_key"]
	for name, args := range map[string][]string{
		"another key":                {"release", "verify", "--trust", otherPub, file},
		"no key built into this one": {"release", "verify", file},
	} {
		if code, _, errs := c.run("", args...); code == 0 || !strings.Contains(errs, "not signed by a key this Kenesh trusts") {
			t.Errorf("%s: %d %s", name, code, errs)
		}
	}
	os.WriteFile(file, []byte("the installeR"), 0o644)
	if code, _, errs := c.run("", "release", "verify", "--trust", gen["public_key"], file); code == 0 || !strings.Contains(errs, "not the one its signed manifest describes") {
		t.Errorf("a changed file: %d %s", code, errs)
	}
	odd := filepath.Join(dir, "setup.exe")
	os.WriteFile(odd, []byte("x"), 0o644)
	if code, _, errs := c.run("", "release", "sign", "--key", key, odd); code != 2 || !strings.Contains(errs, "--version, --os and --arch") {
		t.Errorf("a file not named by make dist: %d %s", code, errs)
	}
	c.ok("", "release", "sign", "--key", key, "--version", "0.7.1", "--os", "windows", "--arch", "amd64", odd)
}
