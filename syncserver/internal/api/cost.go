package api

import "github.com/kenesh/kenesh/shared/syncproto"

// What the server's heap holds, at its peak, while it decodes, judges and
// stores a sync request, beyond its payload: per operation, field and
// settled value (the decoded request, the operations judged from it, the
// log batch and states written). Measured with hostile.TestBinaryFlood's
// bodies (one request at a time, heap objects sampled): 256 operations of
// 1,024 empty fields, 127 MiB; 64 of 64 fields settling 64 values each,
// 45 MiB; 2,000 operations of 8 fields, 9 MiB.
const (
	opCost     = 1 << 10
	fieldCost  = 512
	settleCost = 192
)

// requestCost is what a request of n payload bytes (raw, its decoded
// payload, already counted) is charged of the decode budget: the payload
// and its values twice, as before, and what the operations, fields and
// settled values it declares make. Charging the payload alone let a frame
// of 3 KiB, whose binary body declares 262,144 empty fields in 1.2 MiB,
// take 2.5 MB of the budget and 127 MiB of the heap: sixty of them took
// the heap 1.5 GiB above idle.
func requestCost(n int, c syncproto.Counts) int64 {
	return 2*int64(n) + int64(c.Ops)*opCost + int64(c.Fields)*fieldCost + int64(c.Settles)*settleCost
}
