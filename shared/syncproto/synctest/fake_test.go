package synctest

import "testing"

// The fake passes the suite the real server passes
// (syncserver/internal/server's conformance test).
func TestFakeConformance(t *testing.T) {
	Run(t, func(t *testing.T) Target { return NewServer(t, Options{}) })
}
