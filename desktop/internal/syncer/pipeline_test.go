package syncer

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// turnServer answers like a server of protocol 2: one push of a device at
// a time, in arrival order, each taking a while to judge; a change set
// that does not continue what it holds is refused with CodeGap. fail, if
// set, may refuse a request instead (its code), counted from 1.
type turnServer struct {
	mu       sync.Mutex // the device's turn
	count    sync.Mutex
	inflight int
	most     int // requests at the server at once, at most
	n        int
	pushes   []*syncproto.SyncRequest // in the order judged
	fail     func(n int, req *syncproto.SyncRequest) syncproto.Code
	// second is closed when the second request arrives: the first waits
	// for it (at most a while), so that a laptop that sends its next
	// change set before the answer comes is seen to, however the machine
	// schedules the two.
	second chan struct{}
}

func (s *turnServer) answer(w http.ResponseWriter, req *syncproto.SyncRequest) *syncproto.SyncResponse {
	s.count.Lock()
	s.inflight++
	s.most = max(s.most, s.inflight)
	s.n++
	n := s.n
	if n == 2 {
		close(s.second)
	}
	s.count.Unlock()
	defer func() {
		s.count.Lock()
		s.inflight--
		s.count.Unlock()
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	if n == 1 {
		select {
		case <-s.second:
		case <-time.After(10 * time.Second): // a laptop that waits for each answer
		}
	}
	heldMu.Lock()
	held := heldSeq[req.Device]
	heldMu.Unlock()
	code := syncproto.Code("")
	switch {
	case s.fail != nil && s.fail(n, req) != "":
		code = s.fail(n, req)
	case len(req.Ops) > 0 && req.Ops[0].Seq > held+1:
		code = syncproto.CodeGap
	}
	if code != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code.Status())
		json.NewEncoder(w).Encode(syncproto.ErrorBody{Code: code, Message: "refused by the test", Acked: held})
		return nil
	}
	if k := len(req.Ops); k > 0 {
		s.pushes = append(s.pushes, req)
		held = max(held, req.Ops[k-1].Seq)
		heldMu.Lock()
		heldSeq[req.Device] = held
		heldMu.Unlock()
	}
	return &syncproto.SyncResponse{Acked: held, Cursor: req.Cursor, Time: time.Now().UnixMilli()}
}

// TestPipelinedPush: a backlog of several change sets goes with two
// requests at the server at once, push only, in order; every operation is
// acknowledged once, and only after the server holds it. When the server
// refuses one of them on the way (a gap, as when it reached another
// process first; busy, as a process restarting), the sync goes on from
// what was acknowledged and nothing is lost or marked sent unheld.
func TestPipelinedPush(t *testing.T) {
	for _, c := range []struct {
		name string
		fail func(n int, req *syncproto.SyncRequest) syncproto.Code
	}{
		{"all answered", nil},
		{"the second refused as a gap", func(n int, req *syncproto.SyncRequest) syncproto.Code {
			if n == 2 { // pipelined behind the first
				return syncproto.CodeGap
			}
			return ""
		}},
		{"one refused as busy", func(n int, req *syncproto.SyncRequest) syncproto.Code {
			if n == 3 {
				return syncproto.CodeUnavailable
			}
			return ""
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, l, st := backlogLaptop(t, 300)
			if st.Pending <= pushOps {
				t.Fatalf("a backlog of %d operations is one change set", st.Pending)
			}
			ts := &turnServer{fail: c.fail, second: make(chan struct{})}
			f.setAnswer(ts.answer)
			syncAllSent(t, l, st)
			if ts.most < 2 {
				t.Errorf("at most %d requests at the server at once: not pipelined", ts.most)
			}
			// What the server took came in order, each change set after
			// the last, and the laptop ends acknowledged at its last.
			var seq uint64
			pipelined := 0
			for _, r := range ts.pushes {
				if r.Ops[0].Seq > seq+1 {
					t.Fatalf("the server took %d after %d", r.Ops[0].Seq, seq)
				}
				seq = max(seq, r.Ops[len(r.Ops)-1].Seq)
				if !r.Pull {
					pipelined++
				}
			}
			// (Refused on the way, the pipeline may have had nothing
			// taken: the second can reach the server first, under load.)
			if (c.fail == nil && pipelined == 0) || seq != st.Seq {
				t.Errorf("%d change sets pipelined, the server holds up to %d of %d", pipelined, seq, st.Seq)
			}
		})
	}
}

// TestPipelinedPushGoesOnAfterAGap: a pipelined push stopped by a gap (the
// server read the next change set's request before the one sent ahead of
// it) gives way to one request of the loop, and the backlog after it goes
// pipelined again, not one request at a time for the rest of the sync.
func TestPipelinedPushGoesOnAfterAGap(t *testing.T) {
	f, l, st := backlogLaptop(t, 1500)
	ts := &turnServer{second: make(chan struct{}), fail: func(n int, req *syncproto.SyncRequest) syncproto.Code {
		if n == 2 { // pipelined behind the first
			return syncproto.CodeGap
		}
		return ""
	}}
	f.setAnswer(ts.answer)
	syncAllSent(t, l, st)
	// The loop's request (with its pull) after the gap, then change sets
	// pipelined (push only) again.
	loop, after := false, 0
	for _, r := range ts.pushes {
		switch {
		case r.Pull:
			loop = true
		case loop:
			after++
		}
	}
	if !loop || after == 0 {
		t.Errorf("%d change sets taken, %d of them pipelined after the loop's request (%v): not pipelined again after the gap", len(ts.pushes), after, loop)
	}
}

// syncAllSent syncs l once and checks that it sent the whole backlog st
// counted before: nothing is left pending and the summary says so.
func syncAllSent(t *testing.T, l *laptop, st records.SyncState) {
	t.Helper()
	sum, err := l.sync.SyncOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l.wantPending(t, 0)
	if sum.Sent != int(st.Pending) {
		t.Errorf("sent %d, pending were %d", sum.Sent, st.Pending)
	}
}

// backlogLaptop is a laptop on a fake server with a backlog of the demo's
// appeals (and five events) not yet sent, and its sync state.
func backlogLaptop(t *testing.T, appeals int) (*fakeServer, *laptop, records.SyncState) {
	t.Helper()
	f := newFakeServer(t)
	l := hostileLaptop(t, f)
	if _, err := demo.Generate(context.Background(), l.svc, demo.Options{Appeals: appeals, Events: 5, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	st, err := l.svc.SyncState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return f, l, st
}
