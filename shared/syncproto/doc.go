// Package syncproto is the sync protocol between a laptop and the central
// sync server: wire structs (kept apart from domain types), the compressed
// frame every body travels in, endpoints, versions and error codes.
//
// # One round trip
//
// A sync is one POST /v1/sync. Its body carries the operations the laptop
// has not had acknowledged (at most MaxPushOps, MaxRawBytes), the server
// cursor the laptop holds, and the size of the page it wants (MaxPull; the
// server sends at most MaxPullOps operations and MaxPullBytes). The
// response acknowledges the highest sequence number of that device the
// server holds, lists operations it refused and why, and carries the next
// page of operations from other devices the laptop may see, with the new
// cursor. A laptop with nothing to send and nothing to receive makes one
// small request.
//
// # Exactly once
//
// (device, seq) names an operation everywhere; a device's seq counts from 1
// without gaps. The server applies a change set atomically and ignores
// operations it already holds, so sending the same change set twice, or
// again after a cut connection, changes nothing. A change set that does not
// continue the device's sequence is refused whole with CodeGap and the
// current acknowledgement, from which the laptop resends. The laptop stores
// the pulled operations and the new cursor in one transaction: a crash
// mid-pull repeats work, never skips or doubles it.
//
// # Frames
//
// Every body is a Frame: "KNF1", the zstd dictionary id (0 = none), the
// length of the decoded payload and its CRC-32C, then the zstd data. The
// length is checked against the limit before anything is decompressed and
// again after, and the checksum before anything is applied: a cut-off or
// damaged body is refused, and a decompression bomb costs nothing.
//
// # Versions
//
// Two numbers, as Tailscale's tailcfg has them. Proto is the protocol
// version: what a body is. A laptop sends the version it speaks in every
// request; a server answers every version from MinProto to Proto and
// refuses others with CodeProtocol (CheckProto), telling the laptop what it
// speaks (ErrorBody.MinProto, .Proto) and its person to update Kenesh.
// Protocol 2 sends the sync request in a binary body (binary.go); the
// answer is JSON as in protocol 1, or binary (page.go) for a laptop of
// capability 8, which says so in its request. A server of protocol 2 answers
// protocol 1 laptops (their JSON requests) as before, since laptops in
// villages are updated seldom, until MinProto is raised once none is left
// in the field. A laptop sends a binary body only to a server that said it
// speaks protocol 2 (SyncResponse.Proto, EnrollResponse.Proto or
// Health.Proto); told otherwise by a server (CodeProtocol, or CodeFrame
// for the binary body), it sends JSON again.
//
// CapabilityVersion numbers the additive changes: every optional field,
// code or endpoint added takes the next number, never reused. Each side
// sends its own (EnrollRequest.Cap, SyncRequest.Cap, EnrollResponse.Cap)
// and may rely on what the other's has (CapabilityVersion.Has); a receiver
// ignores JSON names it does not know, and a laptop shows a code it does
// not know (Code.Known) with the server's message. Nothing is ever
// renamed, and no field changes meaning.
//
// History (capability, date, what was added):
//
//	1  2026-11-25  protocol 1: enrollment, one-round-trip sync, zstd
//	               frames with dictionary 1 (trained on appeals and
//	               events)
//	2  2026-11-25  SyncResponse.Head (optional: older laptops ignore it,
//	               older servers leave it out); pull pages of up to
//	               MaxPullOps operations
//	3  2026-12-03  CodeClock: a push stopped at an operation whose clock
//	               is impossible (an older laptop shows the server's
//	               message and retries)
//	4  2026-12-03  WireChange.S: the values a conflict's resolution
//	               settles (optional: older receivers ignore it, and keep
//	               the conflict open until a person resolves it there)
//	5  2026-12-03  capability versions sent both ways (Cap; a laptop that
//	               sends none has 4), MinProto (EnrollResponse, Health,
//	               and ErrorBody with CodeProtocol); a refusal's
//	               field-level reasons (Refusal.Fields, ErrorBody.Fields:
//	               which field and a domain field error code, so the
//	               laptop says it in its person's language); Health, the
//	               answer of PathHealth, written down
//	6  2026-12-03  files: the content of attachments and materials in
//	               chunks addressed by their SHA-256, apart from the
//	               records (PathFilesHave, PathFilesPut, PathFilesGet,
//	               chunk streams: see files.go and chunks.go), what
//	               councils hold of each material (PathMaterialCopies),
//	               CodeNotFound and CodeQuota; a server of capability 5
//	               answers the files endpoints with CodeInvalid (no such
//	               endpoint), and a laptop then keeps its files to
//	               itself and syncs records as before
//	7  2026-12-04  protocol 2: the sync request in a binary body
//	               (AppendSyncRequest; DecodeSyncRequest takes either),
//	               each record's operations adjacent so that its id,
//	               kind and council are written once and its clocks as
//	               small deltas; a laptop of protocol 2 sends JSON to a
//	               server that says protocol 1; MaxPushSettles
//	8  2026-12-05  the sync's answer in a binary body (page.go:
//	               AppendSyncResponse, DecodeSyncResponse reads either)
//	               to a laptop whose request has capability 8, JSON to
//	               others: each record's operations adjacent, strings in
//	               a table, clocks as deltas; MaxPullFields,
//	               MaxPullSettles
//
// Record kinds travel as operations and need no capability: a kind a
// laptop does not know is kept as a record it does not show, and shown
// once the laptop is updated. Kinds added so:
//
//	submission  2026-12-03  web submissions from the public form (issue 13):
//	                        operations of the server's own device for the
//	                        chosen council, pulled like councils by that
//	                        council's laptops and central staff; a council's
//	                        laptop writes only their handling fields
//	                        (shared/policy). Chosen over an endpoint of their
//	                        own so that a submission is in the log, exactly
//	                        once, encrypted at rest and in backups like any
//	                        record, with no second path to make safe.
//
// Golden files in testdata/golden pin every message and a frame with
// dictionary 1 as this version writes them (go test -update rewrites
// them, for a change that is meant). The conformance suite (package
// synctest), which the real server and the fake both pass, also speaks as
// a laptop of capability 4 did, with messages frozen as they were
// (synctest/testdata/v1): every server must go on answering it.
package syncproto
