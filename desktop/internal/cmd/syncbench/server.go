package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// buildServer builds kenesh-syncserver (CGO_ENABLED=0, as it ships) into
// dir. The benchmark runs the server as a child process, as laptops meet
// it, and never imports its packages.
func buildServer(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "kenesh-syncserver")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./syncserver/cmd/kenesh-syncserver")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build kenesh-syncserver: %v\n%s", err, out)
	}
	return bin, nil
}

// server is a kenesh-syncserver process on a loopback port.
type server struct {
	bin, dir, addr, URL string
	cmd                 *exec.Cmd
	logPath             string
	exited              chan struct{}
}

func startServer(ctx context.Context, bin, dir string, extra ...string) (*server, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{bin: bin, dir: dir, addr: addr, URL: "http://" + addr, logPath: filepath.Join(dir, "server.log"), exited: make(chan struct{})}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	logf, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	// --rate 0: no per-device rate limit; the benchmark is the only client.
	args := append([]string{"serve", "--data", dir, "--listen", addr, "--rate", "0", "--log-level", "warn"}, extra...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start kenesh-syncserver: %w", err)
	}
	go func() { s.cmd.Wait(); logf.Close(); close(s.exited) }()
	if err := waitHTTP(ctx, s.URL+"/healthz", s.exited); err != nil {
		s.stop()
		return nil, fmt.Errorf("kenesh-syncserver did not come up on %s: %w\n%s", addr, err, s.logTail())
	}
	slog.Debug("kenesh-syncserver up", "addr", addr, "pid", s.cmd.Process.Pid, "data", dir)
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// alive fails if the server process has gone: every phase checks it, so a
// crash is reported as a crash and not as a strange timeout.
func (s *server) alive() error {
	select {
	case <-s.exited:
		return fmt.Errorf("kenesh-syncserver exited: %s\n%s", s.cmd.ProcessState, s.logTail())
	default:
		return nil
	}
}

func (s *server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// admin runs "kenesh-syncserver admin --data DIR args..." against the
// running server and returns its standard output.
func (s *server) admin(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.bin, append([]string{"admin", "--data", s.dir}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("kenesh-syncserver admin %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// enrollCode issues a one-time code; it is alone on the last line.
func (s *server) enrollCode(ctx context.Context, council, role, name string) (string, error) {
	args := []string{"enroll", "--role", role, "--name", name}
	if council != "" {
		args = append(args, "--council", council)
	}
	out, err := s.admin(ctx, args...)
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	code := strings.TrimSpace(lines[len(lines)-1])
	if code == "" || strings.ContainsAny(code, " {") {
		return "", fmt.Errorf("enroll: no code in the admin output:\n%s", out)
	}
	return code, nil
}

// serverDevice is one row of "admin devices".
type serverDevice struct {
	ID      string `json:"id"`
	Council string `json:"council"`
	Role    string `json:"role"`
	Acked   uint64 `json:"acked"`
	Revoked bool   `json:"revoked"`
}

// devices returns the server's view of every device, with the highest
// sequence number it holds of each.
func (s *server) devices(ctx context.Context) (map[string]serverDevice, error) {
	out, err := s.admin(ctx, "devices")
	if err != nil {
		return nil, err
	}
	var list []serverDevice
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return nil, fmt.Errorf("admin devices: not a JSON array: %v", err)
	}
	m := make(map[string]serverDevice, len(list))
	for _, d := range list {
		m[d.ID] = d
	}
	return m, nil
}

// memory reads the server's resident memory: peak (VmHWM) and current
// (VmRSS), in bytes.
func (s *server) memory() (peak, cur int64, err error) {
	return procMemory(s.pid())
}

func procMemory(pid int) (peak, cur int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch name {
		case "VmHWM":
			peak = n << 10
		case "VmRSS":
			cur = n << 10
		}
	}
	return peak, cur, sc.Err()
}

// resetPeak starts a new peak-RSS measurement (writing 5 to clear_refs
// resets VmHWM to the current RSS; Linux 4.0 and later).
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// cpuSeconds is the user+system CPU time a process has used.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitHTTP polls url until it answers 200, the process exits, or 60 s pass.
func waitHTTP(ctx context.Context, url string, exited <-chan struct{}) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("the process exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("no answer from %s in 60 s", url)
}
