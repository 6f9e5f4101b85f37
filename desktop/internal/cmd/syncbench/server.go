package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kenesh/kenesh/internal/pgtest"
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

// perProcess is a process's copy of its extra flags: the second process
// and later write their CPU profile to the file named with ".1", ".2"...
// appended, not over the first's.
func perProcess(extra []string, i int) []string {
	out := slices.Clone(extra)
	for j := 0; j+1 < len(out) && i > 0; j++ {
		if out[j] == "--cpuprofile" {
			out[j+1] += fmt.Sprintf(".%d", i)
		}
	}
	return out
}

// deployment is what the servers run on: the embedded store (Badger), or
// a PostgreSQL cluster this run started, with how many server processes.
var deployment struct {
	pg        *pgtest.Cluster
	processes int
	dbs       int
	// gomaxprocs: GOMAXPROCS of each server process (0: Go's default).
	gomaxprocs int
}

// serverEnv is the environment of a server process: this process's, with
// GOMAXPROCS set to procs when procs > 0 (the last value of a variable is
// the one a process sees).
func serverEnv(base []string, procs int) []string {
	if procs <= 0 {
		return nil // exec's default: this process's environment
	}
	return append(slices.Clip(base), fmt.Sprintf("GOMAXPROCS=%d", procs))
}

// server is a deployment of kenesh-syncserver on loopback: one process on
// its data directory, or, on PostgreSQL, one or more processes on one
// database behind a balancer that gives each TCP connection to the next
// (as an L4 load balancer does).
type server struct {
	bin, dir, addr, URL string
	store               []string // the flags naming its store, for serve and admin
	procs               []*proc
	bal                 *balancer
}

// proc is one kenesh-syncserver process.
type proc struct {
	cmd     *exec.Cmd
	addr    string
	metrics string // its metrics listener (--metrics-listen)
	logPath string
	exited  chan struct{}
}

func startServer(ctx context.Context, bin, dir string, extra ...string) (*server, error) {
	s := &server{bin: bin, dir: dir, store: []string{"--data", dir}}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	n := 1
	var files []string
	if deployment.pg != nil {
		deployment.dbs++
		url, err := deployment.pg.NewDatabase(ctx, fmt.Sprintf("kenesh%d", deployment.dbs))
		if err != nil {
			return nil, err
		}
		s.store, files, n = []string{"--postgres", url}, []string{"--files", filepath.Join(dir, "files")}, max(1, deployment.processes)
	}
	for i := range n {
		addr, err := freePort()
		if err != nil {
			return nil, err
		}
		maddr, err := freePort()
		if err != nil {
			return nil, err
		}
		p := &proc{addr: addr, metrics: maddr, logPath: filepath.Join(dir, fmt.Sprintf("server-%d.log", i)), exited: make(chan struct{})}
		logf, err := os.Create(p.logPath)
		if err != nil {
			s.stop()
			return nil, err
		}
		// --rate 0: no per-device rate limit; the benchmark is the only
		// client. --files-sweep-every 0: no sweep of the files, a daily
		// task whose first run, ten minutes after the start, read every
		// record's state in the middle of whichever phase was timed then
		// (2.2 s of the server's CPU in PouchDB's first pull of a
		// 100,000-record run under load).
		args := append(append(append([]string{"serve"}, s.store...), files...), "--listen", addr, "--rate", "0", "--files-sweep-every", "0", "--log-level", "warn",
			"--metrics-listen", maddr)
		p.cmd = exec.Command(bin, append(args, perProcess(extra, i)...)...)
		p.cmd.Stdout, p.cmd.Stderr = logf, logf
		p.cmd.Env = serverEnv(os.Environ(), deployment.gomaxprocs)
		if err := p.cmd.Start(); err != nil {
			logf.Close()
			s.stop()
			return nil, fmt.Errorf("start kenesh-syncserver: %w", err)
		}
		go func() { p.cmd.Wait(); logf.Close(); close(p.exited) }()
		s.procs = append(s.procs, p)
		if err := waitHTTP(ctx, "http://"+addr+"/healthz", p.exited); err != nil {
			s.stop()
			return nil, fmt.Errorf("kenesh-syncserver did not come up on %s: %w\n%s", addr, err, p.logTail())
		}
		slog.Debug("kenesh-syncserver up", "addr", addr, "pid", p.cmd.Process.Pid, "store", s.store)
	}
	s.addr = s.procs[0].addr
	if len(s.procs) > 1 {
		var addrs []string
		for _, p := range s.procs {
			addrs = append(addrs, p.addr)
		}
		b, err := newBalancer(addrs)
		if err != nil {
			s.stop()
			return nil, err
		}
		s.bal, s.addr = b, b.addr()
	}
	s.URL = "http://" + s.addr
	return s, nil
}

// cpu is the user+system CPU time the server's processes have used.
func (s *server) cpu() float64 {
	var t float64
	for _, p := range s.procs {
		t += cpuSeconds(p.cmd.Process.Pid)
	}
	return t
}

// appendGroups is how many groups of appends (commits of one or more
// change sets) the server's processes have run, summed from their metrics
// (kenesh_append_groups_total); ok is false if a process does not serve
// the counter (a server from before it).
func (s *server) appendGroups(ctx context.Context) (n int64, ok bool) {
	v, ok := s.metricSum(ctx, "kenesh_append_groups_total")
	return int64(v), ok
}

// metricSum is an unlabelled metric's value summed over the processes (not
// ok: a process does not serve it, or its metrics could not be read).
func (s *server) metricSum(ctx context.Context, name string) (sum float64, ok bool) {
	for _, p := range s.procs {
		v, found, err := scrapeMetric(ctx, "http://"+p.metrics+"/metrics", name)
		if err != nil {
			slog.Warn("scrape the server's metrics", "err", err)
			return 0, false
		}
		if !found {
			return 0, false
		}
		sum += v
	}
	return sum, true
}

// handled is the time the processes took over the syncs they handled,
// from each body read to its answer encoded (kenesh_sync_duration_seconds:
// judging, the commit, the pull and the compression, with their waits),
// and how many.
func (s *server) handled(ctx context.Context) (seconds, syncs float64, ok bool) {
	seconds, ok1 := s.metricSum(ctx, "kenesh_sync_duration_seconds_sum")
	syncs, ok2 := s.metricSum(ctx, "kenesh_sync_duration_seconds_count")
	return seconds, syncs, ok1 && ok2
}

// scrapeMetric reads one unlabelled sample from a Prometheus text page.
func scrapeMetric(ctx context.Context, url, name string) (v float64, found bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return metricValue(resp.Body, name)
}

// metricValue finds the sample "name value" in Prometheus's text format.
func metricValue(r io.Reader, name string) (v float64, found bool, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return 0, false, fmt.Errorf("metric %s: %q: %w", name, sc.Text(), err)
			}
			return v, true, nil
		}
	}
	return 0, false, sc.Err()
}

// dbCPU is the CPU time of the PostgreSQL cluster's processes (0 on
// Badger): the postmaster and the backends serving the servers.
func dbCPU() float64 {
	if deployment.pg == nil {
		return 0
	}
	pm, err := deployment.pg.PID()
	if err != nil {
		return 0
	}
	t := cpuSeconds(pm)
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(d))
		if parentPID(pid) == pm {
			t += cpuSeconds(pid)
		}
	}
	return t
}

// parentPID is a process's parent (0 if it cannot be read).
func parentPID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// alive fails if a server process has gone: every phase checks it, so a
// crash is reported as a crash and not as a strange timeout.
func (s *server) alive() error {
	for _, p := range s.procs {
		select {
		case <-p.exited:
			return fmt.Errorf("kenesh-syncserver exited: %s\n%s", p.cmd.ProcessState, p.logTail())
		default:
		}
	}
	return nil
}

func (p *proc) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (s *server) stop() {
	if s.bal != nil {
		s.bal.close()
	}
	for _, p := range s.procs {
		if p.cmd == nil || p.cmd.Process == nil {
			continue
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
	}
}

// admin runs "kenesh-syncserver admin --data DIR args..." (or --postgres
// URL) against the running server and returns its standard output.
func (s *server) admin(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.bin, append(append([]string{"admin"}, s.store...), args...)...)
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
// (VmRSS), in bytes, summed over its processes.
func (s *server) memory() (peak, cur int64, err error) {
	for _, p := range s.procs {
		pk, c, err := procMemory(p.cmd.Process.Pid)
		if err != nil {
			return 0, 0, err
		}
		peak, cur = peak+pk, cur+c
	}
	return peak, cur, nil
}

// resetPeak starts a new peak-RSS measurement of every process.
func (s *server) resetPeak() error {
	for _, p := range s.procs {
		if err := resetPeak(p.cmd.Process.Pid); err != nil {
			return err
		}
	}
	return nil
}

func procMemory(pid int) (peak, cur int64, err error) {
	kb, err := procStatus(pid)
	return kb["VmHWM"] << 10, kb["VmRSS"] << 10, err
}

// procStatus reads the numbers of /proc/PID/status by name (for memory,
// in KiB as the kernel writes them).
func procStatus(pid int) (map[string]int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	kb := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		if fields := strings.Fields(val); len(fields) > 0 {
			kb[name], _ = strconv.ParseInt(fields[0], 10, 64)
		}
	}
	return kb, sc.Err()
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
