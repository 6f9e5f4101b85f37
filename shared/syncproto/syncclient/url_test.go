package syncclient

import (
	"errors"
	"net"
	"strings"
	"testing"
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
