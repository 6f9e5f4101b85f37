package ui

import (
	"context"
	"testing"
)

// The conflict card says who wrote each value (the writing laptop's
// registered name) and when, in the interface's language and local time.
func TestConflictCardSaysWhoAndWhen(t *testing.T) {
	for _, lang := range []string{"ky", "ru", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := unlocked(t, lang, 5, 0, 1)
			views, err := h.u.sess.Records().ConflictViews(context.Background())
			if err != nil || len(views) != 1 {
				t.Fatalf("%d conflicts (%v)", len(views), err)
			}
			h.u.shell.navigate(secConflicts)
			for _, w := range []struct {
				who string
				at  any
			}{{views[0].Current.By, views[0].Current.At}, {views[0].Other.By, views[0].Other.At}} {
				if w.who == "" {
					t.Fatalf("a value without its author: %+v", views[0])
				}
				h.mustShow(h.T("conflicts.written_by", "who", w.who, "time", w.at))
			}
		})
	}
}
