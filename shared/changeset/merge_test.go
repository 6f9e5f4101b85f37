package changeset

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/kenesh/kenesh/shared/hlc"
)

// A back-dated operation (a laptop whose clock says last year, or one that
// lies) must not rewrite who created a record and when: the creation is
// the create operation's, whatever arrives after it.
func TestBackDatedUpdateKeepsTheCreation(t *testing.T) {
	create := &Op{Device: "A", Seq: 1, HLC: 1000, Kind: "appeal", Record: "r1", Council: "NRN-ATB", Action: ActionCreate,
		Author: "Ат-Башы катчысы", Fields: map[string]Change{"summary": ch(`"Суу жок"`, 0)}}
	backDated := &Op{Device: "M", Seq: 7, HLC: 10, Kind: "appeal", Record: "r1", Council: "NRN-ATB", Action: ActionUpdate,
		Author: "someone else", Fields: map[string]Change{"village": ch(`"Кара-Суу"`, 0)}}
	for _, order := range [][]*Op{{create, backDated}, {backDated, create}} {
		var s State
		for _, o := range order {
			if _, _, err := s.Apply(o); err != nil {
				t.Fatal(err)
			}
		}
		if s.Created != 1000 || s.Author != "Ат-Башы катчысы" || s.Device != "A" || s.Council != "NRN-ATB" {
			t.Fatalf("order %v: created %v by %q on %q in %q, want the create operation's", ids(order), s.Created, s.Author, s.Device, s.Council)
		}
		if s.Updated != 1000 {
			t.Fatalf("order %v: updated %v", ids(order), s.Updated)
		}
	}
	// Until its create operation arrives a record has no creation: an
	// update alone does not make one up.
	var s State
	if _, _, err := s.Apply(backDated); err != nil {
		t.Fatal(err)
	}
	if s.Created != 0 || s.Author != "" || s.Device != "" {
		t.Fatalf("an update alone made a creation: %v by %q on %q", s.Created, s.Author, s.Device)
	}
}

// TestMergeIsOrderIndependent: random sets of operations on one record
// (creates, edits, deletions, from several devices, with equal clocks,
// back-dated ones and repeats) merge to the same state, every field of it,
// in every order of arrival.
func TestMergeIsOrderIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(20261203, 1))
	devices := []string{"A", "B", "C", "D"}
	fields := []string{"summary", "status", "village", DeletedField, "followups/x1"}
	for round := 0; round < 300; round++ {
		var ops []*Op
		seq := map[string]uint64{}
		n := 1 + r.IntN(12)
		for i := 0; i < n; i++ {
			dev := devices[r.IntN(len(devices))]
			seq[dev]++
			o := &Op{Device: dev, Seq: seq[dev], HLC: hlc.Timestamp(1 + r.IntN(20)), Kind: "appeal", Record: "r1",
				Council: "NRN-ATB", Action: ActionUpdate, Author: "author " + dev, Fields: map[string]Change{}}
			switch r.IntN(6) {
			case 0:
				o.Action = ActionCreate
			case 1:
				o.Action = ActionDelete
			}
			for j := 0; j < 1+r.IntN(3); j++ {
				f := fields[r.IntN(len(fields))]
				v, _ := json.Marshal(fmt.Sprintf("v%d", r.IntN(3)))
				if f == DeletedField {
					v = json.RawMessage(`true`)
				}
				o.Fields[f] = Change{Value: v, Base: hlc.Timestamp(r.IntN(20))}
			}
			ops = append(ops, o)
			if r.IntN(5) == 0 { // the same operation delivered twice
				ops = append(ops, o)
			}
		}
		var want *State
		for trial := 0; trial < 12; trial++ {
			order := append([]*Op(nil), ops...)
			r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			// Merge, in every other trial, leaves the state Apply does.
			var s State
			for _, o := range order {
				var err error
				if trial%2 == 1 {
					err = s.Merge(o)
				} else {
					_, _, err = s.Apply(o)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if want == nil {
				want = &s
				continue
			}
			if !reflect.DeepEqual(&s, want) {
				t.Fatalf("round %d, order %v:\n got %+v\nwant %+v", round, ids(order), s, *want)
			}
		}
	}
}

// TestMergeConflictsIsApply: MergeConflicts leaves the state Apply leaves
// and finds the same conflicts (in whatever order), over random histories
// of one record, values with white space to compact included.
func TestMergeConflictsIsApply(t *testing.T) {
	r := rand.New(rand.NewPCG(20261205, 2))
	devices := []string{"A", "B", "C"}
	fields := []string{"summary", "status", "village"}
	values := []string{`"a"`, `"b"`, `[1, 2]`, `[1,2]`, `{"x": "y z"}`, `null`}
	key := func(c Conflict) string {
		return fmt.Sprintf("%s %v %s %v", c.Field, c.Loser.HLC, c.Loser.Device, c.Winner.HLC)
	}
	for round := 0; round < 300; round++ {
		var applied, merged State
		seq := map[string]uint64{}
		for i := 0; i < 1+r.IntN(12); i++ {
			dev := devices[r.IntN(len(devices))]
			seq[dev]++
			o := &Op{Device: dev, Seq: seq[dev], HLC: hlc.Timestamp(1 + r.IntN(20)), Kind: "appeal", Record: "r1",
				Council: "NRN-ATB", Action: ActionUpdate, Author: "author " + dev, Fields: map[string]Change{}}
			for j := 0; j < 1+r.IntN(3); j++ {
				o.Fields[fields[r.IntN(len(fields))]] = Change{Value: json.RawMessage(values[r.IntN(len(values))]), Base: hlc.Timestamp(r.IntN(20))}
			}
			_, want, err1 := applied.Apply(o)
			got, err2 := merged.MergeConflicts(o)
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("round %d: Apply %v, MergeConflicts %v", round, err1, err2)
			}
			a, b := map[string]Conflict{}, map[string]Conflict{}
			for _, c := range want {
				a[key(c)] = c
			}
			for _, c := range got {
				b[key(c)] = c
			}
			if len(want) != len(got) || !reflect.DeepEqual(a, b) {
				t.Fatalf("round %d, op %s: conflicts %+v, Apply's %+v", round, o.ID(), got, want)
			}
			if !reflect.DeepEqual(&applied, &merged) {
				t.Fatalf("round %d, op %s:\n got %+v\nwant %+v", round, o.ID(), merged, applied)
			}
		}
	}
}
