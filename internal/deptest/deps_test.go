package deptest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Deps       []string
}

const module = "github.com/kenesh/kenesh/"

// listDeps returns every package of the module with its transitive imports,
// as the given GOOS builds them (CGO off: the core must not need it).
func listDeps(t *testing.T) []pkg {
	t.Helper()
	touchSources(t)
	// Deps lists transitive imports.
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps", "./...")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func TestDependencyDirection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	isUI := func(p string) bool {
		return strings.HasPrefix(p, module+"desktop/internal/ui") || p == module+"desktop/cmd/kenesh"
	}
	rules := []struct {
		name    string
		applies func(string) bool
		banned  []string
	}{
		{"shared imports neither desktop nor syncserver", func(p string) bool { return strings.HasPrefix(p, module+"shared/") },
			[]string{module + "desktop/", module + "syncserver/"}},
		{"only the UI imports Fyne", func(p string) bool { return !isUI(p) },
			[]string{"fyne.io/"}},
		{"the UI talks to the core, never to Badger or go-memdb", isUI,
			[]string{"github.com/dgraph-io/badger", "github.com/hashicorp/go-memdb"}},
		{"syncserver does not import desktop", func(p string) bool { return strings.HasPrefix(p, module+"syncserver/") },
			[]string{module + "desktop/"}},
		{"desktop does not import syncserver", func(p string) bool { return strings.HasPrefix(p, module+"desktop/") },
			[]string{module + "syncserver/"}},
	}
	for _, p := range listDeps(t) {
		for _, r := range rules {
			if !r.applies(p.ImportPath) {
				continue
			}
			for _, d := range p.Deps {
				for _, b := range r.banned {
					if strings.HasPrefix(d, b) {
						t.Errorf("%s: %s imports %s", r.name, p.ImportPath, d)
					}
				}
			}
		}
	}
}

// touchSources stats every Go file of the module. go test caches a result by
// the files the test itself opened or stat'ed, and go list runs in another
// process: without this, a new bad import would be hidden by a cached pass.
func touchSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") || d.Name() == "go.mod" {
			_, err = os.Stat(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
