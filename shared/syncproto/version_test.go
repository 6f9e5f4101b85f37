package syncproto

import (
	"errors"
	"strings"
	"testing"
)

// A server answers every protocol version from MinProto to Proto, and
// refuses others with CodeProtocol, saying what it speaks and what to do.
func TestCheckProto(t *testing.T) {
	if MinProto > Proto || MinProto < 1 {
		t.Fatalf("MinProto %d, Proto %d", MinProto, Proto)
	}
	for v := MinProto; v <= Proto; v++ {
		if err := CheckProto(v); err != nil {
			t.Errorf("protocol %d refused: %v", v, err)
		}
	}
	for _, c := range []struct {
		v    int
		want string
	}{
		{MinProto - 1, "update Kenesh on this laptop"},
		{-5, "update Kenesh on this laptop"},
		{Proto + 1, "ask the administrator to update the server"},
	} {
		err := CheckProto(c.v)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeProtocol || !errors.Is(err, ErrProtocol) {
			t.Fatalf("protocol %d: %v", c.v, err)
		}
		if e.MinProto != MinProto || e.Proto != Proto || !strings.Contains(e.Message, c.want) {
			t.Errorf("protocol %d: %+v", c.v, e)
		}
		if b := e.Body(); b.MinProto != MinProto || b.Proto != Proto || b.Code != CodeProtocol {
			t.Errorf("protocol %d: body %+v", c.v, b)
		}
	}
}

// A peer that sent no capability version has what laptops had before
// capabilities were sent; the numbers only grow, and the newest is ours.
func TestCapabilities(t *testing.T) {
	caps := []CapabilityVersion{CapHead, CapClock, CapSettles, CapVersions, CapFiles, CapBinary, CapBinaryPage}
	for i, c := range caps {
		if i > 0 && c <= caps[i-1] {
			t.Errorf("capability %d after %d", c, caps[i-1])
		}
		if !CurrentCapability.Has(c) {
			t.Errorf("this code lacks capability %d", c)
		}
	}
	if CurrentCapability != caps[len(caps)-1] {
		t.Errorf("CurrentCapability %d, the newest named one %d", CurrentCapability, caps[len(caps)-1])
	}
	var old CapabilityVersion
	if !old.Has(CapSettles) || old.Has(CapVersions) {
		t.Error("a laptop that sent no capability version")
	}
	if CapabilityVersion(3).Has(CapSettles) {
		t.Error("capability 3 has 4")
	}
}
