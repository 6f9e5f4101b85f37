package records

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// TestMergeOpIsApply checks mergeOp against State.Apply on generated
// states and operations: the same state, changed exactly when Apply lists
// a changed field, the same conflicts in the same order, and no value of
// a conflict sharing the operation's bytes. The operations write fields
// new and held, the very write a state holds, older and newer writes,
// the same value and values equal once compacted (white space).
func TestMergeOpIsApply(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 7))
	names := []string{"a", "b", "c", "d", "status", "title"}
	values := []string{`"x"`, `"y"`, `"x y"`, `1`, `[1,2]`, `[1, 2]`, ` [1,2] `, `{"k":"v"}`, `{ "k" : "v" }`, `null`, `"кеңеш"`}
	devices := []string{"d1", "d2", "d3"}
	var sawChanged, sawSame, sawConflict, sawRepeat int
	for i := range 20_000 {
		st := &changeset.State{Kind: "appeal", ID: "r1", Fields: map[string]changeset.FieldValue{}}
		var held []changeset.FieldValue
		for _, n := range names {
			if r.IntN(2) == 0 {
				continue
			}
			v := changeset.FieldValue{
				Value:  json.RawMessage(values[r.IntN(len(values))]),
				HLC:    hlc.Timestamp(100 + r.IntN(8)),
				Device: devices[r.IntN(len(devices))],
				Seq:    uint64(1 + r.IntN(3)),
				Base:   hlc.Timestamp(200 - 100*r.IntN(2)),
			}
			st.Fields[n] = v
			held = append(held, v)
		}
		op := &changeset.Op{Kind: "appeal", Record: "r1", Action: changeset.ActionUpdate, Fields: map[string]changeset.Change{}}
		repeat := len(held) > 0 && r.IntN(4) == 0
		if repeat {
			// The write a held field came from, again.
			h := held[r.IntN(len(held))]
			op.HLC, op.Device, op.Seq = h.HLC, h.Device, h.Seq
		} else {
			op.HLC, op.Device, op.Seq = hlc.Timestamp(100+r.IntN(5)), devices[r.IntN(len(devices))], uint64(1+r.IntN(3))
		}
		for _, n := range names {
			if r.IntN(3) == 0 {
				continue
			}
			base := hlc.Timestamp(200) // its author saw every other write
			if r.IntN(4) == 0 {
				base = hlc.Timestamp(r.IntN(105))
			}
			op.Fields[n] = changeset.Change{Value: json.RawMessage(values[r.IntN(len(values))]), Base: base}
		}
		raw, _ := json.Marshal(op)

		want := st.Clone()
		fields, wantConflicts, wantErr := want.Apply(op)
		got := st.Clone()
		changed, conflicts, err := mergeOp(got, op)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("case %d: err %v, Apply's %v", i, err, wantErr)
		}
		if changed != (len(fields) > 0) {
			t.Fatalf("case %d: changed %v, Apply's changed fields %v\nstate %+v\nop %s", i, changed, fields, st.Fields, raw)
		}
		if !sameFields(got.Fields, want.Fields) {
			t.Fatalf("case %d: state %+v, Apply's %+v", i, got.Fields, want.Fields)
		}
		if len(conflicts) != len(wantConflicts) || len(conflicts) > 0 && !reflect.DeepEqual(conflictsJSON(t, conflicts), conflictsJSON(t, wantConflicts)) {
			t.Fatalf("case %d: conflicts %+v, Apply's %+v", i, conflicts, wantConflicts)
		}
		for _, c := range conflicts {
			for _, ch := range op.Fields {
				if len(c.Winner.Value) > 0 && len(ch.Value) > 0 && &c.Winner.Value[0] == &ch.Value[0] ||
					len(c.Loser.Value) > 0 && len(ch.Value) > 0 && &c.Loser.Value[0] == &ch.Value[0] {
					t.Fatalf("case %d: a conflict's value shares the operation's bytes", i)
				}
			}
		}
		if repeat {
			sawRepeat++
		}
		switch {
		case len(conflicts) > 0:
			sawConflict++
		case changed:
			sawChanged++
		default:
			sawSame++
		}
	}
	if sawChanged < 1000 || sawSame < 200 || sawConflict < 1000 || sawRepeat < 1000 {
		t.Fatalf("cases: %d changed, %d unchanged, %d with conflicts, %d repeats: too few of some", sawChanged, sawSame, sawConflict, sawRepeat)
	}
}

func sameFields(a, b map[string]changeset.FieldValue) bool {
	if len(a) != len(b) {
		return false
	}
	for n, x := range a {
		y, ok := b[n]
		if !ok || !bytes.Equal(x.Value, y.Value) || x.HLC != y.HLC || x.Device != y.Device || x.Seq != y.Seq || x.Base != y.Base {
			return false
		}
	}
	return true
}

func conflictsJSON(t *testing.T, cs []changeset.Conflict) string {
	t.Helper()
	b, err := json.Marshal(cs)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(string(b))
}

// BenchmarkMergeOp merges a record's operations as a first pull brings
// them (a create of 20 fields, then four steps of 3) into a new state, by
// State.Apply (as applyOps did) and by mergeOp.
func BenchmarkMergeOp(b *testing.B) {
	var ops []*changeset.Op
	create := &changeset.Op{Kind: "appeal", Record: "r1", Device: "d1", Seq: 1, HLC: 100, Action: changeset.ActionCreate, Fields: map[string]changeset.Change{}}
	for i := range 20 {
		create.Fields[fmt.Sprintf("field_%02d", i)] = changeset.Change{Value: json.RawMessage(fmt.Sprintf(`"Ат-Башы коомдук кеңеши %d"`, i))}
	}
	ops = append(ops, create)
	for s := range 4 {
		op := &changeset.Op{Kind: "appeal", Record: "r1", Device: "d1", Seq: uint64(2 + s), HLC: hlc.Timestamp(101 + s), Action: changeset.ActionUpdate, Fields: map[string]changeset.Change{}}
		for i := range 3 {
			op.Fields[fmt.Sprintf("field_%02d", 3*s+i)] = changeset.Change{Value: json.RawMessage(fmt.Sprintf(`"step %d"`, s)), Base: hlc.Timestamp(100 + s)}
		}
		ops = append(ops, op)
	}
	b.Run("apply", func(b *testing.B) {
		for b.Loop() {
			st := &changeset.State{}
			for _, op := range ops {
				if _, _, err := st.Apply(op); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("mergeOp", func(b *testing.B) {
		for b.Loop() {
			st := &changeset.State{}
			for _, op := range ops {
				if _, _, err := mergeOp(st, op); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
