package reports_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/reports"
)

var keyLike = regexp.MustCompile(`^[a-z_]+(\.[a-z0-9_]+)+$`)

// Every section, label and column is in words in every language (a
// missing translation key shows as the key), and the numbers are the
// report's.
func TestSectionsInWords(t *testing.T) {
	svc, _ := setup(t)
	ctx := context.Background()
	councils, err := svc.Councils(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, by := range append([]string{""}, reports.Bys...) {
		fl := quarter()
		fl.By = by
		r, err := reports.Make(ctx, svc, fl)
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range l10n.Languages {
			w, err := reports.NewWords(lang, svc.Catalog(), councils)
			if err != nil {
				t.Fatal(err)
			}
			secs := r.Sections(w, "")
			if g := r.GroupTable(w); g != nil {
				secs = append(secs, *g)
			} else if by != "" {
				t.Errorf("by %s: no group table", by)
			}
			for _, s := range secs {
				texts := append([]string{s.Title, r.Period(w), r.ScopeText(w)}, s.Columns...)
				for _, row := range s.Rows {
					texts = append(texts, row.Label)
					for _, c := range row.Cells {
						if c.Valid || c.Text != "" { // an empty cell (no target) is blank
							texts = append(texts, c.Text)
						}
					}
				}
				for _, x := range texts {
					if x == "" || keyLike.MatchString(x) || strings.Contains(x, "{") {
						t.Errorf("%s, by %q, section %s: %q is not in words", lang, by, s.ID, x)
					}
				}
			}
		}
	}
	r, err := reports.Make(ctx, svc, quarter())
	if err != nil {
		t.Fatal(err)
	}
	w, _ := reports.NewWords("ky", svc.Catalog(), councils)
	found := false
	for _, s := range r.Sections(w, "") {
		if s.ID != reports.AppealsChannel {
			continue
		}
		for _, row := range s.Rows {
			if row.Label == "Телефон аркылуу" {
				found = true
				c := row.Cells[0]
				if c.Value != 3 || c.Text != "3" || c.Sel.Measure != reports.AppealsChannel || c.Sel.Key != "phone" {
					t.Errorf("phone: %+v", c)
				}
			}
		}
	}
	if !found {
		t.Error("no line for appeals by phone in Kyrgyz")
	}
	if got := r.Period(w); got != "01.01.2026 – 31.03.2026" {
		t.Errorf("period %q", got)
	}
}
