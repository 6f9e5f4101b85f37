// Command filesbench measures files that travel (issue 14) against a real
// kenesh-syncserver process on loopback: a large material published,
// sent and fetched against sha256sum of the same file on the same disk,
// the bytes a 1% edit of a document sends, the memory of the laptop and
// the server while they move a file (the same for 50 and 200 MB), and a
// file over an emulated EDGE link cut about every minute.
//
//	go run ./desktop/internal/cmd/filesbench -parts big,edit,memory
//	go run ./desktop/internal/cmd/filesbench -parts edge   # about 30 minutes
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/internal/testnet"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

type config struct {
	server, work        string
	bigMB, editMB       int
	edgeMB              int
	edgeBPS             int64
	edgeRTT             time.Duration
	edgeCut             time.Duration
	keep                bool
	parts               map[string]bool
	councilCode, oblast string
}

func main() {
	var c config
	flag.StringVar(&c.server, "server", "", "kenesh-syncserver binary (default: build it from this module)")
	flag.StringVar(&c.work, "work", "", "working directory, on the disk to measure (default: a new temporary directory)")
	flag.IntVar(&c.bigMB, "big-mb", 200, "size of the large material, MB")
	flag.IntVar(&c.editMB, "edit-mb", 50, "size of the document edited by 1%, MB")
	flag.IntVar(&c.edgeMB, "edge-mb", 20, "size of the file sent over EDGE, MB")
	flag.Int64Var(&c.edgeBPS, "edge-bps", 100_000, "EDGE link bandwidth, bits per second each way (as syncbench)")
	flag.DurationVar(&c.edgeRTT, "edge-rtt", 600*time.Millisecond, "EDGE link round-trip time")
	flag.DurationVar(&c.edgeCut, "edge-cut", time.Minute, "the EDGE link drops about this often (at the bytes it carries in that time)")
	flag.BoolVar(&c.keep, "keep", false, "keep the working directory")
	parts := flag.String("parts", "big,edit,memory", "what to run: big, edit, memory, edge")
	flag.Parse()
	c.parts = map[string]bool{}
	for _, p := range strings.Split(*parts, ",") {
		c.parts[strings.TrimSpace(p)] = true
	}
	c.councilCode, c.oblast = "NRN-ATB", "KG-N"
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "filesbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	work := c.work
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "filesbench-"); err != nil {
			return err
		}
	}
	if !c.keep {
		defer os.RemoveAll(work)
	}
	if c.server == "" {
		c.server = filepath.Join(work, "kenesh-syncserver")
		cmd := exec.Command("go", "build", "-o", c.server, "./syncserver/cmd/kenesh-syncserver")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build kenesh-syncserver (run from the module's root): %v\n%s", err, out)
		}
	}
	fmt.Printf("machine: %d CPUs, %s; work directory %s\n\n", runtime.NumCPU(), runtime.Version(), work)
	if c.parts["big"] || c.parts["memory"] {
		if err := big(ctx, c, work); err != nil {
			return fmt.Errorf("big: %w", err)
		}
	}
	if c.parts["edit"] {
		if err := edit(ctx, c, work); err != nil {
			return fmt.Errorf("edit: %w", err)
		}
	}
	if c.parts["edge"] {
		if err := edge(ctx, c, work); err != nil {
			return fmt.Errorf("edge: %w", err)
		}
	}
	return nil
}

// server is a kenesh-syncserver process on a loopback port.
type server struct {
	bin, dir, addr, URL string
	cmd                 *exec.Cmd
}

func startServer(bin, dir string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &server{bin: bin, dir: dir, addr: addr, URL: "http://" + addr}
	logf, err := os.Create(dir + ".log")
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve", "--data", dir, "--listen", addr, "--rate", "0", "--log-level", "warn", "--files-quota", "-1", "--materials-quota", "-1")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(s.URL + "/healthz"); err == nil {
			resp.Body.Close()
			return s, nil
		}
	}
	s.stop()
	return nil, fmt.Errorf("kenesh-syncserver did not come up (log in %s.log)", dir)
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
}

func (s *server) admin(args ...string) (string, error) {
	out, err := exec.Command(s.bin, append([]string{"admin", "--data", s.dir}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("admin %v: %v\n%s", args, err, out)
	}
	return string(out), nil
}

func (s *server) code(role, council, name string) (string, error) {
	args := []string{"enroll", "--role", role, "--name", name}
	if council != "" {
		args = append(args, "--council", council)
	}
	out, err := s.admin(args...)
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

// laptop is a store, its records and files, and its syncer.
type laptop struct {
	st    *store.Store
	svc   *records.Service
	files *files.Files
	sync  *syncer.Syncer
	stop  func()
}

func newLaptop(ctx context.Context, dir, name string) (*laptop, error) {
	key := make([]byte, 32)
	rand.Read(key)
	st, err := store.Open(ctx, dir, key, store.Options{})
	if err != nil {
		return nil, err
	}
	if _, err := records.Init(ctx, st, name); err != nil {
		return nil, err
	}
	svc, err := records.Open(ctx, st, records.Options{Format: syncer.WireFormat{}})
	if err != nil {
		return nil, err
	}
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		return nil, err
	}
	fl := files.New(st, svc)
	sy := syncer.New(svc, codec)
	sy.Files = fl
	return &laptop{st: st, svc: svc, files: fl, sync: sy, stop: fl.Follow()}, nil
}

func (l *laptop) close() {
	l.stop()
	l.svc.Close()
	l.st.Close()
}

// enroll enrolls the laptop with s, reached at url (the server's own
// address, or a link in front of it).
func (l *laptop) enroll(ctx context.Context, s *server, url, role, council, name string) error {
	code, err := s.code(role, council, name)
	if err != nil {
		return err
	}
	_, _, err = l.sync.Enroll(ctx, url, code)
	return err
}

// content is n bytes that do not compress (a video, a scanned PDF).
func content(seed uint64, n int) []byte {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	mrand.NewChaCha8(s).Read(b)
	return b
}

// heap samples the Go heap in use until stopped, for the peak.
type heap struct {
	peak atomic.Uint64
	done chan struct{}
}

func sampleHeap() *heap {
	h := &heap{done: make(chan struct{})}
	go func() {
		var m runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > h.peak.Load() {
				h.peak.Store(m.HeapInuse)
			}
			select {
			case <-h.done:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heap) stop() uint64 { close(h.done); return h.peak.Load() }

// peakRSS is a process's peak resident set since its last reset.
func peakRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}

func resetPeak(pid int) { os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) }

// cpuSeconds is the user+system CPU time a process has used.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
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
	return (ut + st) / 100 // USER_HZ
}

// selfCPU is this process's CPU time (the laptops').
func selfCPU() float64 { return cpuSeconds(os.Getpid()) }

func mb(n int64) float64 { return float64(n) / 1e6 }

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

// sha256sum times Debian's sha256sum of path (the file read from disk).
func sha256sum(path string) (time.Duration, error) {
	exec.Command("sync").Run()
	start := time.Now()
	if out, err := exec.Command("sha256sum", path).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("sha256sum: %v %s", err, out)
	}
	return time.Since(start), nil
}

// big: a trainer publishes a large material (cut, hashed and stored on
// the laptop), sends it, and a council's laptop fetches it, against
// sha256sum of the same file; the peak memory of each side for a 50 MB
// and a big material (memory).
func big(ctx context.Context, c config, work string) error {
	srv, err := startServer(c.server, filepath.Join(work, "server-big"))
	if err != nil {
		return err
	}
	defer srv.stop()
	if _, err := srv.admin("council", "add", "--code", c.councilCode, "--name", "Ат-Башы", "--oblast", c.oblast); err != nil {
		return err
	}
	trainer, err := newLaptop(ctx, filepath.Join(work, "trainer"), "Тренер")
	if err != nil {
		return err
	}
	defer trainer.close()
	sec, err := newLaptop(ctx, filepath.Join(work, "secretary"), "Ат-Башы")
	if err != nil {
		return err
	}
	defer sec.close()
	if err := trainer.enroll(ctx, srv, srv.URL, domain.RoleTrainer, "", "Тренер"); err != nil {
		return err
	}
	if err := sec.enroll(ctx, srv, srv.URL, domain.RoleSecretary, c.councilCode, "Ат-Башы"); err != nil {
		return err
	}
	sizes := []int{c.bigMB}
	if c.parts["memory"] {
		sizes = []int{50, c.bigMB}
	}
	fmt.Println("| material | sha256sum of the file | publish (cut, hash, store) | send (sync) | fetch (sync) | CPU s, laptop + server (send / fetch) | laptop heap peak (send / fetch) | server peak RSS (send / fetch) |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for i, size := range sizes {
		n := size * 1_000_000
		path := filepath.Join(work, fmt.Sprintf("material-%d.bin", size))
		if err := os.WriteFile(path, content(uint64(10+i), n), 0o600); err != nil {
			return err
		}
		runtime.GC()
		sum, err := sha256sum(path)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		start := time.Now()
		m, err := trainer.files.Publish(ctx, files.MaterialInput{Title: fmt.Sprintf("Видео %d MB", size), Language: "ky", File: files.Input{Name: "video.mp4"}}, f)
		f.Close()
		if err != nil {
			return err
		}
		publish := time.Since(start)
		runtime.GC()
		resetPeak(srv.cmd.Process.Pid)
		h := sampleHeap()
		lc, sc := selfCPU(), cpuSeconds(srv.cmd.Process.Pid)
		start = time.Now()
		s1, err := trainer.sync.SyncOnce(ctx)
		if err != nil {
			return err
		}
		send := time.Since(start)
		sendCPU := fmt.Sprintf("%.1f + %.1f", selfCPU()-lc, cpuSeconds(srv.cmd.Process.Pid)-sc)
		sendHeap, sendRSS := h.stop(), peakRSS(srv.cmd.Process.Pid)
		runtime.GC()
		resetPeak(srv.cmd.Process.Pid)
		h = sampleHeap()
		lc, sc = selfCPU(), cpuSeconds(srv.cmd.Process.Pid)
		start = time.Now()
		s2, err := sec.sync.SyncOnce(ctx)
		if err != nil {
			return err
		}
		fetch := time.Since(start)
		fetchCPU := fmt.Sprintf("%.1f + %.1f", selfCPU()-lc, cpuSeconds(srv.cmd.Process.Pid)-sc)
		fetchHeap, fetchRSS := h.stop(), peakRSS(srv.cmd.Process.Pid)
		// What arrived is the material, byte for byte.
		_, r, err := sec.files.OpenMaterial(ctx, m.ID)
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			return fmt.Errorf("the fetched material does not read back: %w", err)
		}
		rate := func(d time.Duration) string {
			return fmt.Sprintf("%.1f s, %.0f MB/s", d.Seconds(), float64(n)/1e6/d.Seconds())
		}
		fmt.Printf("| %d MB (%d chunks; %.1f MB up, %.1f MB down) | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s |\n",
			size, len(m.File.Chunks), mb(s1.BytesUp), mb(s2.BytesDown), rate(sum), rate(publish), rate(send), rate(fetch), sendCPU, fetchCPU,
			mib(int64(sendHeap)), mib(int64(fetchHeap)), mib(sendRSS), mib(fetchRSS))
		os.Remove(path)
	}
	fmt.Println()
	return nil
}

// edit: a document of editMB attached and sent, then a new version with
// 1% of it changed in one place and in five: the bytes each sends.
func edit(ctx context.Context, c config, work string) error {
	srv, err := startServer(c.server, filepath.Join(work, "server-edit"))
	if err != nil {
		return err
	}
	defer srv.stop()
	if _, err := srv.admin("council", "add", "--code", c.councilCode, "--name", "Ат-Башы", "--oblast", c.oblast); err != nil {
		return err
	}
	l, err := newLaptop(ctx, filepath.Join(work, "edit"), "Ат-Башы")
	if err != nil {
		return err
	}
	defer l.close()
	if err := l.enroll(ctx, srv, srv.URL, domain.RoleSecretary, c.councilCode, "Ат-Башы"); err != nil {
		return err
	}
	today := caldate.Today(records.Bishkek)
	a, err := l.svc.CreateAppeal(ctx, domain.Appeal{Council: c.councilCode, Channel: "in_person", Oblast: c.oblast, Category: "land_property",
		Anonymous: true, Summary: "Жер үлүшү", ReceivedOn: today, RegisteredOn: today})
	if err != nil {
		return err
	}
	n := c.editMB * 1_000_000
	v1 := content(20, n)
	if _, err := l.files.Attach(ctx, domain.KindAppeal, a.ID, files.Input{Name: "doc-v1.pdf"}, bytes.NewReader(v1)); err != nil {
		return err
	}
	s, err := l.sync.SyncOnce(ctx)
	if err != nil {
		return err
	}
	fmt.Println("| a document of", c.editMB, "MB | chunk bytes sent | bytes on the wire (requests and answers) | of the file |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| first version | %.2f MB | %.2f MB up, %.2f MB down | %.1f%% |\n", mb(s.Files.UpBytes), mb(s.BytesUp), mb(s.BytesDown), 100*float64(s.BytesUp)/float64(n))
	one := n / 100
	v2 := bytes.Clone(v1)
	copy(v2[n/3:], content(21, one))
	v3 := bytes.Clone(v1)
	for i := range 5 {
		at := (2*i + 1) * n / 10
		copy(v3[at:], content(uint64(30+i), one/5))
	}
	for _, v := range []struct {
		name string
		b    []byte
	}{{"1% rewritten in one place", v2}, {"1% rewritten in five places", v3}} {
		if _, err := l.files.Attach(ctx, domain.KindAppeal, a.ID, files.Input{Name: "doc.pdf"}, bytes.NewReader(v.b)); err != nil {
			return err
		}
		s, err := l.sync.SyncOnce(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("| new version, %s | %.2f MB | %.2f MB up, %.2f MB down | %.1f%% |\n", v.name, mb(s.Files.UpBytes), mb(s.BytesUp), mb(s.BytesDown), 100*float64(s.BytesUp)/float64(n))
	}
	fmt.Println()
	return nil
}

// edge: a file sent over the emulated EDGE link, which drops about every
// edgeCut, synced again and again until it is up, as the background loop
// does; then fetched by the council's other laptop the same way.
func edge(ctx context.Context, c config, work string) error {
	srv, err := startServer(c.server, filepath.Join(work, "server-edge"))
	if err != nil {
		return err
	}
	defer srv.stop()
	if _, err := srv.admin("council", "add", "--code", c.councilCode, "--name", "Ат-Башы", "--oblast", c.oblast); err != nil {
		return err
	}
	link, err := testnet.NewLink(srv.addr, c.edgeBPS, c.edgeRTT)
	if err != nil {
		return err
	}
	defer link.Close()
	var ls []*laptop
	for _, name := range []string{"a", "b"} {
		l, err := newLaptop(ctx, filepath.Join(work, "edge-"+name), "Ат-Башы "+name)
		if err != nil {
			return err
		}
		defer l.close()
		if err := l.enroll(ctx, srv, "http://"+link.Addr, domain.RoleSecretary, c.councilCode, "Ат-Башы "+name); err != nil {
			return err
		}
		ls = append(ls, l)
	}
	today := caldate.Today(records.Bishkek)
	a, err := ls[0].svc.CreateAppeal(ctx, domain.Appeal{Council: c.councilCode, Channel: "in_person", Oblast: c.oblast, Category: "land_property",
		Anonymous: true, Summary: "Видео", ReceivedOn: today, RegisteredOn: today})
	if err != nil {
		return err
	}
	n := c.edgeMB * 1_000_000
	if _, err := ls[0].files.Attach(ctx, domain.KindAppeal, a.ID, files.Input{Name: "video.mp4"}, bytes.NewReader(content(40, n))); err != nil {
		return err
	}
	perCut := int64(float64(c.edgeBPS) / 8 * c.edgeCut.Seconds())
	fmt.Printf("| %d MB over EDGE (%d kbit/s, %s RTT), cut every ~%s (%.0f KB) | time | syncs | cuts | bytes on the line | over the file |\n",
		c.edgeMB, c.edgeBPS/1000, c.edgeRTT, c.edgeCut, float64(perCut)/1e3)
	fmt.Println("|---|---|---|---|---|---|")
	for i, l := range ls {
		link.Reset()
		link.CutEvery(perCut, uint64(i+1))
		cuts0 := link.Cuts()
		start := time.Now()
		syncs := 0
		for ; syncs < 500; syncs++ {
			if _, err := l.sync.SyncOnce(ctx); err == nil {
				break
			}
			time.Sleep(time.Second) // the loop's first retry is 5 s; kept short here
		}
		took := time.Since(start)
		link.CutEvery(0, 0)
		up, down := link.Bytes()
		moved, way := up, "sent"
		if i == 1 {
			moved, way = down, "fetched"
		}
		cuts := link.Cuts() - cuts0
		extra := moved - int64(n)
		per := ""
		if cuts > 0 {
			per = fmt.Sprintf(", %.0f KB a cut", float64(extra)/float64(cuts)/1e3)
		}
		fmt.Printf("| %s | %s | %d | %d | %.2f MB | %.2f MB%s |\n", way, took.Round(time.Second), syncs+1, cuts, mb(moved), mb(extra), per)
	}
	fmt.Println()
	return nil
}
