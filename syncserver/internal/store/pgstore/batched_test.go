package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// logWorld is what a test wrote to the log: every judged operation in
// the order it was judged, accepted ones with their server seq and index.
type logWorld struct {
	devs  []string
	ops   []worldOp // accepted, in server order (ops[i] has seq i+1)
	refd  map[devSeq]store.Refusal
	acked map[string]uint64
}

type devSeq struct {
	dev string
	seq uint64
}

type worldOp struct {
	op *changeset.Op
	ix string // as log.ix holds it
}

var worldIxs = []string{"NRN-ATB", "OSH-ARA", ixGlobal, ixNone}

func newLogWorld() *logWorld {
	w := &logWorld{refd: map[devSeq]store.Refusal{}, acked: map[string]uint64{}}
	for range 4 {
		w.devs = append(w.devs, domain.NewID())
	}
	return w
}

// push makes one change set of device dev: n operations mostly of one
// index, now and then (if mixed) another, and now and then one refused
// (which takes its device seq and no server seq). It returns the change
// set's operations and refusals.
func (w *logWorld) push(r *rand.Rand, dev string, n int, mixed bool) (accepted []worldOp, refused []store.Refusal) {
	ix := worldIxs[r.IntN(len(worldIxs))]
	for range n {
		seq := w.acked[dev] + 1
		w.acked[dev] = seq
		if mixed && r.IntN(40) == 0 {
			ref := store.Refusal{Device: dev, Seq: seq, HLC: uint64(seq) << 16, Kind: "appeal", Record: domain.NewID(),
				Code: "forbidden", Message: "not yours", Op: json.RawMessage(`{"seq":` + fmt.Sprint(seq) + `}`), At: time.Unix(1764000000, 0).UTC()}
			w.refd[devSeq{dev, seq}] = ref
			refused = append(refused, ref)
			continue
		}
		if mixed && r.IntN(30) == 0 {
			ix = worldIxs[r.IntN(len(worldIxs))]
		}
		// Some operations are large, for MaxOpBytes to withhold.
		value := strings.Repeat("ы", 1+r.IntN(20))
		if r.IntN(25) == 0 {
			value = strings.Repeat("ж", 600)
		}
		v, _ := json.Marshal(value)
		op := &changeset.Op{Device: dev, Seq: seq, HLC: hlc.Timestamp(1<<40 + uint64(len(w.ops))<<16), Kind: "appeal", Record: domain.NewID(),
			Council: "NRN-ATB", Action: changeset.ActionCreate, Author: "batched_test", Fields: map[string]changeset.Change{"summary": {Value: v}}}
		wo := worldOp{op: op, ix: ix}
		w.ops = append(w.ops, wo)
		accepted = append(accepted, wo)
	}
	return accepted, refused
}

// oldAppend writes one append as the releases before migration 6 did:
// a row of ops per operation, its refusals, its devices' acknowledgements
// and the head, under the log's lock.
func oldAppend(t *testing.T, st *Store, w *logWorld, first int, accepted []worldOp, refused []store.Refusal) {
	t.Helper()
	ctx := context.Background()
	tx, err := st.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM log_state FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	var seqs, dseqs, hlcs []int64
	var devs, kinds, records, ixs []string
	var ops [][]byte
	for i, o := range accepted {
		b, err := o.op.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		seqs, dseqs, hlcs = append(seqs, int64(first+i)), append(dseqs, int64(o.op.Seq)), append(hlcs, int64(o.op.HLC))
		devs, kinds, records, ixs = append(devs, o.op.Device), append(kinds, o.op.Kind), append(records, o.op.Record), append(ixs, o.ix)
		ops = append(ops, b)
	}
	_, err = tx.Exec(ctx, `INSERT INTO ops (seq, device, dseq, hlc, kind, record, ix, op)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bytea[])`,
		seqs, devs, dseqs, hlcs, kinds, records, ixs, ops)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refused {
		_, err := tx.Exec(ctx, `INSERT INTO refusals (device, seq, hlc, kind, record, code, message, op, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			r.Device, int64(r.Seq), int64(r.HLC), []byte(r.Kind), []byte(r.Record), []byte(r.Code), []byte(r.Message), []byte(r.Op), r.At)
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, dev := range w.devs {
		if _, err := tx.Exec(ctx, `INSERT INTO acked (device, seq) VALUES ($1, $2) ON CONFLICT (device) DO UPDATE SET seq = EXCLUDED.seq`, dev, int64(w.acked[dev])); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE log_state SET head = $1`, int64(first+len(accepted)-1)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// newAppend writes one append through the store.
func newAppend(t *testing.T, st *Store, accepted []worldOp, refused []store.Refusal, first int) {
	t.Helper()
	// The judgements in device seq order, as ingest makes them.
	type judged struct {
		seq uint64
		op  *worldOp
		ref *store.Refusal
	}
	var js []judged
	for i := range accepted {
		js = append(js, judged{seq: accepted[i].op.Seq, op: &accepted[i]})
	}
	for i := range refused {
		js = append(js, judged{seq: refused[i].Seq, ref: &refused[i]})
	}
	slices.SortFunc(js, func(a, b judged) int { return int(a.seq) - int(b.seq) })
	err := st.Append(context.Background(), func(w store.LogTx) error {
		next := first
		for _, j := range js {
			if j.ref != nil {
				if err := w.Refuse(*j.ref); err != nil {
					return err
				}
				continue
			}
			ix := store.Index{Global: j.op.ix == ixGlobal, Council: j.op.ix}
			if j.op.ix == ixGlobal {
				ix.Council = ""
			}
			seq, err := w.Accept(j.op.op, ix)
			if err != nil {
				return err
			}
			if seq != uint64(next) {
				return fmt.Errorf("accepted as %d, want %d", seq, next)
			}
			next++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// check reads the whole log back every way the contract reads it.
func (w *logWorld) check(t *testing.T, st *Store, r *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	head, err := st.Head(ctx)
	if err != nil || head != uint64(len(w.ops)) {
		t.Fatalf("head %d (%v), want %d", head, err, len(w.ops))
	}
	for _, after := range []int{0, 1, len(w.ops) / 3, len(w.ops) - 1, len(w.ops)} {
		var got []uint64
		err := st.EachOp(ctx, uint64(after), func(seq uint64, op *changeset.Op) error {
			if seq < 1 || seq > uint64(len(w.ops)) || w.ops[seq-1].op.ID() != op.ID() || w.ops[seq-1].op.Record != op.Record {
				return fmt.Errorf("EachOp gave %s as %d", op.ID(), seq)
			}
			got = append(got, seq)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(w.ops)-after || len(got) > 0 && got[0] != uint64(after+1) {
			t.Fatalf("EachOp after %d gave %d operations from %v, want %d", after, len(got), got[:min(len(got), 1)], len(w.ops)-after)
		}
	}
	err = st.ReadLog(ctx, func(x store.LogReader) error {
		for seq, o := range w.ops {
			j, err := x.Judgement(o.op.Device, o.op.Seq)
			if err != nil {
				return err
			}
			if j == nil || j.ServerSeq != uint64(seq+1) || j.HLC != uint64(o.op.HLC) || j.Kind != o.op.Kind || j.Record != o.op.Record || j.Code != "" {
				return fmt.Errorf("judgement of %s: %+v, want accepted as %d", o.op.ID(), j, seq+1)
			}
		}
		for k, ref := range w.refd {
			j, err := x.Judgement(k.dev, k.seq)
			if err != nil {
				return err
			}
			if j == nil || j.ServerSeq != 0 || j.Code != ref.Code || j.Record != ref.Record || j.HLC != ref.HLC {
				return fmt.Errorf("judgement of refused %s/%d: %+v", k.dev, k.seq, j)
			}
		}
		for _, dev := range w.devs {
			if n, err := x.Acked(dev); err != nil || n != w.acked[dev] {
				return fmt.Errorf("acked %s: %d (%v), want %d", dev, n, err, w.acked[dev])
			}
			if j, err := x.Judgement(dev, w.acked[dev]+1); err != nil || j != nil {
				return fmt.Errorf("judgement of %s/%d, not sent yet: %+v (%v)", dev, w.acked[dev]+1, j, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	scopes := []store.Scope{{All: true}, {Council: "NRN-ATB"}, {Global: true}, {Council: "NRN-ATB", Global: true}, {Council: "OSH-ARA", Global: true}, {}}
	for _, scope := range scopes {
		for _, exclude := range []string{"", w.devs[0], w.devs[2]} {
			for range 3 {
				lim := store.PullLimits{MaxBytes: 1 + r.IntN(64<<10), MaxOps: 1 + r.IntN(1200), MaxOpBytes: []int{0, 1000}[r.IntN(2)],
					MaxScan: []int{0, 1 + r.IntN(300), 1 + r.IntN(3000)}[r.IntN(3)]}
				after := uint64(0)
				if r.IntN(3) == 0 {
					after = uint64(r.IntN(len(w.ops) + 1))
				}
				w.checkPull(t, st, scope, exclude, after, lim)
			}
		}
	}
}

// checkPull pulls from after to the head, page by page, and checks that
// the pages gave what scope sees but exclude's own, each once, in server
// order, the large ones withheld.
func (w *logWorld) checkPull(t *testing.T, st *Store, scope store.Scope, exclude string, after uint64, lim store.PullLimits) {
	t.Helper()
	var want, wantHeld []string
	for _, o := range w.ops[after:] {
		seen := scope.All || scope.Global && o.ix == ixGlobal || scope.Council != "" && o.ix == scope.Council
		if !seen || o.op.Device == exclude {
			continue
		}
		b, _ := o.op.AppendBinary(nil)
		if lim.MaxOpBytes > 0 && len(b) > lim.MaxOpBytes {
			wantHeld = append(wantHeld, o.op.ID())
		} else {
			want = append(want, o.op.ID())
		}
	}
	var got, held []string
	what := fmt.Sprintf("pull of %+v without %.8s from %d, %+v", scope, exclude, after, lim)
	cursor := after
	for pages := 0; ; pages++ {
		if pages > 10*len(w.ops)+10 {
			t.Fatalf("%s: no end", what)
		}
		p, err := st.Pull(context.Background(), scope, exclude, cursor, lim)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if p.Cursor < cursor || p.Head != uint64(len(w.ops)) || len(p.Ops) > max(lim.MaxOps, 1) || len(p.Ops) != len(p.Encoded) {
			t.Fatalf("%s: page from %d: cursor %d, head %d, %d operations", what, cursor, p.Cursor, p.Head, len(p.Ops))
		}
		if len(p.Ops) == 0 && len(p.Withheld) == 0 && p.Cursor == cursor && p.More {
			t.Fatalf("%s: a page from %d went nowhere", what, cursor)
		}
		for _, op := range p.Ops {
			got = append(got, op.ID())
		}
		held = append(held, p.Withheld...)
		cursor = p.Cursor
		if !p.More {
			if cursor != p.Head {
				t.Fatalf("%s: the last page's cursor is %d, the head %d", what, cursor, p.Head)
			}
			break
		}
	}
	if !slices.Equal(got, want) || !slices.Equal(held, wantHeld) {
		t.Fatalf("%s: %d operations and %d withheld, want %d and %d (first difference at %d)", what, len(got), len(held), len(want), len(wantHeld),
			firstDiff(got, want))
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// A database whose log the releases before migration 6 wrote (a row per
// operation) is converted when a new release opens it: every operation
// kept under its server seq and found by its (device, seq), refusals and
// acknowledgements as they were, pulls and EachOp giving what they gave;
// new change sets are written a row each on top of it, and all of it
// reads back the same.
func TestBatchedLogMigration(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	r := rand.New(rand.NewPCG(15, 6))
	w := newLogWorld()

	old := openAt(t, url, 5)
	// Laptops' pushes, interleaved, and one long run of one device (more
	// than a converted row holds).
	for i := range 40 {
		dev := w.devs[r.IntN(len(w.devs))]
		first := len(w.ops) + 1
		n, mixed := 1+r.IntN(60), true
		if i == 20 { // one index all through, no refusal: a run of 2,600
			n, mixed = 2600, false
		}
		acc, ref := w.push(r, dev, n, mixed)
		oldAppend(t, old, w, first, acc, ref)
	}
	var oldRows int
	if err := old.pool.QueryRow(ctx, `SELECT count(*) FROM ops`).Scan(&oldRows); err != nil || oldRows != len(w.ops) {
		t.Fatalf("the old layout holds %d rows (%v), want %d", oldRows, err, len(w.ops))
	}
	old.Close()

	st := open(t, url) // migrates
	defer st.Close()
	var rows, biggest int
	var opsLeft bool
	err := st.pool.QueryRow(ctx, `SELECT count(*), max(cardinality(ops)), to_regclass('ops') IS NOT NULL FROM log`).Scan(&rows, &biggest, &opsLeft)
	if err != nil {
		t.Fatal(err)
	}
	if opsLeft || biggest != maxRowOps || rows >= len(w.ops)/4 {
		t.Fatalf("converted into %d rows of at most %d operations (ops table left: %v), from %d operations", rows, biggest, opsLeft, len(w.ops))
	}
	w.check(t, st, r)

	// New change sets on the converted log: one row each, those of
	// copyMinOps operations or more written with COPY.
	for range 30 {
		dev := w.devs[r.IntN(len(w.devs))]
		first := len(w.ops) + 1
		acc, ref := w.push(r, dev, 1+r.IntN(2*copyMinOps), true)
		var before int
		if err := st.pool.QueryRow(ctx, `SELECT count(*) FROM log`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		newAppend(t, st, acc, ref, first)
		var after int
		if err := st.pool.QueryRow(ctx, `SELECT count(*) FROM log`).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if wantRows := rowsOf(acc); after-before != wantRows {
			t.Fatalf("a change set of %d operations (%d refused) made %d rows, want %d", len(acc), len(ref), after-before, wantRows)
		}
	}
	w.check(t, st, r)
}

// rowsOf is how many rows of the log a change set makes: one, and one
// more where its index changes or a refusal breaks its device's seqs.
func rowsOf(acc []worldOp) int {
	n := 0
	for i, o := range acc {
		if i == 0 || o.ix != acc[i-1].ix || o.op.Seq != acc[i-1].op.Seq+1 {
			n++
		}
	}
	return n
}
