package syncer

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto/synctest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// server is what the syncer's tests need of a sync server: the real one
// (testServer, the kenesh-syncserver binary as a council's laptop meets
// it) or the fake (fakeSync, synctest's in this process, which passes the
// same conformance suite as the real one). Tests of the laptop's own
// behaviour run on the fake; those of the laptop and the server together
// (convergence through faults, the server's clock rules) on the real one.
type server interface {
	baseURL() string
	enrollCode(council, role, name string) string
	addCouncil(code, name, oblast string)
	revoke(device string)
}

// fakeSync is synctest's fake server.
type fakeSync struct {
	*synctest.Server
	t testing.TB
}

func startFake(t testing.TB, o synctest.Options) *fakeSync {
	t.Helper()
	return &fakeSync{Server: synctest.NewServer(t, o), t: t}
}

func (f *fakeSync) baseURL() string { return f.URL }

func (f *fakeSync) enrollCode(council, role, name string) string {
	return f.Code(f.t, synctest.Issue{Council: council, Role: role, Name: name})
}

func (f *fakeSync) addCouncil(code, name, oblast string) {
	f.AddCouncil(f.t, domain.Council{Code: code, Name: name, Oblast: oblast})
}

func (f *fakeSync) revoke(device string) { f.Revoke(f.t, device) }

// The real server's binary is built once per test process from
// syncserver/cmd/kenesh-syncserver.
var (
	serverBin     string
	serverBinErr  error
	serverBinOnce sync.Once
)

func buildServer(t testing.TB) string {
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

// testServer is a kenesh-syncserver process on a loopback port.
type testServer struct {
	t    testing.TB
	bin  string
	dir  string
	addr string
	URL  string
	cmd  *exec.Cmd
	logs *bytes.Buffer
	// extra are more serve flags; later flags override earlier ones.
	extra []string
	// store are the flags naming its store, for serve and admin: --data
	// DIR, or --postgres URL (and --files DIR, for serve).
	store, files []string
}

func startServer(t testing.TB, extra ...string) *testServer {
	t.Helper()
	s := newTestServer(t, extra...)
	s.store = []string{"--data", s.dir}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func newTestServer(t testing.TB, extra ...string) *testServer {
	t.Helper()
	s := &testServer{t: t, bin: buildServer(t), dir: t.TempDir(), extra: extra}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	ln.Close()
	s.URL = "http://" + s.addr
	return s
}

// startPostgresServers starts n server processes on one PostgreSQL
// database (a schema of the test binary's own PostgreSQL, pgtest) and one
// files directory, as a deployment behind a load balancer runs them.
func startPostgresServers(t testing.TB, n int, extra ...string) []*testServer {
	t.Helper()
	return startPostgresServersAt(t, pgtest.URL(t), t.TempDir(), n, extra...)
}

// startPostgresServersAt starts n server processes on the database at url
// with the files in files.
func startPostgresServersAt(t testing.TB, url, files string, n int, extra ...string) []*testServer {
	t.Helper()
	var out []*testServer
	for range n {
		s := newTestServer(t, extra...)
		s.store, s.files = []string{"--postgres", url}, []string{"--files", files}
		s.start()
		t.Cleanup(s.stop)
		out = append(out, s)
	}
	return out
}

func (s *testServer) start() {
	s.t.Helper()
	s.logs = &bytes.Buffer{}
	args := append(append(append([]string{"serve"}, s.store...), s.files...), "--listen", s.addr, "--rate", "10000", "--log-level", "warn")
	s.cmd = exec.Command(s.bin, append(args, s.extra...)...)
	s.cmd.Stderr = s.logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("server did not come up on %s:\n%s", s.addr, s.logs)
}

func (s *testServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
		s.cmd = nil
	}
}

// admin runs "kenesh-syncserver admin --data DIR args..." (or
// --postgres URL) and returns stdout.
func (s *testServer) admin(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.bin, append(append([]string{"admin"}, s.store...), args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("admin %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

// enrollCode asks for a one-time code; it is alone on the last line.
func (s *testServer) enrollCode(council, role, name string) string {
	s.t.Helper()
	args := []string{"enroll", "--role", role, "--name", name}
	if council != "" {
		args = append(args, "--council", council)
	}
	out := strings.TrimSpace(s.admin(args...))
	lines := strings.Split(out, "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func (s *testServer) addCouncil(code, name, oblast string) {
	s.admin("council", "add", "--code", code, "--name", name, "--oblast", oblast)
}

func (s *testServer) baseURL() string { return s.URL }

func (s *testServer) revoke(device string) { s.admin("revoke", device) }
