package ingest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// appendCounter counts the Appends made through it, and holds them while
// hold is set, as a laptop's long push holds the store's one writer.
type appendCounter struct {
	store.Store
	n    atomic.Int64
	hold chan struct{} // closed: let Appends through
}

func (c *appendCounter) Append(ctx context.Context, fn func(store.LogTx) error) error {
	c.n.Add(1)
	<-c.hold
	return c.Store.Append(ctx, fn)
}

// Submissions that arrive while the store is busy are committed together,
// each with its own answer: those of a full inbox and an unknown council
// refused, a code taken twice refused once, every other one in the log
// with a sequence number of its own and found by its code.
func TestSubmissionsCommittedTogether(t *testing.T) {
	ctx := context.Background()
	st, err := badgerstore.Open(ctx, t.TempDir(), badgerstore.Options{Small: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cs := &appendCounter{Store: st, hold: make(chan struct{})}
	close(cs.hold)
	g, err := Open(ctx, cs, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []domain.Council{{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"}, {Code: "OSH-ARA", Name: "Араван", Oblast: "KG-O"}} {
		if _, err := g.AddCouncil(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cs.hold = make(chan struct{}) // the store is busy
	cs.n.Store(0)
	const n = 60
	errs := make([]error, n)
	subs := make([]*domain.Submission, n)
	codes := make([]string, n)
	var wg sync.WaitGroup
	var returned atomic.Int64 // Submit calls that returned
	for i := range n {
		council, code := "OSH-ARA", fmt.Sprint("code-", i)
		switch {
		case i%3 == 0:
			council = "NRN-ATB" // 20 of them, room for 15
		case i == 1:
			council = "TLS-TLS"
		case i == 2:
			code = "code-5" // the same code as submission 5
		}
		subs[i], codes[i] = submission(council), code
		wg.Add(1)
		go func() {
			defer wg.Done()
			limit := 0
			if council == "NRN-ATB" {
				limit = 15
			}
			errs[i] = g.Submit(ctx, subs[i], sha256.Sum256([]byte(code)), limit)
			returned.Add(1)
		}()
	}
	for cs.n.Load() == 0 { // the first is waiting for the store
		runtime.Gosched()
	}
	// And every other one is queued behind it (or was refused before
	// queueing): releasing the store before the last goroutine has even
	// called Submit would let it make a batch of its own, which says
	// nothing of the grouping (CI saw 5 Appends on a busy machine).
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); runtime.Gosched() {
		g.subMu.Lock()
		queued := len(g.subQueue)
		g.subMu.Unlock()
		if queued+int(returned.Load()) == n-1 {
			break
		}
	}
	close(cs.hold)
	wg.Wait()
	var full, taken, accepted int
	seqs := map[uint64]bool{}
	for i, err := range errs {
		switch {
		case errors.Is(err, ErrInboxFull):
			full++
		case errors.Is(err, store.ErrCodeTaken):
			taken++
		case i == 1:
			if !errors.Is(err, ErrNoCouncil) {
				t.Errorf("an unknown council: %v", err)
			}
		case err != nil:
			t.Errorf("submission %d: %v", i, err)
		default:
			accepted++
			if tr := tracking(t, st, codes[i]); tr == nil || tr.Submission != subs[i].ID {
				t.Errorf("submission %d is not found by its code: %+v", i, tr)
			}
		}
	}
	if full != 5 || taken != 1 || accepted != n-7 {
		t.Errorf("%d refused for a full inbox (want 5), %d for a code taken (want 1), %d accepted (want %d)", full, taken, accepted, n-7)
	}
	page, err := st.Pull(ctx, store.Scope{All: true}, "", 0, store.PullLimits{MaxBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range page.Ops {
		if op.Kind == domain.KindSubmission {
			if seqs[op.Seq] {
				t.Errorf("sequence number %d given twice", op.Seq)
			}
			seqs[op.Seq] = true
		}
	}
	if len(seqs) != accepted {
		t.Errorf("%d submissions in the log, %d accepted", len(seqs), accepted)
	}
	// One Append waited for the store with the first submission; the
	// rest went in the next, and again without the one whose code was
	// taken.
	if a := cs.n.Load(); a > 4 {
		t.Errorf("%d Appends for %d submissions: not committed together", a, n)
	}
	t.Logf("%d submissions in %d Appends", n, cs.n.Load())
}
