package version

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestParseCompare(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.2.3", "1.2.3", 0},
		{"v1.2.3", "1.2.3", 0},
		{"1.2.3", "1.2.4", -1},
		{"1.10.0", "1.9.9", 1},
		{"2.0.0", "1.99.99", 1},
		{"0.5.0-rc1", "0.5.0", 0},
		{"0.5.0+build.7", "0.4.9", 1},
	} {
		a, err := Parse(c.a)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.a, err)
		}
		b, err := Parse(c.b)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.b, err)
		}
		if got := a.Compare(b); got != c.want {
			t.Errorf("%s vs %s: %d, want %d", c.a, c.b, got, c.want)
		}
		if got := b.Compare(a); got != -c.want {
			t.Errorf("%s vs %s: %d, want %d", c.b, c.a, got, -c.want)
		}
	}
	for _, bad := range []string{"", "dev", "1.2", "1.2.3.4", "1.x.3", "01.2.3", "-1.2.3"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestDevWithoutRelease(t *testing.T) {
	old := release
	defer func() { release = old }()
	release = ""
	if String() != "dev" || !IsDev() {
		t.Fatalf("a build without a release says %q", String())
	}
	release = "1.4.0"
	if String() != "1.4.0" || IsDev() {
		t.Fatalf("String() = %q", String())
	}
	d := Describe("keneshctl")
	if !regexp.MustCompile(`^keneshctl 1\.4\.0 \(.*go1\.\d+.*, [a-z0-9]+/[a-z0-9]+\)$`).MatchString(d) {
		t.Fatalf("Describe: %q", d)
	}
}

// TestVersionFile: the repository's VERSION file, where the Makefile takes
// every build's release from, is a release number, and the desktop app's
// FyneApp.toml (read by fyne package) names the same one.
func TestVersionFile(t *testing.T) {
	b, err := os.ReadFile("../../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimSpace(string(b))
	if _, err := Parse(v); err != nil {
		t.Fatalf("VERSION: %v", err)
	}
	if strings.ContainsAny(v, "-+v") {
		t.Fatalf("VERSION %q: a plain MAJOR.MINOR.PATCH (Windows' file version and the .deb's take no more)", v)
	}
	toml, err := os.ReadFile("../../desktop/cmd/kenesh/FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([^"]*)"`).FindSubmatch(toml)
	if m == nil {
		t.Fatal("FyneApp.toml names no Version")
	}
	if string(m[1]) != v {
		t.Fatalf("FyneApp.toml's Version is %q, VERSION is %q: make version-sync writes VERSION into it", m[1], v)
	}
}

func TestSetRelease(t *testing.T) {
	oldR, oldC := release, commit
	defer func() { release, commit = oldR, oldC }()
	SetRelease("0.9.0", "abcdef")
	if String() != "0.9.0" || !strings.Contains(Describe("kenesh"), "commit abcdef") {
		t.Fatalf("%s / %s", String(), Describe("kenesh"))
	}
}
