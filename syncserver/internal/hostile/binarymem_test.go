package hostile

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// maxCountBody is a protocol-2 binary push at the protocol's counts:
// nops operations of one record with fieldsPer fields each, every value
// empty and settling settlesPer values of distinct devices. Such a body is
// small (names and devices come from its string table) and decodes into
// maps of hundreds of thousands of entries.
func maxCountBody(t testing.TB, l *laptop, first uint64, nops, fieldsPer, settlesPer int) []byte {
	dev := l.id
	now := uint64(l.clock.Now())
	t.Helper()
	req := &syncproto.SyncRequest{Proto: 2, Device: dev}
	rec := domain.NewID()
	for i := 0; i < nops; i++ {
		w := syncproto.WireOp{Device: dev, Seq: first + uint64(i), HLC: now + uint64(i), Kind: domain.KindAppeal, Record: rec, Council: "NRN-ATB", Action: "update", Fields: map[string]syncproto.WireChange{}}
		if i == 0 { // created first: a change of a record the server does not hold is refused before it is merged
			w.Action, w.Fields["council"] = "create", syncproto.WireChange{V: []byte(`"NRN-ATB"`)}
		}
		for f := 0; f < fieldsPer; f++ {
			c := syncproto.WireChange{}
			for s := 0; s < settlesPer; s++ {
				c.S = append(c.S, syncproto.WireVersion{T: now - 1000, D: fmt.Sprintf("d%d", s)})
			}
			w.Fields[fmt.Sprintf("f%x", f)] = c
		}
		req.Ops = append(req.Ops, w)
	}
	raw, err := syncproto.AppendSyncRequest(nil, req)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Finding: a protocol-2 binary body declares its fields and settled
// values in a few bytes each, and the decode budget charged a request
// twice its payload: a 3 KiB frame of 262,144 empty fields (1.2 MiB of
// payload) was charged 2.5 MB and took the heap 127 MiB, and sixty of
// them from three devices within their burst took it 1.5 GiB above idle.
// Now a request is charged what its counts make (api.requestCost), so
// such bodies are taken a few at a time and the rest wait or are told the
// server is busy; one that costs more than the whole budget (262,144
// fields: 136 MB) is refused as too large before it is taken, since
// taking it would put its heap over the bound; an honest laptop still
// gets in.
func TestBinaryFlood(t *testing.T) {
	tg := start(t, server.Config{Rate: 2, Burst: 20})
	honest := tg.enroll(domain.RoleSecretary, "OSH-ARA")
	shapes := map[string][3]int{
		"max fields":  {256, 1024, 0},
		"max settles": {64, 64, 64},
	}
	perDevice := 10
	if raceBuild {
		perDevice = 4
	}
	frames := map[*laptop][][]byte{}
	for name, shape := range shapes {
		for range 2 {
			a := tg.enroll(domain.RoleSecretary, "NRN-ATB")
			for i := range perDevice {
				// Each frame the next operations of its device, so that
				// each is decoded and taken, not refused as a resend.
				f, err := tg.codec.Encode(maxCountBody(t, a, uint64(1+shape[0]*i), shape[0], shape[1], shape[2]), 1)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					t.Logf("%s: a frame of %d B", name, len(f))
				}
				frames[a] = append(frames[a], f)
			}
		}
	}
	codes := map[string]int{}
	var mu sync.Mutex
	honestTries := 0
	peak := peakHeap(func() {
		var wg sync.WaitGroup
		for a, fs := range frames {
			for _, f := range fs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := a.post(f)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err != nil:
						codes[err.Error()]++
					case r.err != nil:
						codes[fmt.Sprintf("%d %s", r.status, r.err.Code)]++
					default:
						codes[fmt.Sprint(r.status)]++
					}
				}()
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(20 * time.Millisecond)
			honestTries = pushLikeALaptop(honest, honest.op("appeal", domain.NewID(), changeset.ActionCreate, appeal("OSH-ARA")))
		}()
		wg.Wait()
	})
	t.Logf("%d binary bodies at the protocol's counts: %v; heap peak %d MiB above the start; the honest laptop's push went in at try %d", 4*perDevice, codes, peak>>20, honestTries)
	if n := codes["413 too_large"]; n != 2*perDevice {
		t.Errorf("%d bodies refused as too large; want the %d of 262,144 fields", n, 2*perDevice)
	}
	// A body of settled values holds about 45 MiB (the decode budget lets
	// one such in at a time), plus the others' payloads waiting; one of
	// 262,144 fields held 127 MiB when it was taken.
	if peak > 240<<20 {
		t.Errorf("%d binary bodies at the protocol's counts took the heap %d MiB above the start", 4*perDevice, peak>>20)
	}
}
