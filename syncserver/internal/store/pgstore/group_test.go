package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

var errFail = errors.New("the function fails")

func testOp(dev string, seq uint64, record string) *changeset.Op {
	return &changeset.Op{Device: dev, Seq: seq, HLC: hlc.Timestamp(117677491360104448 + 1<<16*seq), Kind: "appeal", Record: record, Council: "NRN-ATB",
		Action: changeset.ActionCreate, Author: "a", Fields: map[string]changeset.Change{"summary": {Value: json.RawMessage(`"x"`)}}}
}

// Appends waiting together run in one transaction, and one that fails (or
// panics) there leaves nothing of itself to the next function, which
// sees what the function before it wrote, and nothing to the commit.
func TestGroupUndoesAFailedFunction(t *testing.T) {
	ctx := context.Background()
	st := open(t, pgtest.URL(t))
	defer st.Close()
	a, b := domain.NewID(), domain.NewID()
	ra, rb := domain.NewID(), domain.NewID()
	hold, held := make(chan struct{}), make(chan struct{})
	groups0 := st.groups.Load()
	var wg sync.WaitGroup
	results := make([]error, 4)
	wg.Add(1)
	go func() { // the leader of the first group, held until the others wait
		defer wg.Done()
		results[0] = st.Append(ctx, func(w store.LogTx) error {
			close(held)
			<-hold
			_, err := w.Accept(testOp(a, 1, ra), store.Index{Council: "NRN-ATB"})
			return err
		})
	}()
	<-held
	wait := func(n int) {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			st.amu.Lock()
			k := len(st.pending)
			st.amu.Unlock()
			if k >= n {
				return
			}
		}
		t.Fatalf("appends did not queue")
	}
	fns := []func(w store.LogTx) error{
		func(w store.LogTx) error { // writes everything, then fails
			if _, err := w.Accept(testOp(b, 1, rb), store.Index{Council: "NRN-ATB"}); err != nil {
				return err
			}
			var s changeset.State
			s.Apply(testOp(b, 1, rb))
			if err := w.PutState(&s); err != nil {
				return err
			}
			if err := w.PutPublicAppeal(&store.PublicAppeal{ID: rb}); err != nil {
				return err
			}
			if err := w.BindCode(sha256.Sum256([]byte("code")), rb); err != nil {
				return err
			}
			if err := w.PutTracking(&store.Tracking{Submission: rb, Council: "NRN-ATB", Status: domain.SubmissionWaiting}); err != nil {
				return err
			}
			if err := w.SetClock(99); err != nil {
				return err
			}
			return errFail
		},
		func(w store.LogTx) error { // panics after a write
			w.SetPublicRule(7)
			panic("boom")
		},
		func(w store.LogTx) error { // sees the first group's, and nothing of the failed ones
			if n, _ := w.Acked(a); n != 1 {
				return fmt.Errorf("acked %d of the committed function's device", n)
			}
			if n, _ := w.Acked(b); n != 0 {
				return fmt.Errorf("acked %d of the failed function's device", n)
			}
			if s, _ := w.State("appeal", rb); s != nil {
				return errors.New("the failed function's state is seen")
			}
			if p, _ := w.PublicAppeal(rb); p != nil {
				return errors.New("the failed function's public appeal is seen")
			}
			if tr, _ := w.TrackingOf(rb); tr != nil {
				return errors.New("the failed function's tracking is seen")
			}
			if n, _ := w.Waiting("NRN-ATB"); n != 0 {
				return fmt.Errorf("%d waiting after the failed function", n)
			}
			if c, _ := w.Clock(); c != 0 {
				return fmt.Errorf("clock %d after the failed function", c)
			}
			if r, _ := w.PublicRule(); r != 0 {
				return fmt.Errorf("rule %d after the panicking function", r)
			}
			if err := w.BindCode(sha256.Sum256([]byte("code")), ra); err != nil {
				return fmt.Errorf("the failed function's code is bound: %w", err)
			}
			seq, err := w.Accept(testOp(b, 1, ra), store.Index{Council: "NRN-ATB"})
			if err == nil && seq != 2 {
				err = fmt.Errorf("numbered %d after the failed function, want 2", seq)
			}
			return err
		},
	}
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i+1] = st.Append(ctx, fn)
		}()
		wait(i + 1)
	}
	close(hold)
	wg.Wait()
	if results[0] != nil || !errors.Is(results[1], errFail) || results[2] == nil || !strings.Contains(results[2].Error(), "panicked: boom") || results[3] != nil {
		t.Fatalf("results: %v", results)
	}
	if n := st.groups.Load() - groups0; n != 2 {
		t.Fatalf("%d transactions for the four appends, want 2 (the held one, and the three that waited for it)", n)
	}
	var seqs []uint64
	st.EachOp(ctx, 0, func(seq uint64, op *changeset.Op) error { seqs = append(seqs, seq); return nil })
	if !slices.Equal(seqs, []uint64{1, 2}) || head(t, st) != 2 {
		t.Fatalf("the log after the group: %v", seqs)
	}
	if _, err := st.State(ctx, "appeal", rb); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the failed function's state was committed: %v", err)
	}
}

// A panic of the group's own commit (here a bug simulated in what flush
// reads) fails the group's appends with its error rather than leaving
// them, and every Append after them, waiting for a leader that is gone;
// nothing of the group is committed.
func TestGroupPanicPassesTheLead(t *testing.T) {
	ctx := context.Background()
	st := open(t, pgtest.URL(t))
	defer st.Close()
	hold, held := make(chan struct{}), make(chan struct{})
	leader := make(chan error, 1)
	go func() { // the leader of the first group, held until the others wait
		leader <- st.Append(ctx, func(w store.LogTx) error {
			close(held)
			<-hold
			return nil
		})
	}()
	<-held
	results := make(chan error, 2)
	for i, fn := range []func(w store.LogTx) error{
		func(w store.LogTx) error { return w.SetClock(5) },
		func(w store.LogTx) error { // a log row without its columns
			lt := w.(*logTx)
			lt.ops.seq = append(lt.ops.seq, 1)
			return nil
		},
	} {
		go func() { results <- st.Append(ctx, fn) }()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			st.amu.Lock()
			k := len(st.pending)
			st.amu.Unlock()
			if k >= i+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("appends did not queue")
			}
		}
	}
	close(hold)
	if err := <-leader; err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-results; err == nil || !strings.Contains(err.Error(), "group of appends panicked") {
			t.Fatalf("an append of the group that panicked: %v", err)
		}
	}
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var c hlc.Timestamp
	if err := st.Append(ctx2, func(w store.LogTx) (err error) { c, err = w.Clock(); return err }); err != nil || c != 0 {
		t.Fatalf("the next Append: clock %d, %v", c, err)
	}
	if n := head(t, st); n != 0 {
		t.Fatalf("head %d after the group that panicked", n)
	}
}

func head(t *testing.T, st *Store) uint64 {
	t.Helper()
	n, err := st.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Many appends at once share transactions, and each is still its own: the
// numbers run without a gap, each device's operations in its order.
func TestGroupsUnderLoad(t *testing.T) {
	ctx := context.Background()
	st := open(t, pgtest.URL(t))
	defer st.Close()
	const writers, each = 40, 5
	groups0 := st.groups.Load()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dev := domain.NewID()
			for i := uint64(1); i <= each; i++ {
				err := st.Append(ctx, func(w store.LogTx) error {
					time.Sleep(time.Millisecond) // judging takes time
					_, err := w.Accept(testOp(dev, i, domain.NewID()), store.Index{Council: "NRN-ATB"})
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n := st.groups.Load() - groups0
	if n >= writers*each {
		t.Fatalf("%d transactions for %d appends at once: none shared", n, writers*each)
	}
	t.Logf("%d appends in %d transactions", writers*each, n)
	last := map[string]uint64{}
	want := uint64(1)
	err := st.EachOp(ctx, 0, func(seq uint64, op *changeset.Op) error {
		if seq != want || op.Seq != last[op.Device]+1 {
			return fmt.Errorf("entry %d (%s) after %d, the device's last %d", seq, op.ID(), want-1, last[op.Device])
		}
		want, last[op.Device] = want+1, op.Seq
		return nil
	})
	if err != nil || want != writers*each+1 {
		t.Fatalf("the log: %v, %d entries", err, want-1)
	}
}

// A group's transaction begins in the batch that takes the log and
// commits in the batch that writes it (groupTx): no round trip of their
// own, and what the batch wrote is committed.
func TestGroupCommitsInItsBatch(t *testing.T) {
	ctx := context.Background()
	st, other := twoProcesses(t)
	dev := domain.NewID()
	for seq := uint64(1); seq <= 3; seq++ {
		err := st.Append(ctx, func(w store.LogTx) error {
			op := testOp(dev, seq, domain.NewID())
			if _, err := w.Accept(op, store.Index{Council: "NRN-ATB"}); err != nil {
				return err
			}
			var s changeset.State
			s.Apply(op)
			return w.PutState(&s)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := st.soloCommits.Load(); n != 0 {
		t.Fatalf("%d groups committed in a round trip of their own, want 0", n)
	}
	if h := head(t, other); h != 3 {
		t.Fatalf("head %d seen by another store, want 3", h)
	}
}

// A statement of the group's last batch that fails (here a state's
// insert, its row written meanwhile behind the log's back) skips the
// batch's COMMIT: the group is rolled back whole, what it sent before the
// batch too (its operations, enough to go by COPY in a round trip of
// their own), its appends told the error, and the store's next group
// begins afresh.
func TestGroupFailingInItsLastBatchLeavesNothing(t *testing.T) {
	ctx := context.Background()
	st := open(t, pgtest.URL(t))
	defer st.Close()
	dev, rec := domain.NewID(), domain.NewID()
	err := st.Append(ctx, func(w store.LogTx) error {
		op := testOp(dev, 1, rec)
		if s, err := w.State("appeal", rec); err != nil || s != nil {
			return fmt.Errorf("state before: %v, %v", s, err)
		}
		// Read as absent under the lock: the group inserts it without ON
		// CONFLICT, and this row makes that insert fail.
		if _, err := st.pool.Exec(ctx, `INSERT INTO states (kind, id, state) VALUES ('appeal', $1, '\x00')`, rec); err != nil {
			return err
		}
		for seq := uint64(1); seq <= copyMinOps; seq++ {
			if seq > 1 {
				op = testOp(dev, seq, domain.NewID())
			}
			if _, err := w.Accept(op, store.Index{Council: "NRN-ATB"}); err != nil {
				return err
			}
		}
		var s changeset.State
		s.Apply(testOp(dev, 1, rec))
		return w.PutState(&s)
	})
	if err == nil || !strings.Contains(err.Error(), "write the log") {
		t.Fatalf("the group whose last batch failed: %v", err)
	}
	if h := head(t, st); h != 0 {
		t.Fatalf("head %d after the failed group, want 0", h)
	}
	var n int
	if err := st.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM log) + (SELECT count(*) FROM acked)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows of the log and acknowledgements after the failed group (%v)", n, err)
	}
	err = st.Append(ctx, func(w store.LogTx) error {
		if n, _ := w.Acked(dev); n != 0 {
			return fmt.Errorf("acked %d after the failed group", n)
		}
		_, err := w.Accept(testOp(dev, 1, domain.NewID()), store.Index{Council: "NRN-ATB"})
		return err
	})
	if err != nil || head(t, st) != 1 {
		t.Fatalf("the next group: %v, head %d", err, head(t, st))
	}
}
