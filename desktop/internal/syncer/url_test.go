package syncer

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/records"
)

func TestCheckServerURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error // nil: accepted
	}{
		{"https://kenesh.example.kg", nil},
		{"https://kenesh.example.kg:8443/", nil},
		{" https://10.0.0.5 ", nil},
		{"http://127.0.0.1:7480", nil},
		{"http://127.8.9.10:7480", nil},
		{"http://[::1]:7480", nil},
		{"http://localhost:7480", nil},
		{"http://LOCALHOST", nil},
		{"http://kenesh.example.kg", ErrPlainHTTP},
		{"http://10.0.0.5:7480", ErrPlainHTTP},
		{"http://[2001:db8::1]", ErrPlainHTTP},
		{"http://localhost.example.kg", ErrPlainHTTP},
		{"http://127.0.0.1.example.kg", ErrPlainHTTP},
		{"ftp://kenesh.example.kg", ErrBadURL},
		{"kenesh.example.kg", ErrBadURL},
		{"https://", ErrBadURL},
		{"https://user:pass@kenesh.example.kg", ErrBadURL},
		{"https://kenesh.example.kg/?x=1", ErrBadURL},
		{"", ErrBadURL},
	} {
		_, err := CheckServerURL(tc.in)
		if tc.want == nil && err != nil {
			t.Errorf("%q: %v, want accepted", tc.in, err)
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%q: %v, want %v", tc.in, err, tc.want)
		}
	}
	_, err := CheckServerURL("http://kenesh.example.kg:7480")
	if err == nil || !strings.Contains(err.Error(), "https://kenesh.example.kg:7480") {
		t.Fatalf("the error should say which address to use: %v", err)
	}
}

// Enrolling or syncing with a plain-HTTP server on another computer fails
// before anything is sent, and says to use https.
func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	ctx := context.Background()
	l := newLaptop(t, "plain-http")
	// "remote.invalid" cannot resolve: without the rule the error would be
	// a network one, after a DNS lookup.
	if _, _, err := l.sync.Enroll(ctx, "http://remote.invalid:7480", "ABCD-EFGH"); !errors.Is(err, ErrPlainHTTP) {
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
	if _, err := l.sync.SyncOnce(ctx); !errors.Is(err, ErrPlainHTTP) || !permanent(err) {
		t.Fatalf("sync over plain HTTP to another computer: %v, want a permanent ErrPlainHTTP", err)
	}
}

// A plain-HTTP connection that did not end on this computer (a
// "localhost" that resolves elsewhere) is refused by the dialer.
func TestLoopbackOnly(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if err := loopbackOnly(a); !errors.Is(err, ErrPlainHTTP) {
		t.Fatalf("a connection to no loopback address: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := loopbackOnly(c); err != nil {
		t.Fatalf("a loopback connection: %v", err)
	}
}
