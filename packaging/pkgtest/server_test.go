package pkgtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	rel "github.com/kenesh/kenesh/shared/release"
)

// EnvRequire makes a missing tool or privilege a failure instead of a skip
// (.ci/run sets it: CI runs as root with dpkg and systemd's tools).
const EnvRequire = "KENESH_REQUIRE_PACKAGING"

func skipOrFail(t *testing.T, format string, a ...any) {
	t.Helper()
	if os.Getenv(EnvRequire) != "" {
		t.Fatalf(format+" ($"+EnvRequire+" is set)", a...)
	}
	t.Skipf(format, a...)
}

// repo is the repository's top directory.
func repo(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func release(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo(t), "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func arch(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// debs returns the server's and keneshctl's packages: from $KENESH_DIST
// (make test builds them there with make dist-server), or built here as
// make dist-server does.
func debs(t *testing.T) (server, ctl string) {
	t.Helper()
	v, a := release(t), arch(t)
	dist := os.Getenv("KENESH_DIST")
	if dist == "" {
		dist = t.TempDir()
		bin := filepath.Join(dist, "build")
		ld := "-s -w -X github.com/kenesh/kenesh/internal/version.release=" + v
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ld, "-o", bin+"/",
			"github.com/kenesh/kenesh/desktop/cmd/keneshctl", "github.com/kenesh/kenesh/syncserver/cmd/kenesh-syncserver")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		for _, p := range []string{"kenesh-syncserver", "keneshctl"} {
			if out, err := exec.Command(filepath.Join(repo(t), "packaging", "build-deb"), p, v, a, bin, dist).CombinedOutput(); err != nil {
				t.Fatalf("build-deb %s: %v\n%s", p, err, out)
			}
		}
	}
	server = filepath.Join(dist, fmt.Sprintf("kenesh-syncserver_%s_%s.deb", v, a))
	ctl = filepath.Join(dist, fmt.Sprintf("keneshctl_%s_%s.deb", v, a))
	for _, f := range []string{server, ctl} {
		checkSum(t, f)
	}
	return server, ctl
}

// checkSum: every artifact has a FILE.sha256 that sha256sum -c accepts.
func checkSum(t *testing.T, file string) {
	t.Helper()
	cmd := exec.Command("sha256sum", "-c", filepath.Base(file)+".sha256")
	cmd.Dir = filepath.Dir(file)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s.sha256: %v\n%s", file, err, out)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newRoot makes an empty root with what dpkg and useradd need: a dpkg
// database and the account files with root alone.
func newRoot(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	for _, d := range []string{"etc", "var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "etc/group": "root:x:0:\n",
		"etc/shadow": "root:*:19000:0:99999:7:::\n", "etc/gshadow": "root:*::\n",
		"var/lib/dpkg/status": "", "var/lib/dpkg/available": "",
	}
	for f, s := range files {
		if err := os.WriteFile(filepath.Join(root, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The service's user must reach into the root once it is chrooted.
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// dpkg runs dpkg on root, its maintainer scripts outside a chroot with
// $DPKG_ROOT set (they honour it); the root has none of the packages'
// dependencies (passwd, util-linux), which the host provides.
func dpkg(t *testing.T, root string, args ...string) string {
	t.Helper()
	return run(t, "dpkg", append([]string{"--root=" + root, "--force-script-chrootless", "--force-depends", "--log=/dev/null"}, args...)...)
}

// account is a user's or a group's numeric id in root's account files.
func account(t *testing.T, root, file, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "etc", file))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 2 && f[0] == name {
			n, err := strconv.Atoi(f[2])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in %s's %s", name, root, file)
	return 0
}

func owner(t *testing.T, path string) (uid, gid int, mode os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid), fi.Mode()
}

// unitValue is the value of key in the unit file (the last one).
func unitValue(t *testing.T, unit, key string) string {
	t.Helper()
	var v string
	sc := bufio.NewScanner(strings.NewReader(unit))
	for sc.Scan() {
		if k, val, ok := strings.Cut(sc.Text(), "="); ok && strings.TrimSpace(k) == key {
			v = strings.TrimSpace(val)
		}
	}
	if v == "" {
		t.Fatalf("the unit has no %s", key)
	}
	return v
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// setConfig changes a setting of the installed configuration file, as an
// operator edits it.
func setConfig(t *testing.T, path, key, value string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^#? ?` + regexp.QuoteMeta(key) + ` = .*$`)
	if !re.Match(b) {
		t.Fatalf("%s has no setting %s", path, key)
	}
	b = re.ReplaceAll(b, []byte(key+" = "+value))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// service is the server started as systemd would start the unit: its
// ExecStart command line, as its User and Group, here chrooted into the
// root the package was installed in.
type service struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	url    string
	done   chan error
}

func startService(t *testing.T, root string, uid, gid int, execStart, url string) *service {
	t.Helper()
	args := append([]string{fmt.Sprintf("--userspec=%d:%d", uid, gid), root}, strings.Fields(execStart)...)
	s := &service{cmd: exec.Command("chroot", args...), stderr: &syncBuffer{}, url: url, done: make(chan error, 1)}
	s.cmd.Env = []string{"PATH=/usr/bin:/bin"} // systemd's environment is near empty
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { s.stop(t) })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return s
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("the service stopped: %v\n%s", err, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service did not answer: %s", s.stderr)
		}
	}
}

// syncBuffer is what the service writes, read while it writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stop sends SIGTERM, as systemctl stop does, and waits.
func (s *service) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Errorf("the service exited with %v after SIGTERM:\n%s", err, s.stderr)
		}
	case <-time.After(60 * time.Second): // TimeoutStopSec
		s.cmd.Process.Kill()
		t.Errorf("the service did not stop within 60 s of SIGTERM")
	}
}

// TestServerPackage installs the server's and keneshctl's packages into a
// throwaway root with dpkg, checks what they installed, starts the server
// from the unit's ExecStart command line as the unit's user, sets it up
// with the administration command kenesh-admin runs, enrolls a laptop and
// syncs with the packaged keneshctl; then upgrades, removes and purges
// the package and finds the data and its key kept, installs it again and
// syncs on the same data.
func TestServerPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("installs packages")
	}
	for _, tool := range []string{"dpkg", "dpkg-deb", "chroot", "useradd", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, "%s is not installed", tool)
		}
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "installing into a root and starting the service as its user needs root")
	}
	serverDeb, ctlDeb := debs(t)
	root := newRoot(t)
	dpkg(t, root, "-i", serverDeb, ctlDeb)

	// What the package installed.
	for _, f := range []string{"usr/bin/kenesh-syncserver", "usr/bin/keneshctl", "usr/sbin/kenesh-admin",
		"lib/systemd/system/kenesh-syncserver.service", "etc/kenesh/syncserver.conf", "usr/share/doc/kenesh-syncserver/copyright"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	if got := dpkg(t, root, "-s", "kenesh-syncserver"); !strings.Contains(got, "Status: install ok installed") || !strings.Contains(got, "Version: "+release(t)) {
		t.Fatalf("dpkg -s: %s", got)
	}
	if b, err := os.ReadFile(filepath.Join(root, "var/lib/dpkg/info/kenesh-syncserver.conffiles")); err != nil || strings.TrimSpace(string(b)) != "/etc/kenesh/syncserver.conf" {
		t.Errorf("conffiles: %q %v", b, err)
	}
	uid, gid := account(t, root, "passwd", "kenesh"), account(t, root, "group", "kenesh")
	if uid == 0 || uid >= 1000 {
		t.Errorf("kenesh is uid %d, want a system user", uid)
	}
	if u, g, m := owner(t, filepath.Join(root, "var/lib/kenesh")); u != uid || g != gid || m.Perm() != 0o700 {
		t.Errorf("/var/lib/kenesh: %d:%d %v", u, g, m)
	}
	keyPath := filepath.Join(root, "etc/kenesh/server.key")
	if u, g, m := owner(t, keyPath); u != 0 || g != gid || m.Perm() != 0o640 {
		t.Errorf("the key: %d:%d %v, want root:kenesh 0640", u, g, m)
	}
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}

	// The unit.
	unitPath := filepath.Join(root, "lib/systemd/system/kenesh-syncserver.service")
	ub, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	unit := string(ub)
	if unitValue(t, unit, "User") != "kenesh" || unitValue(t, unit, "Group") != "kenesh" {
		t.Errorf("the unit's user and group: %s, %s", unitValue(t, unit, "User"), unitValue(t, unit, "Group"))
	}
	for _, want := range []string{"ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "ReadWritePaths=/var/lib/kenesh", "ProtectHome=yes"} {
		if !strings.Contains(unit, "\n"+want+"\n") {
			t.Errorf("the unit lacks %s", want)
		}
	}
	verifyUnit(t, root, unit)

	// Started as systemd starts it, on ports of its own (an operator's
	// edit of the configuration file).
	conf := filepath.Join(root, "etc/kenesh/syncserver.conf")
	addr, metrics := freePort(t), freePort(t)
	setConfig(t, conf, "listen", strconv.Quote(addr))
	setConfig(t, conf, "metrics-listen", strconv.Quote(metrics))
	execStart := unitValue(t, unit, "ExecStart")
	url := "http://" + addr
	svc := startService(t, root, uid, gid, execStart, url)
	var health struct {
		Status, Version string
	}
	getJSON(t, url+"/healthz", &health)
	if health.Status != "ok" || health.Version != release(t) {
		t.Fatalf("healthz: %+v, want version %s", health, release(t))
	}
	if resp, err := http.Get("http://" + metrics + "/metrics"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("metrics: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if !strings.Contains(svc.stderr.String(), "msg=serving") || !strings.Contains(svc.stderr.String(), "version="+release(t)) {
		t.Errorf("the service's log (stderr, the journal under systemd): %s", svc.stderr)
	}
	if u, _, _ := owner(t, filepath.Join(root, "var/lib/kenesh/data/db")); u != uid {
		t.Errorf("the data belongs to %d, not kenesh (%d)", u, uid)
	}

	// Administration as kenesh-admin does it: the same command line, as
	// the service's user, through the running service's control socket.
	admin := func(args ...string) string {
		t.Helper()
		a := append([]string{fmt.Sprintf("--userspec=%d:%d", uid, gid), root, "/usr/bin/kenesh-syncserver", "admin", "--config", "/etc/kenesh/syncserver.conf"}, args...)
		return run(t, "chroot", a...)
	}
	wrapper, err := os.ReadFile(filepath.Join(root, "usr/sbin/kenesh-admin"))
	if err != nil || !strings.Contains(string(wrapper), "runuser -u kenesh -- /usr/bin/kenesh-syncserver admin --config \"$conf\" \"$@\"") {
		t.Fatalf("kenesh-admin runs something else:\n%s", wrapper)
	}
	admin("council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N")
	code := lastLine(admin("enroll", "--council", "NRN-ATB", "--role", "secretary", "--name", "Ат-Башы ноутбугу"))

	// A laptop with the packaged keneshctl.
	ctl := filepath.Join(root, "usr/bin/keneshctl")
	if got := run(t, ctl, "--version"); !strings.HasPrefix(got, "keneshctl "+release(t)+" ") {
		t.Fatalf("keneshctl --version: %s", got)
	}
	laptop := filepath.Join(t.TempDir(), "laptop")
	kctl := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(ctl, append([]string{"--data", laptop}, args...)...)
		cmd.Env = append(os.Environ(), "KENESH_PASSPHRASE=package-test-passphrase", "KENESH_KDF=test")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("keneshctl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	kctl("", "init", "--device-name", "Ат-Башы ноутбугу")
	kctl("", "enroll", "--server", url, "--code", code)
	kctl(`{"council":"NRN-ATB","channel":"phone","appellant":{"name":"Токтогулов Эрмек"},"oblast":"KG-N","category":"police_justice","summary":"Милиция арызды каттоодон баш тартты"}`, "appeal", "add")
	var sum struct{ Sent, Acked int }
	if err := json.Unmarshal([]byte(kctl("", "sync")), &sum); err != nil || sum.Sent != 1 {
		t.Fatalf("sync: %+v %v", sum, err)
	}
	if !strings.Contains(admin("devices"), `"acked": 1`) {
		t.Fatalf("the server did not take the laptop's appeal: %s", admin("devices"))
	}

	// An app update: signed with the packaged keneshctl (the release
	// manager's machine), published with kenesh-admin as the service's
	// user from where the guide says to copy it, served by the running
	// service from its data directory to any laptop.
	keyFile := filepath.Join(t.TempDir(), "release.key")
	var gen struct {
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal([]byte(run(t, ctl, "release", "keygen", "--out", keyFile)), &gen); err != nil {
		t.Fatal(err)
	}
	setup := filepath.Join(root, "tmp", "kenesh-9.9.9-windows-amd64-setup.exe")
	os.MkdirAll(filepath.Dir(setup), 0o1777)
	if err := os.WriteFile(setup, bytes.Repeat([]byte("MZ installer "), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, ctl, "release", "sign", "--key", keyFile, setup)
	if out := admin("release", "publish", "--trust", gen.PublicKey, "/tmp/"+filepath.Base(setup)); !strings.Contains(out, `"9.9.9"`) {
		t.Fatalf("release publish: %s", out)
	}
	if u, _, _ := owner(t, filepath.Join(root, "var/lib/kenesh/data/releases")); u != uid {
		t.Errorf("the releases belong to %d, not kenesh (%d)", u, uid)
	}
	resp, err := http.Get(url + rel.PathLatest + "?os=windows&arch=amd64")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the latest release: %v %v", resp, err)
	}
	sig, err := rel.Decode(resp.Body)
	resp.Body.Close()
	trusted, _ := rel.ParsePublicKey(gen.PublicKey)
	m, verr := sig.Verify([]rel.PublicKey{trusted})
	if err != nil || verr != nil || m.Version != "9.9.9" {
		t.Fatalf("the latest release does not verify: %v %v", err, verr)
	}
	resp, err = http.Get(url + rel.PathFile + m.SHA256)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the release's file: %v %v", resp, err)
	}
	err = rel.CheckFile(m, resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("the release's file as served: %v", err)
	}
	svc.stop(t)

	// An upgrade (the same package again: its scripts run as for an
	// upgrade) keeps the operator's configuration.
	dpkg(t, root, "-i", serverDeb)
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "listen = "+strconv.Quote(addr)) {
		t.Fatalf("the upgrade lost the configuration:\n%s", b)
	}

	// Removed, then purged: the program goes, the data and its key stay.
	dpkg(t, root, "-r", "kenesh-syncserver")
	if _, err := os.Stat(filepath.Join(root, "usr/bin/kenesh-syncserver")); err == nil {
		t.Fatal("removed, the program is still there")
	}
	dpkg(t, root, "-P", "kenesh-syncserver")
	if _, err := os.Stat(conf); err == nil {
		t.Fatal("purged, the configuration file is still there")
	}
	for _, f := range []string{"var/lib/kenesh/data/db", "etc/kenesh/server.key"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Fatalf("purging lost %s: %v", f, err)
		}
	}

	// Installed again: the same key, the same data; the laptop syncs on.
	dpkg(t, root, "-i", serverDeb)
	if again, _ := os.ReadFile(keyPath); !bytes.Equal(again, key) {
		t.Fatal("installing again replaced the data key")
	}
	if account(t, root, "passwd", "kenesh") != uid {
		t.Fatal("installing again made another user")
	}
	setConfig(t, conf, "listen", strconv.Quote(addr))
	setConfig(t, conf, "metrics-listen", strconv.Quote(metrics))
	startService(t, root, uid, gid, execStart, url)
	kctl(`{"council":"NRN-ATB","kind":"hearing","title":"Коомдук угуу","date":"2026-03-01","oblast":"KG-N"}`, "event", "add")
	if err := json.Unmarshal([]byte(kctl("", "sync")), &sum); err != nil || sum.Sent != 1 || sum.Acked != 2 {
		t.Fatalf("sync after reinstalling: %+v %v", sum, err)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// verifyUnit checks the unit with systemd's own tools, when they are
// here: systemd-analyze verify finds no unknown or wrong directive (the
// program's path taken into the root), and its security review rates the
// sandbox at most 2.5 of 10 (exposure; systemd calls it OK up to 4.9).
func verifyUnit(t *testing.T, root, unit string) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		skipOrFail(t, "systemd-analyze is not installed")
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "kenesh-syncserver.service")
	local := strings.ReplaceAll(unit, "ExecStart=/usr/bin/", "ExecStart="+root+"/usr/bin/")
	if err := os.WriteFile(path, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command("systemd-analyze", "security", "--offline=true", path).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.5 {
		t.Errorf("the unit's exposure is %s, want at most 2.5:\n%s", m[1], out)
	}
	t.Logf("systemd-analyze security: exposure %s", m[1])
}
