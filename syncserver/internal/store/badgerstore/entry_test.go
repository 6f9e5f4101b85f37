package badgerstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// A log entry prepared before the Append (PrepareEntry) is the entry of
// the function that handed it over only when that function accepted its
// encodings, those very slices, in order, and nothing else; otherwise
// finish makes the entry of what was accepted. Each function of a group
// keeps its own entry.
func TestPreparedEntry(t *testing.T) {
	ctx := context.Background()
	st := openGroupStore(t)
	opsOf := func(dev string, n int) ([]*changeset.Op, [][]byte) {
		var ops []*changeset.Op
		var encs [][]byte
		for i := range n {
			op := groupOp(dev, uint64(i+1), fmt.Sprintf("%s-rec-%d", dev, i), fmt.Sprintf("summary %d", i))
			enc, err := op.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			ops, encs = append(ops, op), append(encs, enc)
		}
		return ops, encs
	}
	// The entry handed over is marked: that of the encodings in reverse
	// order, which finish never makes, so the log shows whether it was used.
	marked := func(encs [][]byte) *preparedEntry {
		back := slices.Clone(encs)
		slices.Reverse(back)
		return &preparedEntry{encs: encs, entry: packBatch(appendBatch(nil, back))}
	}
	made := func(encs [][]byte) []byte { return packBatch(appendBatch(nil, encs)) }

	// PrepareEntry makes what finish makes.
	ops, encs := opsOf("dev-same", 40)
	err := st.Append(ctx, func(w store.LogTx) error {
		for i, op := range ops {
			if _, err := w.(store.EncodedAccepter).AcceptEncoded(op, encs[i], store.Index{Global: true}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.PrepareEntry(encs).(*preparedEntry).entry; !bytes.Equal(got, logEntry(t, st, 40)) || bytes.Equal(got, appendBatch(nil, encs)) {
		t.Fatalf("PrepareEntry made %d bytes, finish %d (packed: %v)", len(got), len(logEntry(t, st, 40)), !bytes.Equal(got, appendBatch(nil, encs)))
	}

	opsA, encsA := opsOf("dev-a", 3) // all accepted: the prepared entry
	opsB, encsB := opsOf("dev-b", 3) // the last refused: finish's
	opsC, encsC := opsOf("dev-c", 3) // copies of the encodings accepted: finish's
	opsD, encsD := opsOf("dev-d", 3) // accepted by Accept: finish's
	accept := func(ops []*changeset.Op, encs [][]byte, prep *preparedEntry, refuseLast, encoded bool) func(store.LogTx) error {
		return func(w store.LogTx) error {
			w.(store.EntryUser).UseEntry(prep)
			for i, op := range ops {
				var err error
				switch {
				case refuseLast && i == len(ops)-1:
					err = w.Refuse(store.Refusal{Device: op.Device, Seq: op.Seq, Code: "invalid", Message: "no", Op: []byte("{}"), HLC: uint64(op.HLC), Kind: op.Kind, Record: op.Record})
				case encoded:
					_, err = w.(store.EncodedAccepter).AcceptEncoded(op, encs[i], store.Index{Global: true})
				default:
					_, err = w.Accept(op, store.Index{Global: true})
				}
				if err != nil {
					return err
				}
			}
			return nil
		}
	}
	for _, err := range appendTogether(t, st, nil,
		accept(opsA, encsA, marked(encsA), false, true),
		accept(opsB, encsB, marked(encsB), true, true),
		accept(opsC, encsC, marked(copies(encsC)), false, true),
		accept(opsD, encsD, marked(encsD), false, false),
	) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		head uint64
		want []byte
	}{
		{"all accepted", 43, marked(encsA).entry},
		{"the last refused", 45, made(encsB[:2])},
		{"copies accepted", 48, made(encsC)},
		{"accepted unencoded", 51, made(encsD)},
	} {
		if got := logEntry(t, st, c.head); !bytes.Equal(got, c.want) {
			t.Errorf("%s: the log entry at %d is not the one expected (%d bytes, want %d)", c.name, c.head, len(got), len(c.want))
		}
	}
}

// copies are encs, each in a slice of its own.
func copies(encs [][]byte) [][]byte {
	out := make([][]byte, len(encs))
	for i, e := range encs {
		out[i] = bytes.Clone(e)
	}
	return out
}

// logEntry is the log entry whose last operation is head.
func logEntry(t *testing.T, st *Store, head uint64) []byte {
	t.Helper()
	var v []byte
	err := st.view(context.Background(), func(x *txn) (err error) {
		v, _, err = x.get(logBatchKey(head))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
