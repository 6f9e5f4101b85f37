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
	Imports    []string
	Error      *struct{ Err string }
	DepsErrors []struct{ Err string }
}

// cgoMain is the one package allowed to need cgo: the desktop app's main,
// which draws with OpenGL. Everything else must build without it.
const cgoMain = module + "desktop/cmd/kenesh"

const module = "github.com/kenesh/kenesh/"

// listDeps returns every package of the module with its transitive imports,
// as the given GOOS builds them (CGO off: the core must not need it).
func listDeps(t *testing.T) []pkg {
	t.Helper()
	touchSources(t)
	// Deps lists transitive imports.
	// -e: list the desktop app's main too, whose OpenGL driver does not
	// build without cgo; any other package that fails is an error below.
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Deps,Imports,Error,DepsErrors", "./...")
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
		if p.ImportPath != cgoMain {
			if p.Error != nil {
				t.Errorf("%s does not build without cgo: %s", p.ImportPath, p.Error.Err)
			}
			for _, e := range p.DepsErrors {
				t.Errorf("%s does not build without cgo: %s", p.ImportPath, e.Err)
			}
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
	// The server's storage engines and their databases' libraries.
	engines := []string{module + "syncserver/internal/store/badgerstore", "github.com/dgraph-io/badger",
		module + "syncserver/internal/store/pgstore", "github.com/jackc/pgx"}
	rules := []struct {
		name    string
		applies func(string) bool
		banned  []string
		direct  bool // only the package's own imports: the core it uses has Badger inside
	}{
		{"shared imports neither desktop nor syncserver", func(p string) bool { return strings.HasPrefix(p, module+"shared/") },
			[]string{module + "desktop/", module + "syncserver/"}, false},
		{"only the UI imports Fyne", func(p string) bool { return !isUI(p) },
			[]string{"fyne.io/"}, false},
		// The screens see the laptop's core through the session, the app
		// and the records' queries and subscriptions: how records are
		// stored and indexed and how they travel can change without
		// touching a screen, and the screens' tests run on the real core.
		{"the UI talks to the core, never to the store, the index, Badger, go-memdb or the wire", isUI,
			[]string{module + "desktop/internal/store", module + "desktop/internal/index", module + "shared/syncproto",
				"github.com/dgraph-io/badger", "github.com/hashicorp/go-memdb"}, true},
		// records records: it saves, reads and merges. Syncing drives it
		// (syncer.Replica), never the other way, and what it keeps of the
		// wire's form it is given (records.OpFormat), so a new protocol
		// version changes the syncer alone. (The policy it applies names
		// its refusals with the protocol's codes, so the wire is among its
		// dependencies through the policy: hence "imports", not "depends".)
		{"records does not depend on the syncer", func(p string) bool { return p == module+"desktop/internal/records" },
			[]string{module + "desktop/internal/syncer"}, false},
		{"records does not import the wire", func(p string) bool { return p == module+"desktop/internal/records" },
			[]string{module + "shared/syncproto"}, true},
		// The domain says what councils record and the rules a record
		// obeys; how records change and merge (changeset) is built on it,
		// and a change in the log's format never reaches the domain.
		{"shared/domain does not depend on changeset", func(p string) bool { return p == module+"shared/domain" },
			[]string{module + "shared/changeset"}, false},
		// Reports, exports and imports read and write through records
		// (its index's columns and facts, its streams and its saves), so
		// that a report counts exactly what the lists show and an import
		// is validated and logged like any save.
		{"reports, exports and imports go through records, never the store, the index or Badger",
			func(p string) bool {
				for _, q := range []string{"reports", "export", "importer", "charts"} {
					if p == module+"desktop/internal/"+q {
						return true
					}
				}
				return false
			},
			[]string{module + "desktop/internal/store", module + "desktop/internal/index", "github.com/dgraph-io/badger"}, true},
		{"syncserver does not import desktop", func(p string) bool { return strings.HasPrefix(p, module+"syncserver/") },
			[]string{module + "desktop/"}, false},
		{"desktop does not import syncserver", func(p string) bool { return strings.HasPrefix(p, module+"desktop/") },
			[]string{module + "syncserver/"}, false},
		// The laptop has no database server: PostgreSQL is the sync
		// server's engine alone (its tests start one through pgtest).
		{"the laptop's packages do not depend on PostgreSQL", func(p string) bool {
			// desktop/internal/cmd are development programs (syncbench
			// runs the server on a PostgreSQL of its own), never shipped.
			return strings.HasPrefix(p, module+"desktop/") && !strings.HasPrefix(p, module+"desktop/internal/cmd/") ||
				strings.HasPrefix(p, module+"shared/")
		}, []string{"github.com/jackc/pgx", module + "internal/pgtest"}, false},
		// The server's engines are chosen at start (Badger embedded,
		// PostgreSQL for several server processes): what serves laptops
		// and the public must work on every engine of the storage
		// contract, and is tested on one only through storetest's suite.
		{"the API imports no storage engine (it serves any engine of the storage contract)",
			func(p string) bool { return strings.HasPrefix(p, module+"syncserver/internal/api") },
			engines, false},
		{"ingest, auth, middleware and the storage contract do not import an engine (they must work on every one)",
			func(p string) bool {
				for _, q := range []string{"ingest", "auth", "middleware", "store", "store/storetest"} {
					if p == module+"syncserver/internal/"+q {
						return true
					}
				}
				return false
			},
			engines, false},
		// What the public sees is the projection alone (store.Public):
		// the register never reads a record, whatever the engine.
		{"the public register does not import an engine (it reads the projection through the storage contract)",
			func(p string) bool { return p == module+"syncserver/internal/public" },
			engines, false},
	}
	for _, p := range listDeps(t) {
		for _, r := range rules {
			if !r.applies(p.ImportPath) {
				continue
			}
			deps := p.Deps
			if r.direct {
				deps = p.Imports
			}
			for _, d := range deps {
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
