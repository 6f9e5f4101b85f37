package badgerstore

import (
	"sync/atomic"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// tailOps is how many of the log's last operations opCache keeps: when
// hundreds of laptops sync at once, each council's laptops pull the same
// operations of the log's tail, one laptop after another, and each pull
// read them from Badger and decoded them again (a fifth of the server's
// CPU in syncbench's 500 laptops, where 2,500 operations are appended
// between two syncs of a laptop and 23 laptops pull each). 4,096 cover
// that; the server's peak RSS there went 138 -> 166 MiB (8,192: 177-192
// MiB for no CPU saved beyond the noise).
const tailOps = 1 << 12

// opCache holds operations of the log's tail as pulls decoded them, by
// server seq. An operation in the log never changes once committed (the
// only rewrite of the log, its migration, runs before the store is open),
// so a cached operation is the one Badger holds; pulls read the same
// *changeset.Op and must not change it. Only operations within tailOps of
// the head are cached: a new laptop's first pull of the whole log would
// otherwise push the tail out for operations read once. Safe for
// concurrent use: each slot is one atomic pointer, a seq's slot being
// seq modulo tailOps.
type opCache struct {
	slots [tailOps]atomic.Pointer[cachedOp]
}

// cachedOp is one operation kept, never changed once made: with its size
// under a store.PullLimits.SizeName when the pull that decoded it named
// one.
type cachedOp struct {
	seq      uint64
	op       *changeset.Op
	sizeName string
	size     int
}

// get returns operation seq, or nil when it is not held.
func (c *opCache) get(seq uint64) *cachedOp {
	if e := c.slots[seq%tailOps].Load(); e != nil && e.seq == seq {
		return e
	}
	return nil
}

// put keeps e when it is in the tail of a log whose head is head.
func (c *opCache) put(e *cachedOp, head uint64) {
	if head-e.seq >= tailOps || e.seq > head {
		return
	}
	c.slots[e.seq%tailOps].Store(e)
}

// sizeOf is what e takes of a page under lim: the size kept with it when
// lim names the same Size, else lim.Size's answer.
func (e *cachedOp) sizeOf(lim *store.PullLimits) int {
	if lim.SizeName != "" && e.sizeName == lim.SizeName {
		return e.size
	}
	return lim.Size(e.op)
}
