package badgerstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
)

// A group's states are each encoded once, into the free room of a buffer
// or an array of their own, whatever the mix of sizes: what Badger is given
// is each state's encoding, and large states do not keep copies of the
// states before them alive until the commit (attackmem's large attack).
func TestPutStateEncodings(t *testing.T) {
	st, err := Open(context.Background(), t.TempDir(), Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	state := func(i, fields, valueLen int) *changeset.State {
		s := &changeset.State{Kind: "appeal", ID: fmt.Sprintf("rec-%04d", i), Council: "NRN-ATB", Created: 1, Updated: 2,
			Author: "bench", Device: "dev-1", Fields: map[string]changeset.FieldValue{}}
		for f := range fields {
			v, _ := json.Marshal(strings.Repeat(string(rune('a'+(i+f)%26)), valueLen))
			s.Fields[fmt.Sprintf("note_%03d", f)] = changeset.FieldValue{Value: v, HLC: 3, Device: "dev-1", Seq: uint64(i + 1)}
		}
		return s
	}
	put := func(states []*changeset.State, check bool) (size int, retained uint64) {
		x := &txn{t: st.db.NewTransaction(true)}
		defer x.t.Discard()
		buf := make([]byte, 0, statesBuffer)
		w := &logTx{txn: x, states: buf}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for _, s := range states {
			if err := w.PutState(s); err != nil {
				t.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		for _, s := range states {
			want, err := s.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			size += len(want)
			if !check {
				continue
			}
			got, ok, err := x.get(stateKey(s.Kind, s.ID))
			if err != nil || !ok || !bytes.Equal(got, want) {
				t.Fatalf("state %s: %d bytes stored (%v, %v), want %d", s.ID, len(got), ok, err, len(want))
			}
		}
		runtime.KeepAlive(w)
		return size, after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
	}
	// Small, 8 KiB and 1 MB states, mixed: every buffer boundary.
	var mixed []*changeset.State
	for i := range 300 {
		switch {
		case i%50 == 7:
			mixed = append(mixed, state(i, 4, 250_000))
		case i%3 == 0:
			mixed = append(mixed, state(i, 128, 50))
		default:
			mixed = append(mixed, state(i, 3, 20))
		}
	}
	put(mixed, true)
	large := make([]*changeset.State, 12)
	for i := range large {
		large[i] = state(i, 4, 250_000)
	}
	size, retained := put(large, false)
	t.Logf("%d bytes of states, %d held until the commit", size, retained)
	if retained > uint64(size)*2 {
		t.Errorf("%d MB of states held %d MB until the commit", size>>20, retained>>20)
	}
}
