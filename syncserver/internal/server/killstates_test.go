package server

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// rewriteUntilError is pushUntilError with laptops that rewrite their
// records: each push creates a few appeals and updates some made before,
// so the server keeps their states in memory and writes them to Badger in
// windows (badgerstore's dirty.go), not with each operation.
func (k *killDevice) rewriteUntilError(r *rand.Rand, ids *[]string) {
	for {
		for n := 1 + r.IntN(5); n > 0; n-- {
			id := domain.NewID()
			*ids = append(*ids, id)
			k.ops = append(k.ops, k.op(domain.KindAppeal, id, k.cncl, changeset.ActionCreate, appealFields(k.cncl)))
		}
		for n := r.IntN(25); n > 0; n-- {
			id := (*ids)[r.IntN(len(*ids))]
			fields := map[string]any{"summary": fmt.Sprintf("Өзгөртүлдү %d", r.IntN(1000))}
			if r.IntN(3) == 0 {
				fields["status"] = []string{"received", "in_review", "answered"}[r.IntN(3)]
			}
			k.ops = append(k.ops, k.op(domain.KindAppeal, id, k.cncl, changeset.ActionUpdate, fields))
		}
		status, resp, eb, err := k.trySync(k.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: k.id, Ops: k.ops[k.acked:]}))
		if err != nil {
			return
		}
		if status != http.StatusOK {
			k.h.t.Errorf("push: %d %+v", status, eb)
			return
		}
		if len(resp.Refused) > 0 {
			k.h.t.Errorf("push refused %+v", resp.Refused[0])
			return
		}
		k.acked = resp.Acked
	}
}

// A server killed (SIGKILL) while laptops rewrite their records holds,
// once started again, every operation it acknowledged, and every record's
// state is the merge of all its operations in the log: the states not yet
// written when it died are merged again from the log at the start.
func TestServerKilledDuringRewritesKeepsTheStates(t *testing.T) {
	if testing.Short() {
		t.Skip("kills server processes")
	}
	councils := []string{"NRN-ATB", "OSH-NOO"}
	dir, c, h, cl := startKillable(t, councils, []string{"KG-N", "KG-O"})
	var devs []*killDevice
	for i := range 3 {
		devs = append(devs, &killDevice{device: h.enroll(domain.RoleSecretary, councils[i%len(councils)])})
	}
	cl.Close()
	ids := make([][]string, len(devs))

	r := rand.New(rand.NewPCG(20261206, 15))
	const rounds = 5
	for round := range rounds {
		var wg sync.WaitGroup
		for i, d := range devs {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				d.rewriteUntilError(rand.New(rand.NewPCG(seed, uint64(round))), &ids[i])
			}(uint64(i))
		}
		time.Sleep(time.Duration(100+r.IntN(400)) * time.Millisecond)
		c.kill() // a power cut
		wg.Wait()
		if round == rounds-1 {
			break // the store is read below as the next start finds it
		}
		c = startChild(t, dir)
		h.url = c.url
		for _, d := range devs {
			_, resp, eb, err := d.trySync(d.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: d.id}))
			if err != nil || resp == nil {
				t.Fatalf("round %d: after restart: %v %+v", round, err, eb)
			}
			if resp.Acked < d.acked {
				t.Fatalf("round %d: device %s was acknowledged up to %d, the server holds %d", round, d.id, d.acked, resp.Acked)
			}
			d.acked = resp.Acked
		}
	}

	ctx := context.Background()
	st, _, err := OpenStore(ctx, dir, serverkey.Location{}, badgerstore.Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := map[string]*changeset.State{}
	ops := map[string]int{}
	acked := map[string]uint64{}
	err = st.EachOp(ctx, 0, func(_ uint64, op *changeset.Op) error {
		key := op.Kind + "/" + op.Record
		if want[key] == nil {
			want[key] = &changeset.State{}
		}
		ops[key]++
		acked[op.Device] = max(acked[op.Device], op.Seq)
		return want[key].Merge(op)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if acked[d.id] < d.acked {
			t.Fatalf("device %s was acknowledged up to %d, the log holds %d", d.id, d.acked, acked[d.id])
		}
	}
	got, rewritten := 0, 0
	err = st.EachState(ctx, "", func(s *changeset.State) error {
		key := s.Kind + "/" + s.ID
		w := want[key]
		if w == nil {
			return fmt.Errorf("state %s: no operation of it in the log", key)
		}
		a, err := s.AppendBinary(nil)
		if err != nil {
			return err
		}
		b, err := w.AppendBinary(nil)
		if err != nil {
			return err
		}
		if !bytes.Equal(a, b) {
			return fmt.Errorf("state %s (%d operations) is not the merge of its operations:\n%+v\nwant\n%+v", key, ops[key], s, w)
		}
		got++
		if ops[key] > 1 {
			rewritten++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != len(want) {
		t.Fatalf("%d states, %d records in the log", got, len(want))
	}
	if rewritten < 20 {
		t.Fatalf("only %d records rewritten: the test does not test the windows", rewritten)
	}
	t.Logf("%d rounds, %d records, %d rewritten, each state the merge of its operations after SIGKILL", rounds, got, rewritten)
}
