package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func signedFile(t *testing.T, content string) (dir string, sig *Signature, pub PublicKey) {
	t.Helper()
	dir = t.TempDir()
	pub, err := GenerateKey(filepath.Join(dir, "release.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "release.key")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("the private key is %v", fi.Mode())
	}
	priv, err := LoadKey(filepath.Join(dir, "release.key"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "kenesh-0.6.0-windows-amd64-setup.exe")
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Describe(file, "0.6.0", "windows", "amd64", time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	sig, err = Sign(priv, m)
	if err != nil {
		t.Fatal(err)
	}
	return dir, sig, pub
}

func TestSignVerify(t *testing.T) {
	dir, sig, pub := signedFile(t, "the installer")
	other, _, otherPub := signedFile(t, "x")
	_ = other
	m, err := sig.Verify([]PublicKey{otherPub, pub})
	if err != nil || m.Version != "0.6.0" || m.Size != int64(len("the installer")) || m.File != "kenesh-0.6.0-windows-amd64-setup.exe" {
		t.Fatalf("verify: %+v %v", m, err)
	}
	if err := CheckFile(m, strings.NewReader("the installer")); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"the installeR", "the installer!", "the instal"} {
		if err := CheckFile(m, strings.NewReader(bad)); !errors.Is(err, ErrMismatch) {
			t.Errorf("CheckFile(%q): %v", bad, err)
		}
	}
	// Written and read back as FILE.sig.
	b, _ := json.Marshal(sig)
	back, err := Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := back.Verify([]PublicKey{pub}); err != nil {
		t.Fatal(err)
	}
	if _, k, err := back.SelfVerify(); err != nil || k.String() != pub.String() {
		t.Fatalf("self-verify: %v", err)
	}
	_ = dir

	for name, c := range map[string]struct {
		sig  func() *Signature
		keys []PublicKey
	}{
		"another key":  {func() *Signature { return sig }, []PublicKey{otherPub}},
		"no key":       {func() *Signature { return sig }, nil},
		"bad encoding": {func() *Signature { s := *sig; s.Sig = "!!"; return &s }, []PublicKey{pub}},
		"a newer version claimed": {func() *Signature {
			s := *sig
			s.Manifest = bytes.Replace(s.Manifest, []byte(`"0.6.0"`), []byte(`"9.9.9"`), 1)
			return &s
		}, []PublicKey{pub}},
		"another hash": {func() *Signature {
			s := *sig
			var m Manifest
			json.Unmarshal(s.Manifest, &m)
			m.SHA256 = strings.Repeat("0", 64)
			s.Manifest, _ = json.Marshal(m)
			return &s
		}, []PublicKey{pub}},
		"the key it names replaced": {func() *Signature { s := *sig; s.Key = otherPub.String(); return &s }, []PublicKey{otherPub}},
	} {
		if _, err := c.sig().Verify(c.keys); !errors.Is(err, ErrUntrusted) {
			t.Errorf("%s: %v, want ErrUntrusted", name, err)
		}
	}
}

func TestKeys(t *testing.T) {
	_, _, pub := signedFile(t, "x")
	keys, err := ParsePublicKeys(" " + pub.String() + ",\n" + pub.String() + " ")
	if err != nil || len(keys) != 2 {
		t.Fatalf("%v %v", keys, err)
	}
	if keys, err := ParsePublicKeys(""); err != nil || len(keys) != 0 {
		t.Fatalf("empty: %v %v", keys, err)
	}
	for _, bad := range []string{"AAAA", "kenesh-release-key:AAAA", strings.TrimPrefix(pub.String(), keyPrefix)} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "k"), []byte("not a key\n"), 0o600)
	if _, err := LoadKey(filepath.Join(dir, "k")); err == nil {
		t.Error("a file that is no key was loaded")
	}
	if _, err := GenerateKey(filepath.Join(dir, "k")); err == nil {
		t.Error("GenerateKey overwrote a file")
	}
}

func TestManifestCheck(t *testing.T) {
	good := Manifest{Product: Product, Version: "1.2.3", OS: "linux", Arch: "amd64", File: "kenesh-1.2.3-linux-amd64.tar.xz", Size: 1, SHA256: strings.Repeat("ab", 32)}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(m *Manifest){
		"product": func(m *Manifest) { m.Product = "other" },
		"version": func(m *Manifest) { m.Version = "1.2" },
		"os":      func(m *Manifest) { m.OS = "../x" },
		"file":    func(m *Manifest) { m.File = "../../etc/passwd" },
		"hidden":  func(m *Manifest) { m.File = ".bashrc" },
		"size":    func(m *Manifest) { m.Size = 0 },
		"sha256":  func(m *Manifest) { m.SHA256 = "zz" },
	} {
		m := good
		f(&m)
		if err := m.Check(); err == nil {
			t.Errorf("%s: accepted %+v", name, m)
		}
	}
}

// FuzzVerify: whatever a server answers for a release's signature is
// refused or is exactly a manifest the trusted key signed.
func FuzzVerify(f *testing.F) {
	dir := f.TempDir()
	pub, err := GenerateKey(filepath.Join(dir, "k"))
	if err != nil {
		f.Fatal(err)
	}
	priv, _ := LoadKey(filepath.Join(dir, "k"))
	m := &Manifest{Product: Product, Version: "1.2.3", OS: "windows", Arch: "amd64", File: "a.exe", Size: 3, SHA256: strings.Repeat("ab", 32)}
	sig, _ := Sign(priv, m)
	good, _ := json.Marshal(sig)
	f.Add(good)
	f.Add([]byte(`{"manifest":{},"key":"","sig":""}`))
	f.Add([]byte(`{"manifest":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		got, err := s.Verify([]PublicKey{pub})
		if err != nil {
			if !errors.Is(err, ErrUntrusted) {
				t.Fatalf("a refusal that is not ErrUntrusted: %v", err)
			}
			return
		}
		if got.Check() != nil {
			t.Fatalf("a verified manifest that does not check: %+v", got)
		}
	})
}
