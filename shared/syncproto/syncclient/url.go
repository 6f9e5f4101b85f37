package syncclient

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrBadURL means a server address is not one: it must be
// https://host[:port].
var ErrBadURL = errors.New("not a server address: it must look like https://kenesh.example.kg")

// ErrPlainHTTP means a plain http:// address of another computer. Over
// plain HTTP the one-time enrollment code, the laptop's token and every
// appeal would cross the network readable by anyone on the way (a
// village's shared Wi-Fi, the mobile operator): only a server on this
// very computer (a test, or a TLS proxy in front of the laptop) may be
// spoken to without TLS.
var ErrPlainHTTP = errors.New("plain http:// is allowed only to a server on this computer; use https:// so that the enrollment code, the token and the records are encrypted on the way")

// CheckServerURL parses a server address as a person types it and says
// whether this laptop may speak to it: https:// to any host, http:// only
// to a loopback address (127.0.0.0/8, ::1 or localhost). Every way a laptop
// reaches a server goes through it (New calls it; the desktop app's
// enrollment and keneshctl enroll both end there), so the rule lives in
// one place.
func CheckServerURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("server address %q: %w", raw, ErrBadURL)
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("server address %q: %w (https://%s)", raw, ErrPlainHTTP, u.Host)
	}
	return u, nil
}

// loopbackHost reports whether host names this computer. "localhost" is
// taken at its word here; the dialer then checks that it really led to a
// loopback address (loopbackOnly).
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackOnly refuses a plain-HTTP connection that did not end on this
// computer (a "localhost" that resolves elsewhere).
func loopbackOnly(conn net.Conn) error {
	if a, ok := conn.RemoteAddr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %s is not this computer", ErrPlainHTTP, conn.RemoteAddr())
}
