package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
)

// TestTailKeeps: an operation is kept only in the log's tail and while
// it is small; a hostile laptop's large operations are served but not
// held, so the tail's memory stays bounded whatever laptops send.
func TestTailKeeps(t *testing.T) {
	fields := func(n, valueBytes int) map[string]changeset.Change {
		f := make(map[string]changeset.Change, n)
		v, _ := json.Marshal(strings.Repeat("ө", valueBytes/2))
		for i := range n {
			f[fmt.Sprintf("f%d", i)] = changeset.Change{Value: v}
		}
		return f
	}
	const head = 10 * TailOps
	for _, tc := range []struct {
		name    string
		seq     uint64
		fields  int
		encoded int
		kept    bool
	}{
		{"a new appeal at the head", head, 20, 1500, true},
		{"the tail's oldest", head - TailOps + 1, 20, 1500, true},
		{"one before the tail", head - TailOps, 20, 1500, false},
		{"past the head", head + 1, 20, 1500, false},
		{"the largest kept", head - 5, TailOpFields, TailOpBytes, true},
		{"a byte too large", head - 6, 2, TailOpBytes + 1, false},
		{"a megabyte", head - 7, 4, 1 << 20, false},
		{"a field too many", head - 8, TailOpFields + 1, 2000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tail Tail
			op := &changeset.Op{Device: "AAAA", Seq: 1, Kind: "appeal", Record: "r", Fields: fields(tc.fields, 8)}
			e := tail.Keep(tc.seq, head, op, tc.encoded, &PullLimits{})
			if e == nil || e.Op != op || e.Seq != tc.seq {
				t.Fatalf("Keep's entry: %+v", e)
			}
			if got := tail.Get(tc.seq); (got != nil) != tc.kept {
				t.Fatalf("kept: %v, want %v", got != nil, tc.kept)
			}
		})
	}
}
