package ui

import (
	"fmt"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// What the laptop's core reports about a server or its own clock reaches
// the status bar in the person's language: the status carries the error
// as the sync loop sets it.
func TestLaptopSyncProblemsInPlainWords(t *testing.T) {
	for _, lang := range []string{"ky", "ru", "en"} {
		h := unlocked(t, lang, 0, 0, 0)
		clock := &syncer.ClockError{Laptop: time.Date(2099, 3, 1, 8, 0, 0, 0, time.UTC), Server: time.Now(),
			Err: &syncproto.Error{Code: syncproto.CodeClock, Message: "change 5 is dated 2099-03-01"}}
		cases := []struct {
			err error
			key string
		}{
			{clock, "problem.clock_wrong"},
			{&syncer.ClockError{Laptop: time.Now().Add(-72 * time.Hour), Server: time.Now()}, "problem.clock_wrong"},
			{fmt.Errorf("%w: it acknowledged this laptop's changes up to number 1000", syncer.ErrBadAnswer), "problem.bad_answer"},
			{fmt.Errorf("%w: 2 held back", records.ErrHeldBack), "problem.held_back"},
			{fmt.Errorf("server address: %w", syncclient.ErrPlainHTTP), "problem.plain_http"},
		}
		for _, c := range cases {
			if got := h.u.syncProblem(c.err); got != h.T(c.key) {
				t.Errorf("%s: %q -> %q, want %q", lang, c.err, got, h.T(c.key))
			}
			if got := h.u.problem(c.err); got != h.T(c.key) {
				t.Errorf("%s: problem(%q) -> %q, want %q", lang, c.err, got, h.T(c.key))
			}
		}
	}
}
