package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/shared/syncproto"
)

func stringIndex(s, sub string) int { return strings.Index(s, sub) }

func firstWord(s string) string {
	for _, w := range strings.Fields(s) {
		if len([]rune(w)) >= 4 {
			return w
		}
	}
	return s
}

func findCheck(h *harness, text string) *widget.Check {
	h.t.Helper()
	for _, o := range h.objects() {
		if c, ok := o.(*widget.Check); ok && c.Text == text {
			return c
		}
	}
	h.t.Fatalf("no check box %q", text)
	return nil
}

func statusOffline() syncer.Status {
	err := &syncproto.Error{Code: syncproto.CodeUnreachable, Message: "the server cannot be reached: dial tcp: refused"}
	return syncer.Status{State: syncer.StateOffline, LastError: err.Error(), Err: err, LastCode: syncproto.CodeUnreachable,
		NextAttempt: time.Now().Add(time.Minute)}
}
