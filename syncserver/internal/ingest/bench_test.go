package ingest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
	"github.com/kenesh/kenesh/syncserver/internal/store/storetest"
)

// BenchmarkPush pushes change sets of 500 operations, as a laptop far
// behind does, into a store on disk. b.N is the number of operations.
func BenchmarkPush(b *testing.B) {
	ctx := context.Background()
	_, g := newIngester(b, badgerstore.Options{}, nil)
	dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
	// Operations are made a change set at a time, as they arrive, so that
	// the process's memory is the server's (VmHWM is reported).
	gen := storetest.NewDemoOps(dev.ID)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i += 500 {
		b.StopTimer()
		ops := gen.Next(min(500, b.N-i))
		b.StartTimer()
		res, err := g.Push(ctx, dev, ops)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Refused) > 0 {
			b.Fatal(res.Refused[0].Message)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	// CPU per operation (this process, Badger's goroutines included): what
	// a shared machine measures more steadily than wall time.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	if hwm, ok := peakRSS(); ok {
		b.ReportMetric(float64(hwm>>20), "peak-RSS-MB")
	}
}

// BenchmarkPushPipelined pushes change sets of MaxPushOps operations, as
// the 100,000-record push does, with "inflight" of them on their way at
// once, as a pipelined laptop sends them: each starts once the one before
// has arrived. (Started together, two could arrive in either order when a
// group of two freed their slots at once, and the later one, finding a
// gap with nothing of its device on its way before it, was refused.) b.N is the number of operations;
// changesets/group is what one group of appends (one commit, one pair of
// syncs) took on average.
func BenchmarkPushPipelined(b *testing.B) {
	for _, inflight := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("inflight=%d", inflight), func(b *testing.B) {
			ctx := context.Background()
			st, g := newIngester(b, badgerstore.Options{}, nil)
			dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
			gen := storetest.NewDemoOps(dev.ID)
			var sets [][]syncproto.WireOp
			for i := 0; i < b.N; i += syncproto.MaxPushOps {
				sets = append(sets, gen.Next(min(syncproto.MaxPushOps, b.N-i)))
			}
			slots := make(chan struct{}, inflight)
			errs := make(chan error, len(sets))
			groups0, cpu0 := st.AppendGroups(), cpuTime()
			b.ResetTimer()
			arrivals0 := g.pushing.arrivals.Load()
			for i, ops := range sets {
				slots <- struct{}{}
				finished := make(chan struct{})
				go func() {
					defer func() { <-slots }()
					defer close(finished)
					res, err := g.Push(ctx, dev, ops)
					if err == nil && res.Acked != ops[len(ops)-1].Seq {
						err = fmt.Errorf("acked %d, want %d", res.Acked, ops[len(ops)-1].Seq)
					}
					errs <- err
				}()
			arrived:
				for g.pushing.arrivals.Load()-arrivals0 <= int64(i) {
					select {
					case <-finished: // (refused before it arrived)
						break arrived
					default:
						runtime.Gosched()
					}
				}
			}
			for range sets {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(len(sets))/float64(st.AppendGroups()-groups0), "changesets/group")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// BenchmarkPushBody is BenchmarkPush from the request body on, as the
// server takes a laptop's change set of 500 operations: the binary body
// (protocol 2) decoded, judged and written. "ops" decodes it straight into
// changeset.Op (DecodeSyncRequestOps, PushOps), as the server does;
// "wire" through WireOp (DecodeSyncRequest, Push), as it did before.
// b.N is the number of operations; cpu-µs/op includes Badger's goroutines.
func BenchmarkPushBody(b *testing.B) {
	for _, path := range []string{"ops", "wire"} {
		b.Run(path, func(b *testing.B) {
			ctx := context.Background()
			_, g := newIngester(b, badgerstore.Options{}, nil)
			dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
			gen := storetest.NewDemoOps(dev.ID)
			var cpu time.Duration // of the pushes, not of making their bodies
			b.ResetTimer()
			for i := 0; i < b.N; i += 500 {
				b.StopTimer()
				body, err := syncproto.AppendSyncRequest(nil, &syncproto.SyncRequest{Proto: 2, Device: dev.ID, Ops: gen.Next(min(500, b.N-i))})
				if err != nil {
					b.Fatal(err)
				}
				cpu0 := cpuTime()
				b.StartTimer()
				res, err := pushBody(ctx, g, dev, body, path == "ops")
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Refused) > 0 {
					b.Fatal(res.Refused[0].Message)
				}
				cpu += cpuTime() - cpu0
			}
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// pushBody decodes body and pushes its operations, as changeset.Op or
// (ops false) as WireOp.
func pushBody(ctx context.Context, g *Ingester, dev *store.Device, body []byte, ops bool) (*Result, error) {
	if ops {
		_, ops, err := syncproto.DecodeSyncRequestOps(body)
		if err != nil {
			return nil, err
		}
		return g.PushOps(ctx, dev, ops)
	}
	req, err := syncproto.DecodeSyncRequest(body)
	if err != nil {
		return nil, err
	}
	return g.Push(ctx, dev, req.Ops)
}

// peakRSS is the process's VmHWM in bytes (Linux only).
func peakRSS() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb uint64
			if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb); err == nil {
				return kb << 10, true
			}
		}
	}
	return 0, false
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPrejudge is the checks of a change set of MaxPushOps demo
// operations before its device's turn (prejudge). b.N is the number of
// operations. "renamed": the device is enrolled under another name than
// its operations carry (each is copied under it); "honest": under theirs,
// as a laptop writes them.
func BenchmarkPrejudge(b *testing.B) {
	for _, name := range []string{"renamed", "honest"} {
		b.Run(name, func(b *testing.B) {
			_, g := newIngester(b, badgerstore.Options{}, nil)
			dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB", Name: "secretary"}
			wire := storetest.NewDemoOps(dev.ID).Next(syncproto.MaxPushOps)
			if name == "honest" {
				dev.Name = wire[0].Author
			}
			ops := make([]changeset.Op, len(wire))
			for i := range wire {
				ops[i] = syncproto.OpFromWire(&wire[i])
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += len(ops) {
				pre := g.prejudge(dev, ops, false)
				if pre[0].ref != nil {
					b.Fatal(pre[0].ref.Message)
				}
			}
		})
	}
}
