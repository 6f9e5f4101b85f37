package update

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	rel "github.com/kenesh/kenesh/shared/release"
)

// TestApplyArchive: a Linux release, the archive packaging/build-tar makes
// with its install.sh, downloaded from the real server and applied: the
// new program is installed in this person's ~/.local and started, the
// records' folder untouched.
func TestApplyArchive(t *testing.T) {
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("xz is not installed")
	}
	// Built and started before HOME moves: go build keeps its caches there.
	srv := startServer(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", "")
	// The programs of the release: scripts that say which release they are.
	bin := t.TempDir()
	for _, p := range []string{"kenesh", "keneshctl"} {
		os.WriteFile(filepath.Join(bin, p), []byte("#!/bin/sh\necho "+p+" 0.7.0\n"), 0o755)
	}
	out := t.TempDir()
	cmd := exec.Command("packaging/build-tar", "0.7.0", "amd64", bin, out)
	cmd.Dir = "../../.."
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-tar: %v\n%s", err, b)
	}
	archive := filepath.Join(out, "kenesh-0.7.0-linux-amd64.tar.xz")
	sg := newSigner(t)
	sg.sign(archive, "0.7.0", "linux")
	if o, err := srv.publish(archive); err != nil {
		t.Fatalf("publish: %v %s", err, o)
	}
	records := filepath.Join(home, ".local", "share", "kenesh")
	os.MkdirAll(records, 0o700)
	os.WriteFile(filepath.Join(records, "keep"), []byte("the council's records"), 0o600)

	var started []*exec.Cmd
	o := Options{Server: srv.URL, Dir: filepath.Join(t.TempDir(), DirName), Keys: []rel.PublicKey{sg.pub}, Current: "0.6.0",
		OS: "linux", Arch: "amd64", start: func(c *exec.Cmd) error { started = append(started, c); return nil }}
	if _, err := New(o).Check(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(o, func(context.Context) (string, error) { return srv.URL, nil }, 0)
	if st := w.Status(); st.State != StateReady || st.Version != "0.7.0" {
		t.Fatalf("a new watcher sees %+v", st)
	}
	if err := w.Apply(context.Background(), []string{"--data", "/somewhere"}); err != nil {
		t.Fatal(err)
	}
	installed := filepath.Join(home, ".local", "bin", "kenesh")
	if len(started) != 1 || started[0].Path != installed || strings.Join(started[0].Args[1:], " ") != "--data /somewhere" {
		t.Fatalf("started %v, want %s --data /somewhere", started, installed)
	}
	if b, err := exec.Command(installed).Output(); err != nil || string(b) != "kenesh 0.7.0\n" {
		t.Fatalf("the installed program: %q %v", b, err)
	}
	if b, _ := os.ReadFile(filepath.Join(records, "keep")); string(b) != "the council's records" {
		t.Fatal("the records' folder changed")
	}
	if _, err := os.Stat(filepath.Join(home, ".local", "share", "applications", "kenesh.desktop")); err != nil {
		t.Errorf("no menu entry: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(o.Dir, "unpacked-*")); len(m) != 0 {
		t.Errorf("the unpacked archive is left: %v", m)
	}
}

// TestApplyWindows: the installer is started silently, told to start the
// app again on the same data directory; nothing is run for a release that
// no longer verifies.
func TestApplyWindows(t *testing.T) {
	srv := startServer(t)
	sg := newSigner(t)
	if o, err := srv.publish(sg.release("0.7.0", "windows", random(t, 1000))); err != nil {
		t.Fatalf("publish: %v %s", err, o)
	}
	var started []*exec.Cmd
	data := t.TempDir()
	o := Options{Server: srv.URL, Dir: filepath.Join(data, DirName), Keys: []rel.PublicKey{sg.pub}, Current: "0.6.0", OS: "windows", Arch: "amd64",
		start: func(c *exec.Cmd) error { started = append(started, c); return nil }}
	r, err := New(o).Check(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := New(o).Apply(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if len(started) != 1 || started[0].Path != r.Path || strings.Join(started[0].Args[1:], " ") != "/S /RESTART" {
		t.Fatalf("started %v", started)
	}
	// Kenesh, started again by the installer with no arguments, opens the
	// same records (a person may have started it with --data).
	if env := started[0].Env; len(env) == 0 || env[len(env)-1] != "KENESH_DATA="+data {
		t.Fatalf("the installer's environment ends %q, want KENESH_DATA=%s", env[max(len(env)-1, 0):], data)
	}
	// Changed on disk since it was checked: refused, nothing started.
	os.WriteFile(r.Path, random(t, 1000), 0o600)
	if err := New(o).Apply(context.Background(), nil); !errors.Is(err, rel.ErrMismatch) || len(started) != 1 {
		t.Fatalf("a changed installer: %v, %d started", err, len(started))
	}
}

// TestKeys: the keys file built into the app reads, and a line that is no
// key is refused, not skipped (a typo would leave a build trusting less
// than its maker thinks).
func TestKeys(t *testing.T) {
	if _, err := BuiltinKeys(); err != nil {
		t.Fatalf("release-keys.txt: %v", err)
	}
	sg := newSigner(t)
	keys, err := ParseKeys("# a comment\n\n  " + sg.pub.String() + "  \n")
	if err != nil || len(keys) != 1 || keys[0].String() != sg.pub.String() {
		t.Fatalf("%v %v", keys, err)
	}
	if _, err := ParseKeys("# ok\n" + sg.pub.String() + "x\n"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("a bad line: %v", err)
	}
}

// TestManaged: a Kenesh installed from the .deb is told of a newer release
// but fetches none of it (its installer is apt, not the app), offers none
// it fetched before, and Apply installs nothing into ~/.local.
func TestManaged(t *testing.T) {
	srv := startServer(t)
	sg := newSigner(t)
	content := random(t, 200_000)
	if o, err := srv.publish(sg.release("0.7.0", "linux", content)); err != nil {
		t.Fatalf("publish: %v %s", err, o)
	}
	link := newCutProxy(t, srv.URL, 1<<40) // counts what comes down
	var started []*exec.Cmd
	o := Options{Server: link.URL(), Dir: t.TempDir(), Keys: []rel.PublicKey{sg.pub}, Current: "0.6.0", OS: "linux", Arch: "amd64",
		start: func(c *exec.Cmd) error { started = append(started, c); return nil }}
	// Fetched before, by a copy of Kenesh that was not the package's.
	if _, err := New(o).Check(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	before := link.down.Load()
	o.Managed = true
	w := NewWatcher(o, func(context.Context) (string, error) { return link.URL(), nil }, 0)
	if st := w.Status(); st.State != StateNone {
		t.Fatalf("a package's Kenesh offers what was fetched before: %+v", st)
	}
	if err := w.Apply(context.Background(), nil); !errors.Is(err, ErrManaged) || len(started) != 0 {
		t.Fatalf("Apply: %v, %d started", err, len(started))
	}
	st := w.CheckNow(context.Background())
	if st.State != StateManaged || st.Version != "0.7.0" {
		t.Fatalf("the check: %+v", st)
	}
	if down := link.down.Load() - before; down > 10_000 {
		t.Errorf("%d bytes came down for a release that is only announced", down)
	}
	_, err := New(o).Check(context.Background(), nil)
	var me *ManagedError
	if !errors.As(err, &me) || me.Version != "0.7.0" || !errors.Is(err, ErrManaged) || IsRefusal(err) {
		t.Fatalf("Check: %v", err)
	}
	if ents, _ := os.ReadDir(o.Dir); len(ents) != 0 {
		t.Errorf("left in the updates folder: %v", ents)
	}
	// An older release is still refused as such, not announced.
	o.Current = "0.8.0"
	if _, err := New(o).Check(context.Background(), nil); !errors.Is(err, ErrOlder) {
		t.Fatalf("an older release: %v", err)
	}
}

// TestListedByPackage: which programs dpkg's lists make a package's.
func TestListedByPackage(t *testing.T) {
	root := t.TempDir()
	// A program and a link to it, as /usr/bin/kenesh and /bin/kenesh on
	// a merged /usr.
	os.MkdirAll(filepath.Join(root, "usr", "bin"), 0o755)
	prog := filepath.Join(root, "usr", "bin", "kenesh")
	os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755)
	os.Symlink(filepath.Join(root, "usr", "bin"), filepath.Join(root, "bin"))
	list := func(lines ...string) string { return "/.\n/usr\n" + strings.Join(lines, "\n") + "\n" }
	for _, c := range []struct {
		name  string
		files map[string]string
		exe   string
		want  bool
	}{
		{"the package's program", map[string]string{"kenesh.list": list("/usr/bin/kenesh")}, "/usr/bin/kenesh", true},
		{"multi-arch list", map[string]string{"kenesh:amd64.list": list("/usr/bin/kenesh")}, "/usr/bin/kenesh", true},
		{"a copy in ~/.local", map[string]string{"kenesh.list": list("/usr/bin/kenesh")}, "/home/aibek/.local/bin/kenesh", false},
		{"no package", map[string]string{}, "/usr/bin/kenesh", false},
		{"another package's list", map[string]string{"keneshctl.list": list("/usr/bin/kenesh")}, "/usr/bin/kenesh", false},
		{"a prefix is not the file", map[string]string{"kenesh.list": list("/usr/bin/kenesh-old")}, "/usr/bin/kenesh", false},
		{"listed by a link", map[string]string{"kenesh.list": list(filepath.Join(root, "bin", "kenesh"))}, prog, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			info := t.TempDir()
			for n, b := range c.files {
				os.WriteFile(filepath.Join(info, n), []byte(b), 0o644)
			}
			if got := listedByPackage(info, c.exe); got != c.want {
				t.Errorf("listedByPackage(%s) = %v, want %v", c.exe, got, c.want)
			}
		})
	}
	// This test's program is nobody's package.
	if InstalledByPackage() {
		t.Error("the test binary is taken for a package's")
	}
}
