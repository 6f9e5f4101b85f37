package syncproto

import "fmt"

// Proto is the newest protocol version this code speaks (see the package
// doc). A protocol version changes what a body is (protocol 2 carries the
// sync request in a binary body, binary.go); within one, every change is
// additive and has a capability version.
const Proto = 2

// MinProto is the oldest protocol version a server still answers. Laptops
// in villages are updated seldom: a server of protocol 2 keeps answering
// protocol 1 laptops until MinProto is raised, which is a decision taken
// once every laptop in the field has been updated. A laptop below it is
// refused with CodeProtocol ("update Kenesh"), by CheckProto.
const MinProto = 1

// CapabilityVersion numbers the additive changes to the protocol, as
// Tailscale's tailcfg.CapabilityVersion does: each new optional field,
// code or endpoint takes the next number, dated in the package doc's
// history. A sender says which it has (EnrollRequest.Cap,
// SyncRequest.Cap, EnrollResponse.Cap), so that the other side knows what
// the sender understands without guessing from the protocol version.
// 0 is a laptop from before capabilities were sent: it has everything up
// to capability 4.
type CapabilityVersion int

// CurrentCapability is the capability version of this code.
const CurrentCapability CapabilityVersion = 8

// Capabilities a receiver may ask about.
const (
	// CapHead: SyncResponse.Head and pull pages of up to MaxPullOps.
	CapHead CapabilityVersion = 2
	// CapClock: CodeClock.
	CapClock CapabilityVersion = 3
	// CapSettles: WireChange.S.
	CapSettles CapabilityVersion = 4
	// CapVersions: the capability version sent both ways, the server's
	// MinProto told, field-level reasons in refusals (Refusal.Fields,
	// ErrorBody.Fields).
	CapVersions CapabilityVersion = 5
	// CapFiles: the files endpoints (PathFilesHave, PathFilesPut,
	// PathFilesGet, PathMaterialCopies), chunk streams, CodeNotFound and
	// CodeQuota.
	CapFiles CapabilityVersion = 6
	// CapBinary: protocol 2, the sync request in a binary body.
	CapBinary CapabilityVersion = 7
	// CapBinaryPage: the sync's answer, its pull page with it, in a
	// binary body (page.go) when the request says so.
	CapBinaryPage CapabilityVersion = 8
)

// Has reports whether a peer of capability version v has capability c. A
// peer that sent none (0) is one from before capabilities were sent: it
// has everything up to CapSettles.
func (v CapabilityVersion) Has(c CapabilityVersion) bool {
	if v == 0 {
		v = CapSettles
	}
	return v >= c
}

// CheckProto is what a server answers a laptop that speaks protocol
// version v: nil when it serves v (MinProto to Proto), else a *Error with
// CodeProtocol that tells the laptop what the server speaks and its
// person what to do.
func CheckProto(v int) error {
	switch {
	case v < MinProto:
		return &Error{Code: CodeProtocol, MinProto: MinProto, Proto: Proto,
			Message: fmt.Sprintf("this laptop's Kenesh speaks sync protocol %d, and the server needs %d or newer: update Kenesh on this laptop", v, MinProto)}
	case v > Proto:
		return &Error{Code: CodeProtocol, MinProto: MinProto, Proto: Proto,
			Message: fmt.Sprintf("this laptop's Kenesh speaks sync protocol %d, newer than the server's %d: ask the administrator to update the server", v, Proto)}
	}
	return nil
}
