package records

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/kenesh/kenesh/shared/changeset"
)

// mergeOp merges op into st as st.Apply does and reports what applyOps
// needs of Apply's report: whether a field's value changed (not which),
// and the conflicts, in field name order as Apply gives them, with values
// of their own. st keeps op's values themselves when they are compact
// (State.MergeConflicts): op's bytes must stay unchanged while st is used,
// as they do for the call that merges and stores it.
//
// Apply sorted each operation's field names, listed the changed ones and
// copied every value: 5% of a new laptop's first pull's CPU (BENCHMARKS.md,
// pull7 helper), most of it for operations of records the pull had just
// created.
func mergeOp(st *changeset.State, op *changeset.Op) (changed bool, conflicts []changeset.Conflict, err error) {
	// The fields op wins that held a value already: changed if the value
	// it leaves differs (after the merge: a value with white space is
	// compacted as it is merged).
	type won struct {
		name string
		was  json.RawMessage
	}
	var buf [8]won
	wins := buf[:0]
	for name := range op.Fields {
		cur, ok := st.Fields[name]
		switch {
		case !ok:
			changed = true // a new field: op sets it
		case cur.HLC == op.HLC && cur.Device == op.Device && cur.Seq == op.Seq:
			// This very write again: nothing changes.
		case olderThan(cur, op):
			wins = append(wins, won{name, cur.Value})
		}
		if changed {
			break
		}
	}
	conflicts, err = st.MergeConflicts(op)
	if err != nil {
		return false, nil, err
	}
	for _, w := range wins {
		if changed {
			break
		}
		changed = !bytes.Equal(w.was, st.Fields[w.name].Value)
	}
	for i := range conflicts {
		c := &conflicts[i]
		c.Winner.Value, c.Loser.Value = bytes.Clone(c.Winner.Value), bytes.Clone(c.Loser.Value)
	}
	if len(conflicts) > 1 {
		slices.SortFunc(conflicts, func(a, b changeset.Conflict) int { return strings.Compare(a.Field, b.Field) })
	}
	return changed, conflicts, nil
}

// olderThan reports whether op's write orders after f's: hybrid clock,
// then device id, then the device's sequence number (as State.Apply
// orders them).
func olderThan(f changeset.FieldValue, op *changeset.Op) bool {
	if f.HLC != op.HLC {
		return f.HLC < op.HLC
	}
	if f.Device != op.Device {
		return f.Device < op.Device
	}
	return f.Seq < op.Seq
}
