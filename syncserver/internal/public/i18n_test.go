package public

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/domain"
)

// Every key the pages use is in every language, with the same
// placeholders; families made from codes are complete.
func TestKeysExist(t *testing.T) {
	m, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`"((?:site|nav|list|filter|page|appeal|field|outcome|status|stats|form|refuse|track|notfound|error|data|feed|footer)\.[a-z_.]+)"`)
	used := map[string]string{}
	files, _ := filepath.Glob("*.go")
	tpls, _ := filepath.Glob("templates/*.html")
	for _, f := range append(files, tpls...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range key.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasSuffix(k[1], ".") && k[1] != "feed.atom" {
				used[k[1]] = f
			}
		}
	}
	if len(used) < 80 {
		t.Fatalf("found only %d keys: is the scan broken?", len(used))
	}
	for _, s := range domain.Statuses {
		used["status."+string(s)] = "statuses"
	}
	for _, o := range []string{"in_time", "late", "overdue", "pending"} {
		used["outcome."+o], used["stats."+o] = "outcome", "stats"
	}
	for _, r := range domain.SubmissionRefusals {
		used["track.refused."+r] = "refusals"
	}
	for _, c := range []string{domain.CodeRequired, domain.CodeUnknown, domain.CodeTooLong, domain.CodeFormat, domain.CodeMismatch, domain.CodeForbidden} {
		used["form.err."+c] = "field error codes"
	}
	ph := regexp.MustCompile(`\{[a-z_]+\}`)
	for k, where := range used {
		for _, l := range Languages {
			if _, ok := m[l][k]; !ok {
				t.Errorf("%s (used in %s) is not in %s.json", k, where, l)
			}
		}
	}
	for k, en := range m["en"] {
		for _, l := range Languages {
			a, b := ph.FindAllString(en, -1), ph.FindAllString(m[l][k], -1)
			slices.Sort(a)
			slices.Sort(b)
			if strings.Join(a, ",") != strings.Join(b, ",") {
				t.Errorf("%s: placeholders %v in en, %v in %s", k, a, b, l)
			}
		}
	}
}

func TestNegotiate(t *testing.T) {
	for h, want := range map[string]string{"": "ky", "ru": "ru", "en-US,en;q=0.9": "en", "de,ru;q=0.2,en;q=0.1": "ru",
		"ky-KG": "ky", "en;q=0,ru;q=0.5": "ru", "*": "ky", "ru;q=abc": "ru"} {
		if got := negotiate(h); got != want {
			t.Errorf("%q: %s, want %s", h, got, want)
		}
	}
}
