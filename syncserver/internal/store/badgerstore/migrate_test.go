package badgerstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// v1Log writes the log as format 1 did, an entry per operation (the
// Accept and Refuse of the release before the batched log), to make the
// stores the migration reads.
type v1Log struct {
	ops    []v1Op // in server order
	head   uint64
	acked  map[string]uint64
	jsonOf map[string]bool // "dev/seq": judgement written as JSON, as stores before the binary entry did
}

type v1Op struct {
	seq     uint64 // server seq; 0: refused
	op      *changeset.Op
	ix      store.Index
	refusal string
}

func (l *v1Log) add(op *changeset.Op, ix store.Index, refusal string) {
	if l.acked == nil {
		l.acked = map[string]uint64{}
	}
	o := v1Op{op: op, ix: ix, refusal: refusal}
	if refusal == "" {
		l.head++
		o.seq = l.head
	}
	l.acked[op.Device] = op.Seq
	l.ops = append(l.ops, o)
}

// write puts the ops from i on into db as format 1 keys, then the head, the
// acknowledgements and the stamp of format 1.
func (l *v1Log) write(t *testing.T, db *badger.DB, from int) {
	t.Helper()
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	set := func(k, v []byte) {
		if err := wb.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range l.ops[from:] {
		op := o.op
		e := opEntry{ServerSeq: o.seq, HLC: uint64(op.HLC), Kind: op.Kind, Record: op.Record}
		if o.refusal != "" {
			e.Code, e.Message = "forbidden", o.refusal
			rec, _ := json.Marshal(refusedRec{Op: json.RawMessage(`{"seq":1}`), Code: e.Code, Message: e.Message, At: time.Unix(1, 0).UTC()})
			set(refusedKey(op.Device, op.Seq), rec)
		} else {
			b, err := op.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			set(logKey(o.seq), b)
			switch {
			case o.ix.Global:
				set(globalKey(o.seq), []byte(op.Device))
			case o.ix.Council != "":
				set(pullKey(o.ix.Council, o.seq), []byte(op.Device))
			}
		}
		v := e.appendBinary(nil)
		if l.jsonOf[fmt.Sprintf("%s/%d", op.Device, op.Seq)] {
			v, _ = json.Marshal(e)
		}
		set(devOpKey(op.Device, op.Seq), v)
	}
	for dev, seq := range l.acked {
		set(ackedKey(dev), be(seq))
	}
	set(metaKey(metaHead), be(l.head))
	set(metaKey("format"), []byte(`{"format":1,"release":"0.5.0"}`))
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
}

func v1TestOp(dev string, seq uint64, kind, council string) *changeset.Op {
	v, _ := json.Marshal(fmt.Sprintf("%s %d", dev, seq))
	return &changeset.Op{Device: dev, Seq: seq, HLC: hlc.Timestamp(1<<40 + seq<<16), Kind: kind, Record: fmt.Sprintf("%s-%d", dev, seq/3),
		Council: council, Action: changeset.ActionUpdate, Author: "v1 " + dev, Fields: map[string]changeset.Change{"summary": {Value: v}}}
}

// v1World is a log in format 1: a council laptop's 2,600 operations (more
// than a batch of the migration), one of them refused; another council's
// laptop; the server's global council records; a central laptop's, which
// only central staff see. Two judgements are in JSON, as older stores
// wrote them.
func v1World() *v1Log {
	l := &v1Log{jsonOf: map[string]bool{"BBBB/1": true, "AAAA/7": true}}
	seqs := map[string]uint64{}
	add := func(dev, kind, council string, ix store.Index, refusal string) {
		seqs[dev]++
		l.add(v1TestOp(dev, seqs[dev], kind, council), ix, refusal)
	}
	for i := range 2600 {
		add("AAAA", "appeal", "NRN-ATB", store.Index{Council: "NRN-ATB"}, "")
		switch {
		case i == 1500:
			add("AAAA", "appeal", "NRN-ATB", store.Index{}, "not your council")
		case i%50 == 0:
			add("BBBB", "event", "OSH-ARA", store.Index{Council: "OSH-ARA"}, "")
		case i%333 == 0:
			add("SRV", "council", "", store.Index{Global: true}, "")
		case i%400 == 7:
			add("CCCC", "appeal", "NRN-ATB", store.Index{}, "")
		}
	}
	return l
}

// TestMigrateBatchedLog: a store of format 1 (an entry per operation) is
// migrated at open to the batched log, and everything reads as before:
// every operation under its server seq (EachOp, Export), every judgement
// by (device, seq), acknowledgements, refusals, and every pull from any
// cursor, in each scope, gives what it gave before. A migration cut short
// (part of the store batched, the rest not) goes on at the next open, and
// the log grows after it as on a new store.
func TestMigrateBatchedLog(t *testing.T) {
	ctx := context.Background()
	opts := Options{Small: true, MinFree: 1, Key: bytes.Repeat([]byte{7}, 32)}
	for _, tc := range []struct {
		name string
		cut  int // ops written and migrated before the rest
	}{{"whole", 0}, {"cut short", 1400}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "srv")
			l := v1World()
			s, err := Open(ctx, dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			if tc.cut > 0 {
				part := &v1Log{ops: l.ops[:tc.cut], acked: map[string]uint64{}, jsonOf: l.jsonOf}
				for _, o := range part.ops {
					part.head = max(part.head, o.seq)
					part.acked[o.op.Device] = o.op.Seq
				}
				part.write(t, s.db, 0)
				s.Close()
				if s, err = Open(ctx, dir, opts); err != nil {
					t.Fatal(err)
				}
			}
			l.write(t, s.db, tc.cut)
			s.Close()
			if s, err = Open(ctx, dir, opts); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			checkMigrated(t, s, l)
		})
	}
}

// checkMigrated checks a migrated store against the format 1 log it was.
func checkMigrated(t *testing.T, s *Store, l *v1Log) {
	ctx := context.Background()
	if f, err := s.Format(); err != nil || f.Format != storeFormat.Current {
		t.Fatalf("format %+v, %v", f, err)
	}
	for _, old := range []string{spaceLog, spaceGlobal, spacePull, spaceDevOp} {
		n := 0
		s.scan(ctx, []byte(old), func(_, _ []byte) error { n++; return nil })
		if n > 0 {
			t.Errorf("%d entries of %s left", n, old)
		}
	}
	enc := func(op *changeset.Op) string { b, _ := op.AppendBinary(nil); return string(b) }
	var accepted []v1Op
	for _, o := range l.ops {
		if o.seq > 0 {
			accepted = append(accepted, o)
		}
	}

	// The log, whole and from a cursor.
	for _, after := range []uint64{0, 1234} {
		var got []v1Op
		err := s.EachOp(ctx, after, func(seq uint64, op *changeset.Op) error { got = append(got, v1Op{seq: seq, op: op}); return nil })
		if err != nil {
			t.Fatal(err)
		}
		want := accepted[after:]
		if len(got) != len(want) {
			t.Fatalf("EachOp after %d: %d operations, want %d", after, len(got), len(want))
		}
		for i := range want {
			if got[i].seq != want[i].seq || enc(got[i].op) != enc(want[i].op) {
				t.Fatalf("EachOp after %d: #%d is %d %+v, want %d %+v", after, i, got[i].seq, got[i].op, want[i].seq, want[i].op)
			}
		}
	}
	items := 0
	err := s.Export(ctx, func(it store.Item) error {
		if it.Op == nil {
			return nil
		}
		w := accepted[items]
		if it.Op.Seq != w.seq || it.Op.Index != w.ix || enc(it.Op.Op) != enc(w.op) {
			t.Errorf("exported #%d: %d %+v, want %d %+v", items, it.Op.Seq, it.Op.Index, w.seq, w.ix)
		}
		items++
		return nil
	})
	if err != nil || items != len(accepted) {
		t.Fatalf("export: %d operations, want %d; %v", items, len(accepted), err)
	}

	// Judgements, acknowledgements, refusals.
	err = s.ReadLog(ctx, func(x store.LogReader) error {
		for _, o := range l.ops {
			j, err := x.Judgement(o.op.Device, o.op.Seq)
			if err != nil {
				return err
			}
			want := store.Judgement{ServerSeq: o.seq, HLC: uint64(o.op.HLC), Kind: o.op.Kind, Record: o.op.Record}
			if o.refusal != "" {
				want.Code, want.Message = "forbidden", o.refusal
			}
			if j == nil || *j != want {
				t.Fatalf("judgement of %s/%d: %+v, want %+v", o.op.Device, o.op.Seq, j, want)
			}
		}
		for dev, seq := range l.acked {
			if n, err := x.Acked(dev); err != nil || n != seq {
				t.Errorf("acked %s: %d %v, want %d", dev, n, err, seq)
			}
			if j, err := x.Judgement(dev, seq+1); err != nil || j != nil {
				t.Errorf("judgement of %s/%d, never pushed: %+v %v", dev, seq+1, j, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(x store.DirTx) error {
		for dev := range l.acked {
			if ok, err := x.Authored(dev); err != nil || !ok {
				t.Errorf("authored %s: %v %v", dev, ok, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var refused []store.Refusal
	if err := s.Refusals(ctx, "AAAA", func(r store.Refusal) error { refused = append(refused, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(refused) != 1 || refused[0].Message != "not your council" || refused[0].Kind != "appeal" || refused[0].HLC == 0 {
		t.Errorf("refusals: %+v", refused)
	}

	// Pulls from cursors laptops held before: the same operations, page
	// after page, as the format 1 layout gave.
	head := l.head
	for _, tc := range []struct {
		scope   store.Scope
		exclude string
	}{
		{store.Scope{All: true}, ""},
		{store.Scope{All: true}, "AAAA"},
		{store.Scope{Council: "NRN-ATB", Global: true}, "AAAA"},
		{store.Scope{Council: "NRN-ATB", Global: true}, "CCCC"},
		{store.Scope{Council: "OSH-ARA"}, "BBBB"},
		{store.Scope{Council: "OSH-ARA", Global: true}, "AAAA"},
		{store.Scope{Global: true}, ""},
	} {
		for _, after := range []uint64{0, 1, 17, 1999, 2000, 2001, 2650, head - 1, head} {
			var want []uint64
			for _, o := range accepted {
				visible := tc.scope.All || tc.scope.Global && o.ix.Global || tc.scope.Council != "" && o.ix.Council == tc.scope.Council
				if o.seq > after && visible && o.op.Device != tc.exclude {
					want = append(want, o.seq)
				}
			}
			var got []uint64
			cursor, pages := after, 0
			for {
				p, err := s.Pull(ctx, tc.scope, tc.exclude, cursor, store.PullLimits{MaxBytes: 1 << 20, MaxOps: 300, MaxScan: 1000})
				if err != nil {
					t.Fatal(err)
				}
				for _, op := range p.Ops {
					i := slices.IndexFunc(accepted, func(o v1Op) bool { return o.op.Device == op.Device && o.op.Seq == op.Seq })
					if i < 0 || enc(accepted[i].op) != enc(op) {
						t.Fatalf("pulled %s/%d, not as written", op.Device, op.Seq)
					}
					got = append(got, accepted[i].seq)
				}
				if p.Cursor < cursor || len(got) > 0 && p.Cursor < got[len(got)-1] {
					t.Fatalf("%+v without %s after %d: cursor %d", tc.scope, tc.exclude, cursor, p.Cursor)
				}
				cursor = p.Cursor
				if pages++; !p.More || pages > 100 {
					break
				}
			}
			if cursor != head || !slices.Equal(got, want) {
				t.Fatalf("%+v without %s after %d: cursor %d (head %d), %d operations, want %d:\n%v\n%v", tc.scope, tc.exclude, after, cursor, head, len(got), len(want), got, want)
			}
		}
	}

	// The log grows after the migration.
	op := v1TestOp("AAAA", l.acked["AAAA"]+1, "appeal", "NRN-ATB")
	var seq uint64
	err = s.Append(ctx, func(w store.LogTx) (err error) { seq, err = w.Accept(op, store.Index{Council: "NRN-ATB"}); return err })
	if err != nil || seq != head+1 {
		t.Fatalf("append after the migration: %d %v, want %d", seq, err, head+1)
	}
	p, err := s.Pull(ctx, store.Scope{Council: "NRN-ATB"}, "CCCC", head, store.PullLimits{MaxBytes: 1 << 20})
	if err != nil || len(p.Ops) != 1 || p.Cursor != head+1 || enc(p.Ops[0]) != enc(op) {
		t.Fatalf("pull after the migration: %+v %v", p, err)
	}
}
