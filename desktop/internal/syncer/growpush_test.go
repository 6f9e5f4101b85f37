package syncer

import (
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/syncproto"
)

func TestGrowPush(t *testing.T) {
	fast, slow := 50*time.Millisecond, quickRound
	ops, bytes := pushOps, pushBytes
	// Full change sets over a quick link double up to the protocol's limits.
	for i := 0; i < 10; i++ {
		ops, bytes = growPush(ops, bytes, ops, bytes/2, fast)
	}
	if ops != syncproto.MaxPushOps || bytes != maxPushBytes {
		t.Fatalf("after quick full rounds: %d ops, %d bytes; want %d, %d", ops, bytes, syncproto.MaxPushOps, maxPushBytes)
	}
	// A change set that was not full says nothing about the link's capacity.
	if o, b := growPush(1000, 1<<20, 10, 5000, fast); o != 1000 || b != 1<<20 {
		t.Fatalf("after a small quick round: %d, %d", o, b)
	}
	// Full by bytes (large records) is full too.
	if o, b := growPush(1000, 1<<20, 300, 1<<20-100, fast); o != 2000 || b != 2<<20 {
		t.Fatalf("after a quick round full by bytes: %d, %d; want 2000, %d", o, b, 2<<20)
	}
	// A slow round trip (a bad link) starts again from the small limits.
	if o, b := growPush(ops, bytes, ops, bytes, slow); o != pushOps || b != pushBytes {
		t.Fatalf("after a slow round: %d, %d; want %d, %d", o, b, pushOps, pushBytes)
	}
	if maxPushBytes > syncproto.MaxRawBytes/4 {
		t.Fatalf("maxPushBytes %d leaves too little room under the frame limit %d", maxPushBytes, syncproto.MaxRawBytes)
	}
}

func TestGrowPull(t *testing.T) {
	fast, slow := 50*time.Millisecond, quickRound
	limit := pullBytes
	for i := 0; i < 10; i++ {
		limit = growPull(limit, true, fast)
	}
	if limit != syncproto.MaxPullBytes {
		t.Fatalf("after quick full pages: %d; want %d", limit, syncproto.MaxPullBytes)
	}
	if got := growPull(1<<20, false, fast); got != 1<<20 {
		t.Fatalf("after a quick page with nothing more: %d; want it unchanged", got)
	}
	if got := growPull(limit, true, slow); got != pullBytes {
		t.Fatalf("after a slow page: %d; want %d", got, pullBytes)
	}
}

// A bulk load's page is judged by what the link carries in a round trip:
// 4 MB in a second keeps its size (the laptop applies a window beside the
// pull), 4 MB in 16 x quickRound does not, nor 256 KB in quickRound; out
// of a bulk load the round trip is judged as it is.
func TestPullRound(t *testing.T) {
	most := syncproto.MaxPullBytes
	for _, c := range []struct {
		name  string
		rtt   time.Duration
		limit int
		bulk  bool
		want  int
	}{
		{"bulk, 4 MB in a second", time.Second, most, true, most},
		{"bulk, 4 MB slowly", 16 * quickRound, most, true, pullBytes},
		{"bulk, 256 KB slowly", quickRound, pullBytes, true, pullBytes},
		{"bulk, 1 MB quickly", 3 * quickRound / 4, 1 << 20, true, 2 << 20},
		{"not bulk, 4 MB in a second", time.Second, most, false, pullBytes},
	} {
		if got := min(growPull(c.limit, true, pullRound(c.rtt, c.limit, c.bulk)), most); got != c.want {
			t.Errorf("%s: the next page %d, want %d", c.name, got, c.want)
		}
	}
}
