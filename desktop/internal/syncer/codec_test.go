package syncer

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// The shipped dictionary must load and must pay for itself on the small
// change sets of a bad link, measured on demo data of another seed than the
// one it was trained on.
func TestShippedDictionaryHelpsSmallChangeSets(t *testing.T) {
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	if !codec.Has(1) {
		t.Fatal("dictionary 1 is not shipped in assets/zstd")
	}
	ctx := context.Background()
	key := make([]byte, 32)
	rand.Read(key)
	st, err := store.Open(ctx, "", key, store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	records.Init(ctx, st, "Ош ноутбугу")
	svc, err := records.Open(ctx, st, records.Options{Format: WireFormat{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, svc, demo.Options{Appeals: 60, Events: 10, Seed: 99}); err != nil {
		t.Fatal(err)
	}
	ops, _, _ := svc.PendingOps(ctx, 0, 1000, 1<<30)
	var with, without, raw int
	for _, op := range ops[21:] { // past the councils
		req := syncproto.SyncRequest{Proto: syncproto.Proto, Device: op.Device, Ops: []syncproto.WireOp{syncproto.ToWire(op)}, Pull: true}
		b, _ := json.Marshal(req)
		f1, _ := codec.Encode(b, 1)
		f0, _ := codec.Encode(b, 0)
		raw, with, without = raw+len(b), with+len(f1), without+len(f0)
	}
	t.Logf("one operation per change set: %d bytes raw, %d zstd, %d zstd+dictionary (%.1fx better)", raw, without, with, float64(without)/float64(with))
	if with*2 > without {
		t.Fatalf("the dictionary saves too little on single operations: %d vs %d bytes", with, without)
	}
}
