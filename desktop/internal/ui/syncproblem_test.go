package ui

import (
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/syncproto"
)

// The status bar says a sync error in the person's language, not in the
// server's or Go's English.
func TestSyncProblemInPlainWords(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	msg := `server: the server cannot be reached: Get "http://127.0.0.1:7480/healthz": dial tcp 127.0.0.1:7480: connect: connection refused (unreachable)`
	got := h.u.syncProblem(msg, syncproto.CodeUnreachable)
	if got != h.T("problem.unreachable") || strings.Contains(got, "dial tcp") {
		t.Fatalf("unreachable: %q", got)
	}
	if got := h.u.syncProblem("server: revoked by the administrator (revoked)", syncproto.CodeRevoked); got != h.T("problem.revoked") {
		t.Fatalf("revoked: %q", got)
	}
	// A code without words of its own keeps the message, after a sentence.
	if got := h.u.syncProblem("server: the body was cut off (bad_frame)", syncproto.CodeFrame); !strings.HasPrefix(got, h.T("problem.sync_other")) {
		t.Fatalf("bad frame: %q", got)
	}
}
