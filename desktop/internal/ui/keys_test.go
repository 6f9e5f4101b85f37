package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// namespaces of translation keys: a string literal in the interface code
// that starts with one of these is a key and must be in every language.
var namespaces = []string{"action", "app", "appeal", "common", "conflicts", "consult", "dialog", "draft", "enroll", "err", "event", "exit",
	"field", "firstrun", "form", "history", "home", "inbox", "list", "lock", "menu", "nav", "period", "problem", "publication", "quest",
	"record", "report", "restore", "review", "role", "settings", "status", "strength", "sync", "unlock", "update", "workflow"}

var keyLike = regexp.MustCompile(`^[a-z_]+(\.[a-z0-9_]+)+$`)

// TestKeysUsedExist fails when the code uses a key that a translation file
// lacks: the literal keys in the source, and the families the code builds
// from codes (statuses, problems, sync states, fields).
func TestKeysUsedExist(t *testing.T) {
	cat := l10n.MustLoad()
	keys := map[string]string{}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !keyLike.MatchString(s) {
				return true
			}
			ns := s[:strings.Index(s, ".")]
			for _, x := range namespaces {
				if x == ns {
					keys[s] = fset.Position(lit.Pos()).String()
				}
			}
			return true
		})
	}
	if len(keys) < 150 {
		t.Fatalf("found only %d keys in the source: is the scan broken?", len(keys))
	}
	// Keys made from codes at run time.
	for _, s := range domain.Statuses {
		keys["status."+string(s)] = "statusName"
	}
	for from := range domain.Statuses {
		for _, to := range domain.Statuses[from].Next() {
			keys["workflow.to."+string(to)] = "appeal detail"
			keys["workflow.explain."+string(to)] = "step dialog"
		}
	}
	for _, st := range []syncer.State{syncer.StateIdle, syncer.StateSyncing, syncer.StateOffline, syncer.StateError, syncer.StateBlocked, syncer.StateNotEnrolled, stateStarting} {
		keys["sync.state."+string(st)] = "status bar"
	}
	for _, p := range []string{session.ProblemWrongPassphrase, session.ProblemShortPassphrase, session.ProblemInUse, session.ProblemDiskFull, session.ProblemNewerData,
		session.ProblemNotBackup, session.ProblemNotEmpty, session.ProblemUnreachable, session.ProblemBadCode, session.ProblemRevoked,
		session.ProblemUnauthorized, session.ProblemProtocol, session.ProblemServer, session.ProblemSeqConflict, session.ProblemNotEnrolled,
		session.ProblemAlreadyEnrolled, session.ProblemBadURL, session.ProblemPlainHTTP, session.ProblemBadAnswer, session.ProblemClockWrong, session.ProblemHeldBack, session.ProblemInvalid, session.ProblemTransition, session.ProblemNotFound,
		session.ProblemQuota, session.ProblemNotDownloaded, session.ProblemNoRoomForFiles, session.ProblemOther} {
		keys["problem."+p] = "problem"
	}
	for _, r := range []string{domain.RoleSecretary, domain.RoleCentral, domain.RoleTrainer, domain.RoleAdmin} {
		keys["role."+r] = "roleName"
	}
	for _, a := range []changeset.Action{changeset.ActionCreate, changeset.ActionUpdate, changeset.ActionDelete} {
		keys["history.action."+string(a)] = "history"
	}
	for _, p := range periods {
		if p != "" {
			keys["period."+p] = "periodSelect"
		}
	}
	for _, s := range sections {
		keys["nav."+s] = "navigation"
	}
	for _, c := range []string{domain.CodeRequired, domain.CodeUnknown, domain.CodeTooLong, domain.CodeRange, domain.CodeFormat,
		domain.CodeMismatch, domain.CodeForbidden} {
		keys["err."+c] = "fieldMessage"
	}
	// Every stored field of events and appeals has a name for history and conflicts.
	for _, v := range []any{domain.Appeal{}, domain.Event{}, domain.Appellant{}, domain.FollowUp{}, domain.Speaker{}, domain.Consultation{}} {
		rt := reflect.TypeOf(v)
		for i := 0; i < rt.NumField(); i++ {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" && !slices.Contains(domain.NotFields, name) {
				keys["field."+name] = rt.Name() + " JSON field"
			}
		}
	}
	for _, name := range []string{"appellant", "participants", "speakers", "decisions", "followups", "media_links",
		"consultations", "attachments", "vulnerable_groups", "published_on"} {
		keys["field."+name] = "fieldName"
	}
	for _, lang := range l10n.Languages {
		for k, where := range keys {
			if !cat.Has(lang, k) {
				t.Errorf("%s.json lacks %q (used at %s)", lang, k, where)
			}
		}
	}
}
