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
// Proto is the protocol version a laptop speaks; the server answers every
// version it supports, and refuses others with CodeProtocol, telling the
// laptop to update. History:
//
//	1  2026-11-25  enrollment, one-round-trip sync, zstd frames with
//	               dictionary 1 (trained on appeals and events)
//	   2026-11-25  SyncResponse.Head (optional: older laptops ignore it,
//	               older servers leave it out); pull pages of up to
//	               MaxPullOps operations
//	   2026-12-03  CodeClock: a push stopped at an operation whose clock
//	               is impossible (an older laptop shows the server's
//	               message and retries)
//	   2026-12-03  WireChange.S: the values a conflict's resolution
//	               settles (optional: older receivers ignore it, and keep
//	               the conflict open until a person resolves it there)
package syncproto
