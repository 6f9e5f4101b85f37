package syncer

import (
	"context"
	"errors"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// Enrolling or syncing with a plain-HTTP server on another computer fails
// before anything is sent, and says to use https.
func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	ctx := context.Background()
	l := newLaptop(t, "plain-http")
	// "remote.invalid" cannot resolve: without the rule the error would be
	// a network one, after a DNS lookup.
	if _, _, err := l.sync.Enroll(ctx, "http://remote.invalid:7480", "ABCD-EFGH"); !errors.Is(err, syncclient.ErrPlainHTTP) {
		t.Fatalf("enroll over plain HTTP to another computer: %v, want ErrPlainHTTP", err)
	}
	if _, err := l.svc.Enrollment(ctx); !errors.Is(err, records.ErrNotEnrolled) {
		t.Fatalf("a refused enrollment must leave the laptop unenrolled: %v", err)
	}
	// A store enrolled at such an address (by an older version) does not
	// sync with it either.
	if err := l.svc.Enroll(ctx, records.Enrollment{Server: "http://remote.invalid:7480", Token: "t", Role: "secretary"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.sync.SyncOnce(ctx); !errors.Is(err, syncclient.ErrPlainHTTP) || !permanent(err) {
		t.Fatalf("sync over plain HTTP to another computer: %v, want a permanent ErrPlainHTTP", err)
	}
}
