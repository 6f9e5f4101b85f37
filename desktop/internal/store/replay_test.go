package store

import (
	"context"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// A record as it stood at a past clock: the operations up to it merged
// again, the stored state when all of them are that old, nothing when it
// was made later; the operations of two devices merged by clock whatever
// their order in the log.
func TestReplayUpTo(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), newKey(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var r1, r2, r3 changeset.State
	// r1: 100 "one", 200 "two" (another device, committed first), 300 "three".
	// The 00:0x ids share a prefix with the ids below: the grouping is by
	// whole id.
	commits := [][]Write{
		{write("dev2", 1, 200, "r1", "two", &r1)},
		{write("dev1", 1, 100, "r1", "one", &r1)},
		{write("dev1", 2, 300, "r1", "three", &r1)},
		{write("dev1", 3, 150, "r10", "only", &r2)},
		{write("dev1", 4, 400, "r2", "late", &r3)},
	}
	for _, c := range commits {
		if err := s.Commit(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		cutoff hlc.Timestamp
		want   map[string]string
		stats  ReplayStats
	}{
		{50, map[string]string{}, ReplayStats{Later: 5}},
		{100, map[string]string{"r1": `"one"`}, ReplayStats{Ops: 1, Later: 4, Newest: 100}},
		{250, map[string]string{"r1": `"two"`, "r10": `stored "only"`}, ReplayStats{Ops: 3, Later: 2, Newest: 200}},
		{300, map[string]string{"r1": `stored "three"`, "r10": `stored "only"`}, ReplayStats{Ops: 4, Later: 1, Newest: 300}},
		{1000, map[string]string{"r1": `stored "three"`, "r10": `stored "only"`, "r2": `stored "late"`}, ReplayStats{Ops: 5, Newest: 400}},
	}
	// mergeAgain: fn sends back every record given as stored now
	// (ErrMergeAgain), as one whose stored state has changed since the
	// snapshot does; it comes again merged, to the same value.
	for _, mergeAgain := range []bool{false, true} {
		for _, tt := range cases {
			got := map[string]string{}
			stats, err := s.ReplayUpTo(ctx, "appeal", tt.cutoff, func(id string, newest hlc.Timestamp, st *changeset.State) error {
				if st == nil { // as stored now
					if mergeAgain {
						return ErrMergeAgain
					}
					var err error
					if st, err = s.State(ctx, "appeal", id); err != nil {
						return err
					}
					if st.Updated != newest {
						t.Errorf("%s given with newest %d, its state's clock is %d", id, newest, st.Updated)
					}
					got[id] = "stored " + string(st.Fields["summary"].Value)
					return nil
				}
				if newest != 0 {
					t.Errorf("%s merged, given with newest %d", id, newest)
				}
				if _, seen := got[st.ID]; seen {
					t.Errorf("%s given twice", st.ID)
				}
				got[st.ID] = string(st.Fields["summary"].Value)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if mergeAgain {
				want = map[string]string{}
				for id, v := range tt.want {
					want[id] = strings.TrimPrefix(v, "stored ")
				}
			}
			if len(got) != len(want) || stats != tt.stats {
				t.Errorf("up to %d (merge again %v): %v %+v, want %v %+v", tt.cutoff, mergeAgain, got, stats, want, tt.stats)
			}
			for id, v := range want {
				if got[id] != v {
					t.Errorf("up to %d (merge again %v): %s is %s, want %s", tt.cutoff, mergeAgain, id, got[id], v)
				}
			}
		}
	}
	// A merged record sent back would loop: it is an error.
	_, err = s.ReplayUpTo(ctx, "appeal", 1000, func(string, hlc.Timestamp, *changeset.State) error { return ErrMergeAgain })
	if err == nil || !strings.Contains(err.Error(), "merged again") {
		t.Errorf("a merged record sent back to merge again: %v", err)
	}
	if _, err := s.ReplayUpTo(ctx, "a:b", 10, func(string, hlc.Timestamp, *changeset.State) error { return nil }); err == nil {
		t.Error("a kind with ':' replayed")
	}
}
