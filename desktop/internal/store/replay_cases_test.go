package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// logOp is one operation of a test log: made by dev (its seq counted per
// device in commit order) at clock at, setting fields.
type logOp struct {
	dev    string
	at     hlc.Timestamp
	id     string
	action changeset.Action
	base   hlc.Timestamp
	fields map[string]string // name -> JSON value
}

// commitLog writes ops, one commit each, in the order given; the state
// stored is every operation so far merged. It returns the operations as
// written.
func commitLog(t *testing.T, s *Store, ops []logOp) []*changeset.Op {
	return writeLog(t, s, ops, false)
}

// forEachLayout runs test on a log written one commit an operation (a
// history entry each, as in format 1), and on one written as a bulk load
// writes it (bulkLog).
func forEachLayout(t *testing.T, test func(t *testing.T, bulk bool)) {
	t.Run("entries", func(t *testing.T) { test(t, false) })
	t.Run("bulk", func(t *testing.T) { test(t, true) })
}

// writeLog is commitLog, or, with bulk, bulkLog.
func writeLog(t *testing.T, s *Store, ops []logOp, bulk bool) []*changeset.Op {
	t.Helper()
	ctx := context.Background()
	seq := map[string]uint64{}
	states := map[string]*changeset.State{}
	var out []*changeset.Op
	var outStates []*changeset.State
	for _, o := range ops {
		seq[o.dev]++
		op := &changeset.Op{Device: o.dev, Seq: seq[o.dev], HLC: o.at, Kind: "appeal", Record: o.id, Action: o.action,
			Fields: map[string]changeset.Change{}}
		for name, v := range o.fields {
			op.Fields[name] = changeset.Change{Value: json.RawMessage(v), Base: o.base}
		}
		st := states[o.id]
		if st == nil {
			st = &changeset.State{}
			states[o.id] = st
		}
		if _, _, err := st.Apply(op); err != nil {
			t.Fatal(err)
		}
		cp := *st
		cp.Fields = maps.Clone(st.Fields)
		out, outStates = append(out, op), append(outStates, &cp)
		if bulk {
			continue
		}
		if err := s.Commit(ctx, []Write{{Op: op, State: &cp, IndexRow: []byte("row")}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if bulk {
		bulkLog(t, s, out, outStates)
	}
	return out
}

// bulkLog writes ops as a bulk load's windows do (WriteBulk: a group of
// each record's operations of a window, then its states), in windows of
// 1-12 operations, and as a crash and a pull again, or an operation
// applied again, leave some: a window's operations but its first written
// again in a window of their own, an operation also written by a commit
// (an entry beside its group). states[i] is every operation up to ops[i]
// merged.
func bulkLog(t *testing.T, s *Store, ops []*changeset.Op, states []*changeset.State) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(len(ops)), 7))
	for start := 0; start < len(ops); {
		end := min(len(ops), start+1+rng.IntN(12))
		var writes []Write
		last := map[string]*changeset.State{}
		for i := start; i < end; i++ {
			writes = append(writes, Write{Op: ops[i]})
			last[ops[i].Record] = states[i]
		}
		if err := s.WriteBulk(ctx, writes); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(4) == 0 && end-start > 2 {
			if err := s.WriteBulk(ctx, writes[1:]); err != nil {
				t.Fatal(err)
			}
		}
		if rng.IntN(5) == 0 {
			if err := s.Commit(ctx, []Write{{Op: ops[start]}}, nil); err != nil {
				t.Fatal(err)
			}
		}
		var sw []Write
		for _, id := range slices.Sorted(maps.Keys(last)) {
			sw = append(sw, Write{State: last[id], IndexRow: []byte("row")})
		}
		if err := s.CommitBulk(ctx, sw, nil); err != nil {
			t.Fatal(err)
		}
		start = end
	}
}

// replayed is ReplayUpTo's answer: each record's state, merged or read
// as stored now (or, with mergeAgain, every record sent back and merged).
func replayed(t *testing.T, s *Store, cutoff hlc.Timestamp, mergeAgain bool) (map[string]*changeset.State, ReplayStats) {
	t.Helper()
	ctx := context.Background()
	got := map[string]*changeset.State{}
	stats, err := s.ReplayUpTo(ctx, "appeal", cutoff, func(id string, newest hlc.Timestamp, st *changeset.State) error {
		if st == nil {
			if mergeAgain {
				return ErrMergeAgain
			}
			var err error
			if st, err = s.State(ctx, "appeal", id); err != nil {
				return err
			}
			if st.Updated != newest {
				t.Errorf("%s given as stored now with newest %d, stored with %d", id, newest, st.Updated)
			}
		}
		if _, dup := got[id]; dup {
			t.Errorf("%s given twice", id)
		}
		got[id] = kept(st)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, stats
}

// kept is a copy of st, values and all, that outlives ReplayUpTo's fn
// (which reuses a merged state and its values for the next record).
func kept(st *changeset.State) *changeset.State {
	cp := st.Clone()
	for name, f := range cp.Fields {
		f.Value = bytes.Clone(f.Value)
		cp.Fields[name] = f
	}
	return cp
}

// mergedUpTo is the oracle: the operations at or before cutoff applied
// one by one, in the order they were made.
func mergedUpTo(t *testing.T, ops []*changeset.Op, cutoff hlc.Timestamp) map[string]*changeset.State {
	t.Helper()
	out := map[string]*changeset.State{}
	for _, op := range ops {
		if op.HLC > cutoff {
			continue
		}
		st := out[op.Record]
		if st == nil {
			st = &changeset.State{}
			out[op.Record] = st
		}
		if _, _, err := st.Apply(op); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func sameState(a, b *changeset.State) error {
	if a.Kind != b.Kind || a.ID != b.ID || a.Council != b.Council || a.Created != b.Created || a.Updated != b.Updated ||
		a.Author != b.Author || a.Device != b.Device || a.Deleted() != b.Deleted() || len(a.Fields) != len(b.Fields) {
		return fmt.Errorf("%+v, want %+v", a, b)
	}
	for name, f := range b.Fields {
		g, ok := a.Fields[name]
		if !ok || !bytes.Equal(g.Value, f.Value) || g.HLC != f.HLC || g.Device != f.Device || g.Seq != f.Seq || g.Base != f.Base {
			return fmt.Errorf("field %s is %+v, want %+v", name, g, f)
		}
	}
	return nil
}

// The edge cases of a record as of a day, each with its operations in the
// log as laptops write them: on both sides of the day, deleted, restored,
// concurrent writes of two laptops (a conflict, merged by clock), made
// after the day, and an operation withdrawn from the log (held back).
func TestReplayUpToCases(t *testing.T) { forEachLayout(t, testReplayUpToCases) }

func testReplayUpToCases(t *testing.T, bulk bool) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), newKey(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	del, undel := map[string]string{changeset.DeletedField: "true"}, map[string]string{changeset.DeletedField: "null"}
	sum := func(v string) map[string]string { return map[string]string{"summary": `"` + v + `"`} }
	create := changeset.ActionCreate
	up := changeset.ActionUpdate
	ops := writeLog(t, s, []logOp{
		{dev: "dev1", at: 100, id: "both", action: create, fields: sum("before")},
		{dev: "dev1", at: 300, id: "both", action: up, base: 100, fields: sum("after")},
		{dev: "dev1", at: 110, id: "deleted", action: create, fields: sum("gone")},
		{dev: "dev1", at: 150, id: "deleted", action: changeset.ActionDelete, base: 0, fields: del},
		{dev: "dev1", at: 250, id: "deleted", action: up, base: 150, fields: undel},
		{dev: "dev1", at: 120, id: "restored", action: create, fields: sum("back")},
		{dev: "dev1", at: 130, id: "restored", action: changeset.ActionDelete, fields: del},
		{dev: "dev1", at: 140, id: "restored", action: up, base: 130, fields: undel},
		{dev: "dev1", at: 260, id: "restored", action: up, base: 120, fields: sum("back later")},
		// Two laptops change the summary not having seen each other's
		// change; "dev10" sorts before "dev1:" in the log's keys, after
		// "dev1" as a name. The later clock wins; the later write is in
		// the log first.
		{dev: "dev10", at: 190, id: "conflict", action: create, fields: sum("dev10's")},
		{dev: "dev1", at: 160, id: "conflict", action: create, fields: sum("dev1's")},
		{dev: "dev2", at: 180, id: "conflict", action: up, base: 0, fields: sum("dev2's")},
		{dev: "dev2", at: 400, id: "conflict", action: up, base: 190, fields: sum("later")},
		{dev: "dev1", at: 500, id: "later", action: create, fields: sum("made after")},
		{dev: "dev2", at: 105, id: "withdrawn", action: create, fields: sum("kept")},
		{dev: "dev2", at: 170, id: "withdrawn", action: up, base: 105, fields: sum("withdrawn")},
	}, bulk)
	// The last operation is taken out of the log, as a pulled operation
	// held back is (Write.Withdraw).
	last := ops[len(ops)-1]
	if err := s.Commit(ctx, []Write{{Op: last, Hold: &Held{Key: "k", Value: []byte("v")}, Withdraw: true}}, nil); err != nil {
		t.Fatal(err)
	}
	ops = ops[:len(ops)-1]
	// and the record's state is its other operations' again, as the
	// laptop that holds it back makes it.
	kept := mergedUpTo(t, ops, 1000)["withdrawn"]
	err = s.db.Update(func(txn *badger.Txn) error {
		b, err := kept.AppendBinary(nil)
		if err != nil {
			return err
		}
		return txn.Set(stateKey("appeal", "withdrawn"), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		summary string // "" for none
		deleted bool
		merged  bool // merged again, not as stored now
	}
	cases := []struct {
		cutoff hlc.Timestamp
		want   map[string]want
		stats  ReplayStats
	}{
		{99, map[string]want{}, ReplayStats{Later: 15}},
		{135, map[string]want{
			"both": {"before", false, true}, "deleted": {"gone", false, true}, "restored": {"back", true, true},
			"withdrawn": {"kept", false, false},
		}, ReplayStats{Ops: 5, Later: 10, Newest: 130}},
		{200, map[string]want{
			"both": {"before", false, true}, "deleted": {"gone", true, true}, "restored": {"back", false, true},
			"conflict": {"dev10's", false, true}, "withdrawn": {"kept", false, false},
		}, ReplayStats{Ops: 10, Later: 5, Newest: 190}},
		{185, map[string]want{
			"both": {"before", false, true}, "deleted": {"gone", true, true}, "restored": {"back", false, true},
			"conflict": {"dev2's", false, true}, "withdrawn": {"kept", false, false},
		}, ReplayStats{Ops: 9, Later: 6, Newest: 180}},
		{300, map[string]want{
			"both": {"after", false, false}, "deleted": {"gone", false, false}, "restored": {"back later", false, false},
			"conflict": {"dev10's", false, true}, "withdrawn": {"kept", false, false},
		}, ReplayStats{Ops: 13, Later: 2, Newest: 300}},
		{1000, map[string]want{
			"both": {"after", false, false}, "deleted": {"gone", false, false}, "restored": {"back later", false, false},
			"conflict": {"later", false, false}, "later": {"made after", false, false}, "withdrawn": {"kept", false, false},
		}, ReplayStats{Ops: 15, Newest: 500}},
	}
	for _, mergeAgain := range []bool{false, true} {
		for _, tt := range cases {
			name := fmt.Sprintf("up to %d, merge again %v", tt.cutoff, mergeAgain)
			got, stats := replayed(t, s, tt.cutoff, mergeAgain)
			if stats != tt.stats {
				t.Errorf("%s: stats %+v, want %+v", name, stats, tt.stats)
			}
			if len(got) != len(tt.want) {
				t.Errorf("%s: %d records, want %d", name, len(got), len(tt.want))
			}
			oracle := mergedUpTo(t, ops, tt.cutoff)
			for id, w := range tt.want {
				st := got[id]
				if st == nil {
					t.Errorf("%s: %s left out", name, id)
					continue
				}
				var summary string
				_ = json.Unmarshal(st.Fields["summary"].Value, &summary)
				if summary != w.summary || st.Deleted() != w.deleted {
					t.Errorf("%s: %s is %q deleted %v, want %q deleted %v", name, id, summary, st.Deleted(), w.summary, w.deleted)
				}
				if w.merged || mergeAgain {
					if err := sameState(st, oracle[id]); err != nil {
						t.Errorf("%s: %s: %v", name, id, err)
					}
				}
			}
		}
	}
}

// Many records whose operations lie far apart in the log and across
// laptops, in every order: each record as of each day is the oracle's,
// the operations it merged applied one by one.
func TestReplayUpToAgreesWithMergingEachOperation(t *testing.T) {
	forEachLayout(t, testReplayUpToAgreesWithMergingEachOperation)
}

func testReplayUpToAgreesWithMergingEachOperation(t *testing.T, bulk bool) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), newKey(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(12, 1))
	devs := []string{"dev1", "dev10", "dev2"}
	var log []logOp
	for i := range 300 {
		id := fmt.Sprintf("r%04d", i)
		at := hlc.Timestamp(1 + rng.IntN(400))
		log = append(log, logOp{dev: devs[rng.IntN(3)], at: at, id: id, action: changeset.ActionCreate,
			fields: map[string]string{"summary": fmt.Sprintf(`"%s made"`, id)}})
		for n := rng.IntN(6); n > 0; n-- {
			at := hlc.Timestamp(1 + rng.IntN(1000))
			f := map[string]string{}
			switch rng.IntN(4) {
			case 0:
				f[changeset.DeletedField] = []string{"true", "null"}[rng.IntN(2)]
			case 1:
				f["consultations/c"+fmt.Sprint(rng.IntN(3))] = fmt.Sprintf(`{"id":"c%d","on":"%d"}`, rng.IntN(3), at)
			default:
				f["summary"] = fmt.Sprintf(`"%s at %d"`, id, at)
				f["status"] = []string{`"registered"`, `"answered"`}[rng.IntN(2)]
			}
			log = append(log, logOp{dev: devs[rng.IntN(3)], at: at, id: id, action: changeset.ActionUpdate,
				base: hlc.Timestamp(rng.IntN(int(at))), fields: f})
		}
	}
	// Written mostly in the order made, some long after (pulled late).
	rng.Shuffle(len(log)/5, func(i, j int) { log[i], log[len(log)-1-j] = log[len(log)-1-j], log[i] })
	ops := writeLog(t, s, log, bulk)
	for _, cutoff := range []hlc.Timestamp{0, 50, 200, 401, 700, 1000} {
		oracle := mergedUpTo(t, ops, cutoff)
		for _, mergeAgain := range []bool{false, true} {
			got, stats := replayed(t, s, cutoff, mergeAgain)
			if len(got) != len(oracle) {
				t.Errorf("up to %d: %d records, want %d", cutoff, len(got), len(oracle))
			}
			n := 0
			for _, op := range ops {
				if op.HLC <= cutoff {
					n++
				}
			}
			if stats.Ops != n || stats.Later != len(ops)-n {
				t.Errorf("up to %d: stats %+v, want %d ops, %d later", cutoff, stats, n, len(ops)-n)
			}
			for _, id := range slices.Sorted(maps.Keys(oracle)) {
				if got[id] == nil {
					t.Errorf("up to %d: %s left out", cutoff, id)
				} else if err := sameState(got[id], oracle[id]); err != nil {
					t.Errorf("up to %d (merge again %v): %s: %v", cutoff, mergeAgain, id, err)
				}
			}
		}
	}
}

// The key reader finds every operation, in any order, by stepping
// when it is near and seeking when it is not, and says when one is not
// in the log (passed by a step, or not found by a seek).
func TestKeyReader(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), newKey(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var log []logOp
	for i := range 400 {
		log = append(log, logOp{dev: []string{"dev1", "dev10"}[i%2], at: hlc.Timestamp(i + 1), id: fmt.Sprint("r", i), action: changeset.ActionCreate,
			fields: map[string]string{"n": fmt.Sprint(i)}})
	}
	ops := commitLog(t, s, log)
	type read struct {
		dev string
		seq uint64
	}
	var reads []read
	for seq := uint64(1); seq <= 200; seq += 3 { // near each other: steps
		reads = append(reads, read{"dev1", seq}, read{"dev1", seq + 1})
	}
	reads = append(reads, read{"dev10", 150}, read{"dev1", 20}, read{"dev10", 7}, read{"dev1", 199}, read{"dev10", 200}, read{"dev10", 1})
	missing := []read{{"dev1", 201}, {"dev1", 0}, {"dev3", 1}, {"dev", 5}}
	err = s.db.View(func(txn *badger.Txn) error {
		r := newKeyReader(txn, spaceOp)
		defer r.close()
		for i, rd := range append(reads, missing...) {
			v, err := r.get(opKey(rd.dev, rd.seq))
			if i >= len(reads) {
				if !errors.Is(err, badger.ErrKeyNotFound) {
					t.Errorf("%s:%d not in the log, read: %v", rd.dev, rd.seq, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s:%d: %v", rd.dev, rd.seq, err)
			}
			op, err := changeset.DecodeOp(v)
			if err != nil {
				t.Fatal(err)
			}
			want := ops[2*(rd.seq-1)]
			if rd.dev == "dev10" {
				want = ops[2*(rd.seq-1)+1]
			}
			if op.Device != rd.dev || op.Seq != rd.seq || op.Record != want.Record {
				t.Errorf("%s:%d read %s:%d of %s, want %s", rd.dev, rd.seq, op.Device, op.Seq, op.Record, want.Record)
			}
		}
		if r.steps < 100 || r.seeks > 20 {
			t.Errorf("%d reads near each other: %d steps, %d seeks", len(reads), r.steps, r.seeks)
		}
		if len(r.cursors) > readCursors {
			t.Errorf("%d iterators, at most %d", len(r.cursors), readCursors)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// EachStateOf gives the states of the ids asked for, in the order asked,
// skipping those not held: in id order (as an export asks, read by
// stepping), out of order, far apart, and ids that are not ones.
func TestEachStateOf(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), newKey(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var log []logOp
	for i := range 300 {
		log = append(log, logOp{dev: "dev1", at: hlc.Timestamp(i + 1), id: fmt.Sprintf("r%03d", i), action: changeset.ActionCreate,
			fields: map[string]string{"summary": fmt.Sprintf(`"%d"`, i)}})
	}
	commitLog(t, s, log)
	for _, tt := range []struct {
		name string
		ids  []string
		want []string
	}{
		{"all in order", nil, nil},
		{"every seventh", []string{"r000", "r007", "r014", "r021", "r280", "r287"}, nil},
		{"out of order and far", []string{"r299", "r000", "r150", "r149", "r151", "r003"}, nil},
		{"not held, not ids", []string{"r0", "r000", "r1000", "a:b", "", "r300", "r299", "q"}, []string{"r000", "r299"}},
		{"twice", []string{"r010", "r010", "r011"}, nil},
	} {
		ids, want := tt.ids, tt.want
		if ids == nil {
			for i := range 300 {
				ids = append(ids, fmt.Sprintf("r%03d", i))
			}
		}
		if want == nil {
			want = ids
		}
		var got []string
		err := s.EachStateOf(ctx, "appeal", ids, func(st *changeset.State) error {
			if v := string(st.Fields["summary"].Value); v != fmt.Sprintf(`"%s"`, strings.TrimLeft(st.ID[1:], "0")) && !(st.ID == "r000" && v == `"0"`) {
				t.Errorf("%s: %s holds %s", tt.name, st.ID, v)
			}
			got = append(got, st.ID)
			return nil
		})
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %v (%v), want %v", tt.name, got, err, want)
		}
	}
}
