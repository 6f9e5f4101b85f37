package release

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rel "github.com/kenesh/kenesh/shared/release"
)

type kit struct {
	t    *testing.T
	dir  string
	pub  rel.PublicKey
	priv string
}

func newKit(t *testing.T) *kit {
	dir := t.TempDir()
	pub, err := rel.GenerateKey(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	return &kit{t: t, dir: dir, pub: pub, priv: filepath.Join(dir, "key")}
}

// file writes a release file and its FILE.sig.
func (k *kit) file(version, goos, content string) string {
	k.t.Helper()
	path := filepath.Join(k.dir, "kenesh-"+version+"-"+goos+"-amd64.bin")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		k.t.Fatal(err)
	}
	priv, err := rel.LoadKey(k.priv)
	if err != nil {
		k.t.Fatal(err)
	}
	m, err := rel.Describe(path, version, goos, "amd64", time.Now())
	if err != nil {
		k.t.Fatal(err)
	}
	sig, err := rel.Sign(priv, m)
	if err != nil {
		k.t.Fatal(err)
	}
	b, _ := json.Marshal(sig)
	if err := os.WriteFile(path+".sig", b, 0o644); err != nil {
		k.t.Fatal(err)
	}
	return path
}

func TestPublishServe(t *testing.T) {
	k := newKit(t)
	s, err := Open(filepath.Join(t.TempDir(), "releases"))
	if err != nil {
		t.Fatal(err)
	}
	if list, err := s.List(); err != nil || len(list) != 0 {
		t.Fatalf("empty list: %v %v", list, err)
	}
	f := k.file("0.6.0", "windows", "installer 0.6.0")
	m, err := s.Publish(f, f+".sig", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(k.file("0.7.0", "linux", "archive 0.7.0"), filepath.Join(k.dir, "kenesh-0.7.0-linux-amd64.bin.sig"), []rel.PublicKey{k.pub}); err != nil {
		t.Fatal(err)
	}
	// Refusals: older or the same for the platform, untrusted, another file.
	other := newKit(t)
	for name, c := range map[string]struct {
		file  string
		trust []rel.PublicKey
		want  error
	}{
		"the same version": {k.file("0.6.0", "windows", "installer again"), nil, ErrOlder},
		"older":            {k.file("0.5.9", "windows", "installer 0.5.9"), nil, ErrOlder},
		"untrusted":        {other.file("0.9.0", "windows", "x"), []rel.PublicKey{k.pub}, rel.ErrUntrusted},
	} {
		if _, err := s.Publish(c.file, c.file+".sig", c.trust); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	g := k.file("0.9.0", "windows", "installer 0.9.0")
	os.WriteFile(g, []byte("installer 0.9.1"), 0o644)
	if _, err := s.Publish(g, g+".sig", nil); !errors.Is(err, rel.ErrMismatch) {
		t.Errorf("another file: %v", err)
	}
	list, err := s.List()
	if err != nil || len(list) != 2 || list[0].OS != "linux" || list[1].Version != "0.6.0" {
		t.Fatalf("list: %+v %v", list, err)
	}

	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path, rng string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	resp, body := get(rel.PathLatest+"?os=windows&arch=amd64", "")
	sig, err := rel.Decode(strings.NewReader(body))
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("latest: %d %v %s", resp.StatusCode, err, body)
	}
	if got, err := sig.Verify([]rel.PublicKey{k.pub}); err != nil || got.SHA256 != m.SHA256 {
		t.Fatalf("latest verifies: %v %v", got, err)
	}
	for _, q := range []string{"?os=darwin&arch=amd64", "?os=../x&arch=amd64", ""} {
		if resp, _ := get(rel.PathLatest+q, ""); resp.StatusCode != 404 {
			t.Errorf("latest%s: %d", q, resp.StatusCode)
		}
	}
	resp, body = get(rel.PathFile+m.SHA256, "bytes=10-")
	if resp.StatusCode != http.StatusPartialContent || body != "0.6.0" {
		t.Fatalf("a range: %d %q", resp.StatusCode, body)
	}
	resp, body = get(rel.PathFile+m.SHA256, "")
	if resp.StatusCode != 200 || body != "installer 0.6.0" {
		t.Fatalf("whole: %d %q", resp.StatusCode, body)
	}
	for _, p := range []string{strings.Repeat("0", 64), "latest-windows-amd64.sig", m.SHA256 + ".sig", "..%2f..%2fetc%2fpasswd"} {
		if resp, _ := get(rel.PathFile+p, ""); resp.StatusCode != 404 {
			t.Errorf("file %s: %d", p, resp.StatusCode)
		}
	}
	// Nothing half-written is left behind.
	ents, _ := os.ReadDir(s.dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".incoming") {
			t.Errorf("left: %s", e.Name())
		}
	}
}
