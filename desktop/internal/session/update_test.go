package session

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/desktop/internal/update"
	"github.com/kenesh/kenesh/internal/testnet"
	rel "github.com/kenesh/kenesh/shared/release"
)

// TestUpdateAfterSync: a laptop on 0.6.0, enrolled with the real
// kenesh-syncserver on 127.0.0.1 to which an administrator published
// 0.7.0, gets it ready with its background syncs over a link that is cut
// about every 150 KB, verified, with no one asking; a new session on the
// same folder finds it ready still.
func TestUpdateAfterSync(t *testing.T) {
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "kenesh-syncserver")
	build := exec.Command("go", "build", "-o", bin, "./syncserver/cmd/kenesh-syncserver")
	build.Dir = "../../.."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := t.TempDir()
	admin := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"admin", "--data", data}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("admin %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	admin("council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы", "--oblast", "KG-N")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := exec.Command(bin, "serve", "--data", data, "--listen", addr, "--rate", "1000", "--log-level", "warn")
	var logs bytes.Buffer
	srv.Stderr = &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	link, err := testnet.NewLink(addr, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	url := "http://" + link.Addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not come up: %s", logs.String())
		}
	}
	out := strings.Split(strings.TrimSpace(admin("enroll", "--role", "secretary", "--name", "Ат-Башы", "--council", "NRN-ATB")), "\n")
	code := strings.TrimSpace(out[len(out)-1])

	// The release manager signs 0.7.0 offline; the administrator publishes it.
	keys := t.TempDir()
	pub, err := rel.GenerateKey(filepath.Join(keys, "k"))
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := rel.LoadKey(filepath.Join(keys, "k"))
	file := filepath.Join(keys, "kenesh-0.7.0-linux-amd64.tar.xz")
	content := bytes.Repeat([]byte("0.7.0 "), 100_000)
	os.WriteFile(file, content, 0o644)
	m, _ := rel.Describe(file, "0.7.0", "linux", "amd64", time.Now())
	sig, _ := rel.Sign(priv, m)
	b, _ := json.Marshal(sig)
	os.WriteFile(file+".sig", b, 0o644)
	admin("release", "publish", file)

	o := testOpts
	// Syncs come often here, so that the download goes on soon after a cut.
	o.Loop = syncer.LoopOptions{AfterSave: 10 * time.Millisecond, Period: 200 * time.Millisecond, MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond}
	o.Update = update.Options{Keys: []rel.PublicKey{pub}, Current: "0.6.0", OS: "linux", Arch: "amd64", Piece: 100 << 10}
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Create(ctx, dir, "correct horse battery", "Ат-Башы", o)
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Updates.Status(); st.State != update.StateNone {
		t.Fatalf("before any sync: %+v", st)
	}
	if _, err := s.ServerVersion(ctx); err == nil {
		t.Fatal("a server version before enrolling")
	}
	if _, _, err := s.Enroll(ctx, url, code); err != nil {
		t.Fatal(err)
	}
	// Settings shows the server's release (a test build's is "dev").
	if v, err := s.ServerVersion(ctx); err != nil || v != "dev" {
		t.Fatalf("server version: %q %v", v, err)
	}
	ch, stop := s.Updates.Subscribe()
	link.CutEvery(150_000, 7)
	s.StartSync()
	var seen []string
	deadline := time.After(2 * time.Minute)
wait:
	for {
		select {
		case st := <-ch:
			seen = append(seen, fmt.Sprintf("%s %s %d/%d", st.State, st.Version, st.Done, st.Total))
			if st.State == update.StateRefused {
				t.Fatalf("refused: %v", st.Err)
			}
			if st.State == update.StateReady {
				break wait
			}
		case <-deadline:
			t.Fatalf("no update ready: %v\n%s", seen, logs.String())
		}
	}
	stop()
	if link.Cuts() == 0 {
		t.Fatal("the link was never cut: the test proves nothing")
	}
	t.Logf("%d bytes through %d cuts", len(content), link.Cuts())
	if !strings.HasPrefix(seen[len(seen)-2], "downloading 0.7.0 ") || seen[len(seen)-1] != fmt.Sprintf("ready 0.7.0 %d/%d", len(content), len(content)) {
		t.Fatalf("statuses: %v", seen)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Unlock(ctx, dir, "correct horse battery", o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st := s.Updates.Status(); st.State != update.StateReady || st.Version != "0.7.0" {
		t.Fatalf("after a restart: %+v", st)
	}
	got, err := os.ReadFile(filepath.Join(dir, update.DirName, "kenesh-0.7.0-linux-amd64.tar.xz"))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("the file kept: %v", err)
	}
}
