package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// pouchSetup installs bench/pouchdb's packages when they are missing:
// npm ci from the committed lock file (npm install if there is none).
func pouchSetup(ctx context.Context, dir string) error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("the PouchDB peer needs Node.js (node 20 and npm): %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "pouchdb-server", "package.json")); err == nil {
		return nil
	}
	args := []string{"ci", "--no-audit", "--no-fund"}
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err != nil {
		args[0] = "install"
	}
	slog.Info("installing the PouchDB peer", "dir", dir, "npm", args[0])
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm %s in %s: %v\n%s", args[0], dir, err, out)
	}
	return nil
}

// pouchServer is pouchdb-server 4.2.0 in memory (-m) on a loopback port.
type pouchServer struct {
	addr   string
	cmd    *exec.Cmd
	exited chan struct{}
	log    string
}

func startPouchServer(ctx context.Context, pkgDir, workDir string) (*pouchServer, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	_, port, _ := strings.Cut(addr, ":")
	dir := filepath.Join(workDir, "pouchdb-server")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := &pouchServer{addr: addr, exited: make(chan struct{}), log: filepath.Join(dir, "stdout.log")}
	logf, err := os.Create(p.log)
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(pkgDir, "node_modules", "pouchdb-server", "bin", "pouchdb-server")
	// -m: in memory (no durability: an advantage for PouchDB, noted in
	// BENCHMARKS.md); -n: no request log on stdout (it still writes
	// log.txt in its directory, as it does by default).
	p.cmd = exec.Command("node", "--max-old-space-size=8192", bin, "-m", "-n", "--no-color", "-o", "127.0.0.1", "-p", port, "-c", filepath.Join(dir, "config.json"))
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start pouchdb-server: %w", err)
	}
	go func() { p.cmd.Wait(); logf.Close(); close(p.exited) }()
	if err := waitHTTP(ctx, "http://"+addr+"/", p.exited); err != nil {
		p.stop()
		b, _ := os.ReadFile(p.log)
		return nil, fmt.Errorf("pouchdb-server did not come up: %w\n%s", err, b)
	}
	return p, nil
}

func (p *pouchServer) stop() {
	if p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// pouchDriver is bench/pouchdb/driver.js: one JSON command per line in,
// one JSON answer per line out.
type pouchDriver struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *tailBuffer
	mu     sync.Mutex
}

func startPouchDriver(pkgDir string) (*pouchDriver, error) {
	d := &pouchDriver{stderr: &tailBuffer{max: 8000}}
	d.cmd = exec.Command("node", "--max-old-space-size=8192", filepath.Join(pkgDir, "driver.js"))
	d.cmd.Dir = pkgDir
	d.cmd.Stderr = d.stderr
	var err error
	if d.in, err = d.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	d.out = bufio.NewReaderSize(stdout, 1<<20)
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the PouchDB driver: %w", err)
	}
	return d, nil
}

// call sends one command and decodes its answer into out (may be nil).
func (d *pouchDriver) call(ctx context.Context, cmd map[string]any, out any) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, _ := json.Marshal(cmd)
	if _, err := d.in.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("PouchDB driver: %w\n%s", err, d.stderr)
	}
	type answer struct {
		line []byte
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := d.out.ReadBytes('\n')
		ch <- answer{line, err}
	}()
	var a answer
	select {
	case a = <-ch:
	case <-ctx.Done():
		d.cmd.Process.Kill()
		return ctx.Err()
	}
	if a.err != nil {
		return fmt.Errorf("PouchDB driver (%v): no answer to %s: %w\n%s", cmd["op"], b, a.err, d.stderr)
	}
	var head struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(a.line, &head); err != nil {
		return fmt.Errorf("PouchDB driver: bad answer %q: %w", a.line, err)
	}
	if !head.OK {
		return fmt.Errorf("PouchDB %v: %s", cmd["op"], head.Error)
	}
	if out != nil {
		return json.Unmarshal(a.line, out)
	}
	return nil
}

func (d *pouchDriver) stop() {
	d.in.Write([]byte(`{"op":"quit"}` + "\n"))
	d.in.Close()
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-done
	}
}

// replication is what the driver says of one replication.
type replication struct {
	Seconds     float64 `json:"seconds"`
	Requests    int     `json:"requests"`
	DocsRead    int     `json:"docs_read"`
	DocsWritten int     `json:"docs_written"`
}

// pouchVerify is the driver's comparison of a local database with the server's.
type pouchVerify struct {
	Local   int      `json:"local"`
	Remote  int      `json:"remote"`
	Checked int      `json:"checked"`
	Missing int      `json:"missing"`
	Differ  int      `json:"differ"`
	Example []string `json:"example"`
}

func (v pouchVerify) err(what string, want int) error {
	if v.Missing > 0 || v.Differ > 0 || v.Checked != v.Local || (want >= 0 && v.Local != want) {
		return fmt.Errorf("PouchDB %s: the server does not hold what the laptop holds: %d local, %d checked, %d missing, %d different (want %d) %v",
			what, v.Local, v.Checked, v.Missing, v.Differ, want, v.Example)
	}
	return nil
}

// writeNDJSON writes one JSON value per line.
func writeNDJSON[T any](path string, items []T) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
