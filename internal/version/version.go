package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// release is set by the Makefile from the VERSION file:
//
//	go build -ldflags "-X github.com/kenesh/kenesh/internal/version.release=$(cat VERSION)"
//
// A build without it (go build, go test, go run) is "dev". commit is the
// git commit the Makefile built from, when it knows one.
var release, commit string

// Dev is the version of a build that was not given one.
const Dev = "dev"

// String is this program's release ("1.2.3"), or Dev.
func String() string {
	if release == "" {
		return Dev
	}
	return release
}

// SetRelease sets the release and commit of a build that cannot pass
// -ldflags: fyne package's Windows build drops them on its second go build
// (make dist-windows writes a file into the main package it builds that
// calls this from an init function). Nothing else calls it.
func SetRelease(r, c string) { release, commit = r, c }

// IsDev reports whether this build was given no release.
func IsDev() bool { return String() == Dev }

// Describe is the line `PROG --version` prints: the release, the commit it
// was built from when Go recorded one, the Go version and the platform, so
// that a person reading it out on the phone says everything needed to tell
// builds apart.
func Describe(prog string) string {
	var extra []string
	if commit != "" {
		extra = append(extra, "commit "+commit)
	} else if bi, ok := debug.ReadBuildInfo(); ok {
		var rev string
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += "+changes"
			}
			extra = append(extra, "commit "+rev)
		}
	}
	extra = append(extra, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("%s %s (%s)", prog, String(), strings.Join(extra, ", "))
}

// Parse reads a release "MAJOR.MINOR.PATCH" (a leading "v" allowed, and a
// pre-release or build suffix after "-" or "+", which Compare ignores).
func Parse(v string) (Release, error) {
	s := strings.TrimPrefix(strings.TrimSpace(v), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Release{}, fmt.Errorf("version %q: want MAJOR.MINOR.PATCH, e.g. 1.2.0", v)
	}
	var r [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || (len(p) > 1 && p[0] == '0') {
			return Release{}, fmt.Errorf("version %q: %q is not a number", v, p)
		}
		r[i] = n
	}
	return Release{Major: r[0], Minor: r[1], Patch: r[2]}, nil
}

// Release is a parsed release number.
type Release struct{ Major, Minor, Patch int }

func (r Release) String() string { return fmt.Sprintf("%d.%d.%d", r.Major, r.Minor, r.Patch) }

// Compare is -1, 0 or +1 as r is older than, the same as or newer than o.
func (r Release) Compare(o Release) int {
	for _, d := range [3]int{r.Major - o.Major, r.Minor - o.Minor, r.Patch - o.Patch} {
		switch {
		case d < 0:
			return -1
		case d > 0:
			return 1
		}
	}
	return 0
}
