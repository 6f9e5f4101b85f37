package store

import (
	"encoding/json"
	"fmt"
	"slices"
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

// TestTailNames: the field names a pull asked for are kept sorted with
// the operation; an entry kept without them sorts them when asked.
func TestTailNames(t *testing.T) {
	op := &changeset.Op{Device: "AAAA", Seq: 1, Kind: "appeal", Record: "r", Fields: map[string]changeset.Change{
		"summary": {Value: json.RawMessage(`"a"`)}, "category": {Value: json.RawMessage(`"b"`)}, "applicant": {Value: json.RawMessage(`"c"`)}}}
	want := []string{"applicant", "category", "summary"}
	var tail Tail
	e := tail.Keep(5, 10, op, 100, &PullLimits{Names: true})
	if !slices.Equal(e.Names, want) || tail.Get(5) != e {
		t.Fatalf("kept names %q, want %q", e.Names, want)
	}
	if len(e.Changes) != len(want) || string(e.Changes[0].Value) != `"c"` || string(e.Changes[2].Value) != `"a"` {
		t.Fatalf("kept changes %+v, not in the names' order", e.Changes)
	}
	if got := e.NamesOf(); &got[0] != &e.Names[0] {
		t.Fatal("NamesOf sorted the kept names again")
	}
	e = tail.Keep(6, 10, op, 100, &PullLimits{})
	if e.Names != nil || e.Changes != nil || !slices.Equal(e.NamesOf(), want) {
		t.Fatalf("kept without names: %q, then %q", e.Names, e.NamesOf())
	}
	many := &changeset.Op{Device: "AAAA", Seq: 3, Fields: map[string]changeset.Change{}}
	for i := range TailChangesFields + 1 {
		many.Fields[fmt.Sprintf("f%02d", i)] = changeset.Change{Value: json.RawMessage("1")}
	}
	if e := tail.Keep(8, 10, many, 500, &PullLimits{Names: true}); len(e.Names) != TailChangesFields+1 || e.Changes != nil {
		t.Fatalf("an operation of %d fields: %d names, %d changes kept; want all names, no changes", TailChangesFields+1, len(e.Names), len(e.Changes))
	}
	none := tail.Keep(7, 10, &changeset.Op{Device: "AAAA", Seq: 2}, 10, &PullLimits{Names: true})
	if none.Names != nil || none.NamesOf() != nil {
		t.Fatalf("an operation without fields: %q", none.NamesOf())
	}
}
