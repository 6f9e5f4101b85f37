package update

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rel "github.com/kenesh/kenesh/shared/release"
)

// The laptop meets the real server: the kenesh-syncserver binary, built
// once per test process, serving on 127.0.0.1, its releases published
// with its own admin command.
var (
	serverBin     string
	serverBinErr  error
	serverBinOnce sync.Once
)

func buildServer(t *testing.T) string {
	t.Helper()
	serverBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kenesh-syncserver-bin")
		if err != nil {
			serverBinErr = err
			return
		}
		serverBin = filepath.Join(dir, "kenesh-syncserver")
		cmd := exec.Command("go", "build", "-o", serverBin, "./syncserver/cmd/kenesh-syncserver")
		cmd.Dir = "../../.."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			serverBinErr = fmt.Errorf("build kenesh-syncserver: %v\n%s", err, out)
		}
	})
	if serverBinErr != nil {
		t.Fatal(serverBinErr)
	}
	return serverBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if serverBin != "" {
		os.RemoveAll(filepath.Dir(serverBin))
	}
	os.Exit(code)
}

type server struct {
	t    *testing.T
	bin  string
	data string
	URL  string
}

func startServer(t *testing.T) *server {
	t.Helper()
	s := &server{t: t, bin: buildServer(t), data: t.TempDir()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s.URL = "http://" + addr
	var logs bytes.Buffer
	cmd := exec.Command(s.bin, "serve", "--data", s.data, "--listen", addr, "--log-level", "warn")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(s.URL + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
	}
	t.Fatalf("the server did not come up: %s", logs.String())
	return nil
}

// publish runs admin release publish; it returns the command's error
// output when it fails.
func (s *server) publish(file string, extra ...string) (string, error) {
	args := append([]string{"admin", "--data", s.data, "release", "publish"}, extra...)
	cmd := exec.Command(s.bin, append(args, file)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return errb.String(), err
	}
	return out.String(), nil
}

type signer struct {
	t   *testing.T
	key string
	pub rel.PublicKey
	dir string
}

func newSigner(t *testing.T) *signer {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "release.key")
	pub, err := rel.GenerateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{t: t, key: key, pub: pub, dir: dir}
}

// release writes a release file of content named as make dist names it
// and signs it beside (FILE.sig).
func (s *signer) release(version, goos string, content []byte) string {
	s.t.Helper()
	name := "kenesh-" + version + "-" + goos + "-amd64.tar.xz"
	if goos == "windows" {
		name = "kenesh-" + version + "-windows-amd64-setup.exe"
	}
	dir := filepath.Join(s.dir, version+goos)
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.sign(path, version, goos)
	return path
}

func (s *signer) sign(path, version, goos string) {
	s.t.Helper()
	priv, err := rel.LoadKey(s.key)
	if err != nil {
		s.t.Fatal(err)
	}
	m, err := rel.Describe(path, version, goos, "amd64", time.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	sig, err := rel.Sign(priv, m)
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := json.Marshal(sig)
	if err := os.WriteFile(path+".sig", b, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func random(t *testing.T, n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// cutProxy forwards TCP connections to target and cuts each one after
// cut bytes from the server: a 2G link that drops every so often.
type cutProxy struct {
	ln   net.Listener
	cut  int64
	down atomic.Int64 // bytes from the server that reached the laptop
	cuts atomic.Int64
}

func newCutProxy(t *testing.T, target string, cut int64) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, cut: cut}
	t.Cleanup(func() { ln.Close() })
	host := strings.TrimPrefix(target, "http://")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", host)
				if err != nil {
					return
				}
				defer s.Close()
				go io.Copy(s, c)
				n, _ := io.Copy(counter{c, &p.down}, io.LimitReader(s, p.cut))
				if n == p.cut {
					p.cuts.Add(1)
				}
			}()
		}
	}()
	return p
}

// counter counts what is written through it as it goes.
type counter struct {
	w io.Writer
	n *atomic.Int64
}

func (c counter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}

func (p *cutProxy) URL() string { return "http://" + p.ln.Addr().String() }

func TestUpdateOverSync(t *testing.T) {
	srv := startServer(t)
	sg := newSigner(t)
	content := random(t, 1<<20)
	file := sg.release("0.7.0", "linux", content)
	out, err := srv.publish(file)
	if err != nil {
		t.Fatalf("publish: %v: %s", err, out)
	}
	if !strings.Contains(out, `"version": "0.7.0"`) {
		t.Fatalf("publish said %s", out)
	}
	// Cut every connection after 300 KB: a piece of 128 KiB often dies
	// on the way, and the download goes on from what arrived.
	proxy := newCutProxy(t, srv.URL, 300_000)
	dir := t.TempDir()
	o := Options{Server: proxy.URL(), Dir: dir, Keys: []rel.PublicKey{sg.pub}, Current: "0.6.0", OS: "linux", Arch: "amd64", Piece: 128 << 10}

	var ready *Ready
	var failures int
	var last Progress
	for attempt := 0; attempt < 50 && ready == nil; attempt++ {
		ready, err = New(o).Check(context.Background(), func(p Progress) {
			if p.Done < last.Done {
				t.Errorf("the download went back from %d to %d bytes", last.Done, p.Done)
			}
			last = p
		})
		if err != nil {
			if IsRefusal(err) {
				t.Fatalf("refused: %v", err)
			}
			failures++
		}
	}
	if ready == nil {
		t.Fatalf("no update after 50 checks: %v", err)
	}
	if failures == 0 || proxy.cuts.Load() == 0 {
		t.Fatalf("the link was never cut (%d failures, %d cuts): the test proves nothing", failures, proxy.cuts.Load())
	}
	// Resumed, not restarted: what crossed the link is the file and what
	// the cuts lost of the pieces under way, not the file again each time.
	if down := proxy.down.Load(); down > int64(len(content)+failures*(128<<10+4096)) {
		t.Errorf("%d bytes crossed the link for a file of %d with %d cuts", down, len(content), failures)
	}
	got, err := os.ReadFile(ready.Path)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("the ready file is not the release (%v)", err)
	}
	if ready.Manifest.Version != "0.7.0" || filepath.Base(ready.Path) != "kenesh-0.7.0-linux-amd64.tar.xz" {
		t.Fatalf("ready: %+v", ready)
	}
	t.Logf("1 MiB over a link cut every 300 KB: %d failed checks, %d cuts, %d bytes down", failures, proxy.cuts.Load(), proxy.down.Load())

	// Kept ready across a restart of the app, verified again.
	if r, err := New(o).Ready(); err != nil || r.Path != ready.Path {
		t.Fatalf("Ready after a restart: %v %v", r, err)
	}
	// A Check again is the same ready release, nothing fetched.
	before := proxy.down.Load()
	if r, err := New(o).Check(context.Background(), nil); err != nil || r.Path != ready.Path {
		t.Fatalf("second check: %v", err)
	}
	if d := proxy.down.Load() - before; d > 16<<10 {
		t.Errorf("a second check fetched %d bytes", d)
	}
	// The file changed on the laptop's disk since: not run.
	os.WriteFile(ready.Path, append(got[:len(got)-1:len(got)-1], got[len(got)-1]^1), 0o600)
	if _, err := New(o).Ready(); !errors.Is(err, rel.ErrMismatch) {
		t.Fatalf("a ready file changed on disk: %v, want ErrMismatch", err)
	}
	// Once installed (this program is 0.7.0), nothing is offered and the
	// installer is tidied away.
	o.Current = "0.7.0"
	if _, err := New(o).Check(context.Background(), nil); !errors.Is(err, ErrNotNewer) {
		t.Fatalf("on 0.7.0: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left in the updates folder: %v", ents)
	}
}

func TestUpdateRefused(t *testing.T) {
	srv := startServer(t)
	sg := newSigner(t)
	content := random(t, 300<<10)
	file := sg.release("0.7.0", "linux", content)
	if out, err := srv.publish(file); err != nil {
		t.Fatalf("publish: %v: %s", err, out)
	}
	other := newSigner(t)
	laptop := func(keys []rel.PublicKey, current string) (Options, string) {
		dir := t.TempDir()
		return Options{Server: srv.URL, Dir: dir, Keys: keys, Current: current, OS: "linux", Arch: "amd64", Piece: 64 << 10}, dir
	}
	empty := func(dir string) {
		t.Helper()
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("a refused release left %v", ents)
		}
	}
	for _, c := range []struct {
		name    string
		keys    []rel.PublicKey
		current string
		want    error
		text    string
	}{
		{"signed by a key this build does not trust", []rel.PublicKey{other.pub}, "0.6.0", rel.ErrUntrusted, "not signed by a key this Kenesh trusts"},
		{"a build that trusts no key", nil, "0.6.0", rel.ErrUntrusted, "trusts no release key"},
		{"a downgrade", []rel.PublicKey{sg.pub}, "0.8.1", ErrOlder, "offers 0.7.0, this is 0.8.1"},
	} {
		o, dir := laptop(c.keys, c.current)
		r, err := New(o).Check(context.Background(), nil)
		if r != nil || !errors.Is(err, c.want) || !IsRefusal(err) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: %v %v, want %v saying %q", c.name, r, err, c.want, c.text)
		}
		empty(dir)
	}
	// Same release: nothing to do. Another platform: nothing published.
	for _, c := range []struct{ current, os string }{{"0.7.0", "linux"}, {"0.6.0", "windows"}} {
		o, dir := laptop([]rel.PublicKey{sg.pub}, c.current)
		o.OS = c.os
		if _, err := New(o).Check(context.Background(), nil); !errors.Is(err, ErrNotNewer) {
			t.Errorf("%s on %s: %v, want ErrNotNewer", c.current, c.os, err)
		}
		empty(dir)
	}

	// The file tampered with on the server after publishing (same size,
	// one bit): downloaded, found not to be what was signed, dropped.
	kept := filepath.Join(srv.data, "releases", sha256Hex(content))
	bad := append([]byte(nil), content...)
	bad[len(bad)/2] ^= 0x40
	if err := os.WriteFile(kept, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	o, dir := laptop([]rel.PublicKey{sg.pub}, "0.6.0")
	r, err := New(o).Check(context.Background(), nil)
	if r != nil || !errors.Is(err, rel.ErrMismatch) || !IsRefusal(err) {
		t.Fatalf("a tampered file: %v %v, want ErrMismatch", r, err)
	}
	empty(dir)
	if _, err := New(o).Ready(); err == nil {
		t.Fatal("a tampered release is ready")
	}

	// The server refuses to publish what laptops would refuse.
	for _, c := range []struct {
		name string
		file func() string
		args []string
		text string
	}{
		{"an older release", func() string { return sg.release("0.6.9", "linux", random(t, 10)) }, nil, "already published"},
		{"the same release again", func() string { return sg.release("0.7.0", "linux", random(t, 10)) }, nil, "already published"},
		{"unsigned", func() string {
			f := sg.release("0.8.0", "linux", random(t, 10))
			os.Remove(f + ".sig")
			return f
		}, nil, "sign the file offline first"},
		{"a file other than the one signed", func() string {
			f := sg.release("0.8.0", "linux", random(t, 10))
			os.WriteFile(f, random(t, 10), 0o644)
			return f
		}, nil, "not the one its signed manifest describes"},
		{"signed by a key the server was told not to trust", func() string { return other.release("0.8.0", "linux", random(t, 10)) },
			[]string{"--trust", sg.pub.String()}, "not signed by a key this Kenesh trusts"},
	} {
		out, err := srv.publish(c.file(), c.args...)
		if err == nil || !strings.Contains(out, c.text) {
			t.Errorf("%s: %v %q, want a refusal saying %q", c.name, err, out, c.text)
		}
	}
	// The server's list still names 0.7.0 alone.
	cmd := exec.Command(srv.bin, "admin", "--data", srv.data, "release", "list")
	out, err := cmd.Output()
	if err != nil || strings.Count(string(out), `"version"`) != 1 || !strings.Contains(string(out), `"0.7.0"`) {
		t.Fatalf("release list: %v %s", err, out)
	}
}

// TestBudget: a Check stops at its budget and the next goes on.
func TestBudget(t *testing.T) {
	srv := startServer(t)
	sg := newSigner(t)
	content := random(t, 512<<10)
	if out, err := srv.publish(sg.release("1.0.0", "linux", content)); err != nil {
		t.Fatalf("publish: %v: %s", err, out)
	}
	o := Options{Server: srv.URL, Dir: t.TempDir(), Keys: []rel.PublicKey{sg.pub}, Current: "0.9.0", OS: "linux", Arch: "amd64",
		Piece: 64 << 10, Budget: time.Nanosecond}
	var dones []int64
	var r *Ready
	var err error
	for range 20 {
		r, err = New(o).Check(context.Background(), func(p Progress) { dones = append(dones, p.Done) })
		if err == nil {
			break
		}
		if !errors.Is(err, ErrLater) {
			t.Fatal(err)
		}
	}
	// One piece per check (the budget is spent after the first).
	if r == nil || len(dones) != 8 || dones[0] != 64<<10 || dones[7] != 512<<10 {
		t.Fatalf("ready %v after pieces %v (%v)", r, dones, err)
	}
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
