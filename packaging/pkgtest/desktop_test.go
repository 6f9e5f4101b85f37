package pkgtest

import (
	"debug/pe"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// fyneApp is what FyneApp.toml says of the desktop app.
type fyneApp struct {
	Details struct {
		Icon, Name, ID, Version string
	}
	LinuxAndBSD struct {
		GenericName, Comment string
		Categories, Keywords []string
	}
}

func readFyneApp(t *testing.T) fyneApp {
	t.Helper()
	var f fyneApp
	if _, err := toml.DecodeFile(filepath.Join(repo(t), "desktop/cmd/kenesh/FyneApp.toml"), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// desktopEntry reads a .desktop file's [Desktop Entry] keys.
func desktopEntry(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			m[k] = v
		}
	}
	return m
}

// TestDesktopMetadata: the Linux menu entry the packages install says what
// FyneApp.toml says (its name, description, categories and keywords; the
// entry adds the Kyrgyz and Russian names, which fyne package's template
// cannot), its icon is the icon FyneApp.toml names, at the size its place
// says.
func TestDesktopMetadata(t *testing.T) {
	f := readFyneApp(t)
	e := desktopEntry(t, filepath.Join(repo(t), "packaging/linux/kenesh.desktop"))
	for k, want := range map[string]string{
		"Name": f.Details.Name, "GenericName": f.LinuxAndBSD.GenericName, "Comment": f.LinuxAndBSD.Comment,
		"Categories": strings.Join(f.LinuxAndBSD.Categories, ";") + ";", "Exec": "kenesh", "Icon": "kenesh", "Type": "Application",
		"Name[ky]": "Кеңеш",
	} {
		if e[k] != want {
			t.Errorf("kenesh.desktop %s=%q, FyneApp.toml says %q", k, e[k], want)
		}
	}
	kw := strings.Split(strings.TrimSuffix(e["Keywords"], ";"), ";")
	for _, k := range f.LinuxAndBSD.Keywords {
		if !slices.Contains(kw, k) {
			t.Errorf("kenesh.desktop's keywords lack %q of FyneApp.toml", k)
		}
	}
	icon, err := filepath.Abs(filepath.Join(repo(t), "desktop/cmd/kenesh", f.Details.Icon))
	if err != nil || icon != filepath.Join(repo(t), "assets/icons/kenesh.png") {
		t.Errorf("FyneApp.toml's icon is %s (%v); the packages install assets/icons/kenesh.png", icon, err)
	}
}

// TestDesktopPackage installs the previous release's records and this
// release's packages as a person's upgrade does: keneshctl 0.4.0 (commit
// 6015dea, built from git: it kept the data in ~/.config/kenesh, before
// stores kept their format) saves records with no --data; then the
// desktop app's .deb and keneshctl's are installed into a throwaway root,
// and their keneshctl, with no --data either, finds the records and
// saves more; the app says its release.
func TestDesktopPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("installs packages and builds the previous release")
	}
	for _, tool := range []string{"dpkg", "git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, "%s is not installed", tool)
		}
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "installing into a root needs root")
	}
	dist := os.Getenv("KENESH_DIST")
	v, a := release(t), arch(t)
	appDeb := filepath.Join(dist, fmt.Sprintf("kenesh_%s_%s.deb", v, a))
	ctlDeb := filepath.Join(dist, fmt.Sprintf("keneshctl_%s_%s.deb", v, a))
	tarball := filepath.Join(dist, fmt.Sprintf("kenesh-%s-linux-%s.tar.xz", v, a))
	if _, err := os.Stat(appDeb); dist == "" || err != nil {
		skipOrFail(t, "no desktop package in $KENESH_DIST (make dist-linux builds it)")
	}
	for _, f := range []string{appDeb, ctlDeb, tarball} {
		checkSum(t, f)
	}

	// The previous release, from git.
	const previous = "6015dea"
	src := t.TempDir()
	tarFile := filepath.Join(t.TempDir(), "previous.tar")
	if out, err := exec.Command("git", "-C", repo(t), "archive", "--format=tar", "-o", tarFile, previous).CombinedOutput(); err != nil {
		skipOrFail(t, "git archive %s (a shallow clone?): %v %s", previous, err, out)
	}
	run(t, "tar", "-xf", tarFile, "-C", src)
	oldCtl := filepath.Join(t.TempDir(), "keneshctl-0.4.0")
	build := exec.Command("go", "build", "-ldflags", "-X github.com/kenesh/kenesh/internal/version.release=0.4.0", "-o", oldCtl, "./desktop/cmd/keneshctl")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building keneshctl 0.4.0: %v\n%s", err, out)
	}

	home := t.TempDir()
	ctl := func(bin, stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "KENESH_PASSPHRASE=upgrade-test-passphrase", "KENESH_KDF=test"}
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out)
		}
		return string(out)
	}
	ctl(oldCtl, "", "init", "--device-name", "Ат-Башы ноутбугу")
	ctl(oldCtl, "", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N")
	ctl(oldCtl, `{"council":"NRN-ATB","channel":"phone","appellant":{"name":"Токтогулов Эрмек"},"oblast":"KG-N","category":"police_justice","summary":"Милиция арызды каттоодон баш тартты"}`, "appeal", "add")
	if _, err := os.Stat(filepath.Join(home, ".config/kenesh/db")); err != nil {
		t.Fatalf("0.4.0 kept its data elsewhere: %v", err)
	}

	// This release's packages.
	root := newRoot(t)
	dpkg(t, root, "-i", appDeb, ctlDeb)
	for _, f := range []string{"usr/bin/kenesh", "usr/bin/keneshctl", "usr/share/applications/kenesh.desktop",
		"usr/share/icons/hicolor/256x256/apps/kenesh.png", "usr/share/doc/kenesh/copyright"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	// The app tells a Kenesh of this package, which apt upgrades and the
	// app must not, by dpkg's list naming the program
	// (update.InstalledByPackage).
	if b, err := os.ReadFile(filepath.Join(root, "var/lib/dpkg/info/kenesh.list")); err != nil ||
		!slices.Contains(strings.Split(string(b), "\n"), "/usr/bin/kenesh") {
		t.Errorf("dpkg's list of kenesh does not name /usr/bin/kenesh: %v\n%s", err, b)
	}
	if deps := run(t, "dpkg-deb", "-f", appDeb, "Depends"); !strings.Contains(deps, "libgl1") || !strings.Contains(deps, "libx11-6") {
		t.Errorf("the app's dependencies: %s", deps)
	}
	if got := ctl(filepath.Join(root, "usr/bin/kenesh"), "", "--version"); !strings.HasPrefix(got, "kenesh "+v+" ") {
		t.Errorf("kenesh --version: %s", got)
	}
	newCtl := filepath.Join(root, "usr/bin/keneshctl")
	var list []struct{ Summary string }
	if err := json.Unmarshal([]byte(ctl(newCtl, "", "appeal", "list", "--full")), &list); err != nil || len(list) != 1 ||
		list[0].Summary != "Милиция арызды каттоодон баш тартты" {
		t.Fatalf("after the upgrade: %+v %v", list, err)
	}
	ctl(newCtl, `{"council":"NRN-ATB","kind":"hearing","title":"Коомдук угуу","date":"2026-03-01","oblast":"KG-N"}`, "event", "add")
	if got := ctl(newCtl, "", "stats"); !strings.Contains(got, `"total": 1`) {
		t.Fatalf("stats after saving with the new release: %s", got)
	}
	// Removing the app keeps the person's records.
	dpkg(t, root, "-P", "kenesh")
	if _, err := os.Stat(filepath.Join(home, ".config/kenesh/db")); err != nil {
		t.Fatal("removing the package lost the records")
	}

	// The archive holds the same app, and installs for one person.
	x := t.TempDir()
	run(t, "tar", "-xJf", tarball, "-C", x)
	dir := filepath.Join(x, fmt.Sprintf("kenesh-%s-linux-%s", v, a))
	cmd := exec.Command(filepath.Join(dir, "install.sh"))
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin"}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	e := desktopEntry(t, filepath.Join(home, ".local/share/applications/kenesh.desktop"))
	if e["Exec"] != filepath.Join(home, ".local/bin/kenesh") {
		t.Errorf("the per-user menu entry runs %q", e["Exec"])
	}
	if got := ctl(filepath.Join(home, ".local/bin/keneshctl"), "", "appeal", "list"); !strings.Contains(got, "NRN-ATB") {
		t.Errorf("the archive's keneshctl: %s", got)
	}
}

// TestWindowsBuild checks what make dist-windows built: the app is a
// 64-bit Windows program of the GUI subsystem (no console window), with
// its resources (icon, version), and the installer is a Windows program
// with its checksum.
func TestWindowsBuild(t *testing.T) {
	dist := os.Getenv("KENESH_DIST")
	setup := filepath.Join(dist, fmt.Sprintf("kenesh-%s-windows-amd64-setup.exe", release(t)))
	if _, err := os.Stat(setup); dist == "" || err != nil {
		if os.Getenv("KENESH_REQUIRE_WINDOWS") != "" {
			t.Fatalf("no Windows installer in $KENESH_DIST (make dist-windows builds it)")
		}
		t.Skip("no Windows installer in $KENESH_DIST (make dist-windows builds it)")
	}
	checkSum(t, setup)
	f, err := pe.Open(filepath.Join(dist, "build", "Kenesh.exe"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || !ok {
		t.Fatalf("Kenesh.exe is for machine %#x, not amd64 (PE32+)", f.Machine)
	}
	if oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("Kenesh.exe's subsystem is %d, not the GUI's (%d): a console window would open beside it", oh.Subsystem, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI)
	}
	if f.Section(".rsrc") == nil {
		t.Error("Kenesh.exe has no resources: no icon, no version")
	}
	s, err := pe.Open(setup)
	if err != nil {
		t.Fatalf("the installer is not a Windows program: %v", err)
	}
	defer s.Close()
	if oh, ok := s.OptionalHeader.(*pe.OptionalHeader64); !ok || s.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("the installer's header: machine %#x, %T", s.Machine, s.OptionalHeader)
	}
}
