package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// The status bar says a sync error in the person's language, not in the
// server's or Go's English, by what the error is, never by its text.
func TestSyncProblemInPlainWords(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	err := &syncproto.Error{Code: syncproto.CodeUnreachable,
		Message: `the server cannot be reached: Get "http://127.0.0.1:7480/healthz": dial tcp 127.0.0.1:7480: connect: connection refused`}
	got := h.u.syncProblem(err)
	if got != h.T("problem.unreachable") || strings.Contains(got, "dial tcp") {
		t.Fatalf("unreachable: %q", got)
	}
	if got := h.u.syncProblem(&syncproto.Error{Code: syncproto.CodeRevoked, Message: "revoked by the administrator"}); got != h.T("problem.revoked") {
		t.Fatalf("revoked: %q", got)
	}
	if got := h.u.syncProblem(syncproto.CheckProto(0)); got != h.T("problem.protocol") {
		t.Fatalf("a laptop below the server's minimum protocol: %q", got)
	}
	// Files that wait: the server's room for them, or this laptop's disk.
	if got := h.u.syncProblem(fmt.Errorf("files: %w", &syncproto.Error{Code: syncproto.CodeQuota, Message: "council NRN-ATB: 2.0 GiB of 2.0 GiB"})); got != h.T("problem.quota") {
		t.Fatalf("quota: %q", got)
	}
	if got := h.u.syncProblem(fmt.Errorf("fetch: %w (300 MiB free, downloads leave 512 MiB)", files.ErrNoRoom)); got != h.T("problem.no_room_for_files") || strings.Contains(got, "MiB") {
		t.Fatalf("no room for files: %q", got)
	}
	// A code without words of its own keeps the message, after a sentence.
	if got := h.u.syncProblem(&syncproto.Error{Code: syncproto.CodeFrame, Message: "the body was cut off"}); !strings.HasPrefix(got, h.T("problem.sync_other")) {
		t.Fatalf("bad frame: %q", got)
	}
	// So does text that only reads like a known error: the status carries
	// the error, and its text is not matched.
	if got := h.u.syncProblem(errors.New("proxy: " + syncproto.ErrRevoked.Error())); !strings.HasPrefix(got, h.T("problem.sync_other")) {
		t.Fatalf("text like a revocation: %q", got)
	}
	if h.u.syncProblem(nil) != "" {
		t.Fatal("no error, no words")
	}
}

// A server's refusal that names fields is said field by field, with the
// fields' names and the reasons in the person's language.
func TestRefusalFieldsInPlainWords(t *testing.T) {
	for _, lang := range []string{"ky", "ru", "en"} {
		h := unlocked(t, lang, 0, 0, 0)
		err := &syncproto.Error{Code: syncproto.CodeForbidden, Message: "published is written by central staff after review, not by a council's laptop",
			Fields: []syncproto.FieldReason{{Field: "published", Code: domain.CodeForbidden, Message: "central staff only"}}}
		got := h.u.syncProblem(err)
		want := h.T("problem.forbidden") + "\n" + h.u.fieldName("published") + ": " + h.u.fieldMessage(domain.FieldError{Field: "published", Code: domain.CodeForbidden})
		if got != want || strings.Contains(got, "central staff only") {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
		if lang != "en" && strings.Contains(got, "published") {
			t.Errorf("%s: the field's English name is shown: %q", lang, got)
		}
	}
}
