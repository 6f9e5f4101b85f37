// Command dictsamples writes sample sync messages, made from demo data, for
// training the zstd dictionary that small change sets are compressed with:
//
//	go run ./desktop/internal/cmd/dictsamples -out /tmp/samples
//	zstd --train -r /tmp/samples --maxdict=65536 --dictID=1 -o assets/zstd/sync-1.dict
//
// (make dict runs both.) The samples are what travels: SyncRequest and
// SyncResponse JSON holding 1 to 50 operations, as a day's work makes them.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	mrand "math/rand/v2"
	"os"
	"path/filepath"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/syncproto"
)

func main() {
	out := flag.String("out", "", "directory to write samples into (required)")
	appeals := flag.Int("appeals", 3000, "demo appeals to make samples from")
	events := flag.Int("events", 400, "demo events")
	seed := flag.Uint64("seed", 20261125, "demo seed (benchmarks use another)")
	flag.Parse()
	if *out == "" {
		log.Fatal("dictsamples: -out DIR is required")
	}
	if err := run(context.Background(), *out, *appeals, *events, *seed); err != nil {
		log.Fatal("dictsamples: ", err)
	}
}

func run(ctx context.Context, out string, appeals, events int, seed uint64) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	key := make([]byte, 32)
	rand.Read(key)
	st, err := store.Open(ctx, "", key, store.Options{InMemory: true})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := records.Init(ctx, st, "Нарын ноутбугу"); err != nil {
		return err
	}
	svc, err := records.Open(ctx, st, records.Options{})
	if err != nil {
		return err
	}
	if _, err := demo.Generate(ctx, svc, demo.Options{Appeals: appeals, Events: events, Seed: seed}); err != nil {
		return err
	}
	ops, _, err := svc.PendingOps(ctx, 0, 1<<30, 1<<30)
	if err != nil {
		return err
	}
	r := mrand.New(mrand.NewPCG(seed, 1))
	n := 0
	for i := 0; i < len(ops); {
		size := 1 + r.IntN(50)
		if r.IntN(3) == 0 {
			size = 1 // single saves are the most common sync of all
		}
		batch := ops[i:min(i+size, len(ops))]
		i += size
		var msg any
		wire := make([]syncproto.WireOp, 0, len(batch))
		for _, op := range batch {
			wire = append(wire, syncproto.ToWire(op))
		}
		if r.IntN(2) == 0 {
			msg = syncproto.SyncRequest{Proto: syncproto.Proto, Device: batch[0].Device, Ops: wire, Cursor: uint64(r.IntN(100000)), Pull: true, MaxPull: 256 << 10}
		} else {
			msg = syncproto.SyncResponse{Proto: syncproto.Proto, Acked: uint64(r.IntN(5000)), Ops: wire, Cursor: uint64(r.IntN(100000)), Time: 1764000000000 + int64(r.IntN(1e9))}
		}
		b, err := json.Marshal(msg)
		if err != nil {
			return err
		}
		n++
		if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("s%05d.json", n)), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "dictsamples: %d samples from %d operations in %s\n", n, len(ops), out)
	return nil
}
