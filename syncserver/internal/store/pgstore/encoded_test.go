package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// TestAcceptEncoded: operations accepted with their encoding made
// beforehand (every other one), in an Append of a few (one INSERT) and of
// many (COPY, copyMinOps), are logged, judged and read back, by another
// process, as Accept logs them.
func TestAcceptEncoded(t *testing.T) {
	ctx := context.Background()
	st, other := twoProcesses(t)
	dev := domain.NewID()
	var ops []*changeset.Op
	seq := uint64(0)
	for _, n := range []int{6, copyMinOps + 10} {
		var batch []*changeset.Op
		for range n {
			seq++
			batch = append(batch, &changeset.Op{Device: dev, Seq: seq, HLC: hlc.New(1764000000000+int64(seq), 0), Kind: "appeal",
				Record: domain.NewID(), Council: "NRN-ATB", Action: changeset.ActionCreate, Author: "test",
				Fields: map[string]changeset.Change{"summary": {Value: json.RawMessage(fmt.Sprintf(`"appeal %d"`, seq))}, "council": {Value: json.RawMessage(`"NRN-ATB"`)}}})
		}
		err := st.Append(ctx, func(w store.LogTx) error {
			for i, op := range batch {
				ix := store.Index{Council: op.Council}
				if i%2 == 0 {
					if _, err := w.Accept(op, ix); err != nil {
						return err
					}
					continue
				}
				enc, err := op.AppendBinary(nil)
				if err != nil {
					return err
				}
				if _, err := w.(store.EncodedAccepter).AcceptEncoded(op, enc, ix); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, batch...)
	}
	var got []*changeset.Op
	err := other.EachOp(ctx, 0, func(seq uint64, op *changeset.Op) error {
		if seq != uint64(len(got)+1) {
			t.Errorf("op %d at server seq %d", len(got)+1, seq)
		}
		got = append(got, op)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ops) {
		t.Fatalf("logged %d operations, want %d; first %+v, want %+v", len(got), len(ops), got[0], ops[0])
	}
	err = other.ReadLog(ctx, func(x store.LogReader) error {
		for _, op := range ops {
			j, err := x.Judgement(op.Device, op.Seq)
			if err != nil {
				return err
			}
			if j == nil || j.Record != op.Record || j.HLC != uint64(op.HLC) {
				t.Errorf("judgement of %s/%d: %+v", op.Device, op.Seq, j)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
