package guitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// syncServer is a kenesh-syncserver process on a loopback port, as the
// server's own tests run it.
type syncServer struct {
	t    *testing.T
	bin  string
	dir  string
	URL  string
	cmd  *exec.Cmd
	logs bytes.Buffer
}

func (r *rig) startServer() *syncServer {
	r.t.Helper()
	s := &syncServer{t: r.t, bin: r.server, dir: filepath.Join(r.t.TempDir(), "server")}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s.URL = "http://" + addr
	s.cmd = exec.Command(s.bin, "serve", "--data", s.dir, "--listen", addr, "--rate", "10000", "--log-level", "warn", "--small")
	s.cmd.Stderr = &s.logs
	if err := s.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the sync server did not come up on %s:\n%s", addr, s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// admin runs "kenesh-syncserver admin" (through the running server's
// control socket) and returns what it printed.
func (s *syncServer) admin(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.bin, append([]string{"admin", "--data", s.dir}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("kenesh-syncserver admin %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// code is a one-time enrollment code; it is alone on the last line.
func (s *syncServer) code(role, council, name string) string {
	s.t.Helper()
	args := []string{"enroll", "--role", role, "--name", name}
	if council != "" {
		args = append(args, "--council", council)
	}
	lines := strings.Split(strings.TrimSpace(s.admin(args...)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// The council the server tests' laptops belong to.
const (
	council       = "NRN-ATB"
	councilName   = "Ат-Башы коомдук кеңеши"
	councilOblast = "KG-N"
)

func (s *syncServer) addCouncil() {
	s.t.Helper()
	s.admin("council", "add", "--code", council, "--name", councilName, "--oblast", councilOblast, "--district", "KG-N-ATB")
}

// get fetches a page of the server.
func (s *syncServer) get(path string) (int, string) {
	s.t.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// submission is a citizen's appeal sent through the public form: the form
// fetched first, since the server takes none filled in less than a few
// seconds (send calls it once that time has passed).
type submission struct {
	s     *syncServer
	token string
	at    time.Time
}

func (s *syncServer) openForm() *submission {
	s.t.Helper()
	_, form := s.get("/public/ky/appeal")
	m := regexp.MustCompile(`name="t" value="([^"]+)"`).FindStringSubmatch(form)
	if m == nil {
		s.t.Fatalf("no public form:\n%s", form)
	}
	return &submission{s: s, token: m[1], at: time.Now()}
}

func (f *submission) send(text, name, phone string) {
	f.s.t.Helper()
	if wait := 3500*time.Millisecond - time.Since(f.at); wait > 0 {
		time.Sleep(wait)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(f.s.URL+"/public/ky/appeal", url.Values{"t": {f.token}, "council": {council},
		"text": {text}, "name": {name}, "phone": {phone}})
	if err != nil {
		f.s.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		f.s.t.Fatalf("the public form answered %d:\n%s", resp.StatusCode, b)
	}
}

// laptop is a store the real laptop core (keneshctl) works on.
type laptop struct {
	r    *rig
	data string
}

// newLaptop makes a store named device; with a server and a role, it is
// enrolled there.
func (r *rig) newLaptop(s *syncServer, role, council, device string) laptop {
	r.t.Helper()
	l := laptop{r: r, data: filepath.Join(r.t.TempDir(), "data")}
	l.ctl("init", "--device-name", device)
	if s != nil {
		l.ctl("enroll", "--server", s.URL, "--code", s.code(role, council, device))
	}
	return l
}

func (l laptop) ctl(args ...string) []byte {
	l.r.t.Helper()
	return ctl(l.r.t, l.r.keneshctl, l.data, args...)
}

// ctlIn runs keneshctl with stdin (a record's JSON).
func (l laptop) ctlIn(stdin string, args ...string) []byte {
	l.r.t.Helper()
	cmd := exec.Command(l.r.keneshctl, append([]string{"--data", l.data}, args...)...)
	cmd.Env = append(os.Environ(), "KENESH_PASSPHRASE="+passphrase, "KENESH_KDF=test")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		l.r.t.Fatalf("keneshctl %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// status is what keneshctl status says of the laptop's sync: changes
// waiting to be sent, whether it is enrolled, its last good sync ("" for
// none).
func (l laptop) status() (pending int, enrolled bool, lastSync string) {
	l.r.t.Helper()
	var st struct {
		Pending  int     `json:"pending"`
		Enrolled bool    `json:"enrolled"`
		LastSync *string `json:"last_sync"`
	}
	out := l.ctl("status")
	if err := json.Unmarshal(out, &st); err != nil {
		l.r.t.Fatalf("keneshctl status: %v\n%s", err, out)
	}
	if st.LastSync != nil {
		lastSync = *st.LastSync
	}
	return st.Pending, st.Enrolled, lastSync
}
