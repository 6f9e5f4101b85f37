package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
)

// TestPageAdd: a page keeps what its limits ask for, in order, its
// slices made with room for pageStart operations (at most MaxOps) when the
// first is added and growing past it.
func TestPageAdd(t *testing.T) {
	var tail Tail
	op := func(i int) (*changeset.Op, *TailOp) {
		o := &changeset.Op{Device: "dev", Seq: uint64(i + 1), Kind: "appeal", Record: fmt.Sprintf("r%d", i),
			Fields: map[string]changeset.Change{"b": {Value: json.RawMessage(`1`)}, "a": {Value: json.RawMessage(`2`)}}}
		lim := &PullLimits{Names: true}
		return o, tail.Keep(uint64(i+1), uint64(i+1), o, 40, lim)
	}
	for _, tc := range []struct {
		name           string
		lim            PullLimits
		n, wantCap     int
		encoded, names bool
	}{
		{"encoded", PullLimits{Encode: func(*changeset.Op) ([]byte, error) { return nil, nil }}, 3, pageStart, true, false},
		{"storage encoding", PullLimits{MaxOps: 2}, 2, 2, true, false},
		{"sized, names", PullLimits{Size: func(*changeset.Op) int { return 7 }, Names: true}, pageStart + 1, 2 * pageStart, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p Page
			for i := range tc.n {
				o, e := op(i)
				p.Add(o, []byte{byte(i)}, e, 10, &tc.lim)
			}
			if len(p.Ops) != tc.n || p.Bytes != 10*tc.n || cap(p.Ops) < tc.wantCap || tc.n <= pageStart && cap(p.Ops) != tc.wantCap {
				t.Fatalf("%d ops (cap %d), %d bytes; want %d ops (cap %d), %d bytes", len(p.Ops), cap(p.Ops), p.Bytes, tc.n, tc.wantCap, 10*tc.n)
			}
			for i, o := range p.Ops {
				if o.Seq != uint64(i+1) {
					t.Fatalf("operation %d has seq %d", i, o.Seq)
				}
			}
			if got := len(p.Encoded); tc.encoded && got != tc.n || !tc.encoded && p.Encoded != nil {
				t.Fatalf("%d encodings kept (nil %v)", got, p.Encoded == nil)
			}
			if tc.encoded && p.Encoded[tc.n-1][0] != byte(tc.n-1) {
				t.Fatalf("last encoding %v", p.Encoded[tc.n-1])
			}
			if !tc.names {
				if p.Names != nil || p.Changes != nil {
					t.Fatalf("names or changes kept unasked: %v %v", p.Names, p.Changes)
				}
				return
			}
			if len(p.Names) != tc.n || len(p.Changes) != tc.n || !slices.Equal(p.Names[0], []string{"a", "b"}) || string(p.Changes[0][0].Value) != "2" {
				t.Fatalf("names %v, changes %v", p.Names[:1], p.Changes[:1])
			}
		})
	}
}
