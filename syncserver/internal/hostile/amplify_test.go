package hostile

import (
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// allocated runs fn and returns the bytes this process allocated meanwhile
// (the server runs in it).
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Finding 2: a frame whose payload is millions of empty operations, or one
// operation with millions of empty fields, was parsed whole before any
// count was checked: 16 MiB of payload took the server to 1.85 GiB. Now
// the request is decoded as a stream and refused at the limit.
func TestAmplificationIsRefusedAtTheLimit(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	head := `{"proto":1,"device":"` + sec.id + `","pull":true,"ops":[`
	room := syncproto.MaxRawBytes - len(head) - 64
	if raceBuild {
		room /= 4
	}
	var fields strings.Builder
	for i := 0; fields.Len() < room-40; i++ {
		fmt.Fprintf(&fields, `"%x":{},`, i)
	}
	bombs := map[string]string{
		"empty operations": head + strings.Repeat(`{},`, room/3) + `{}]}`,
		"empty fields":     head + `{"dv":"` + sec.id + `","sq":1,"f":{` + strings.TrimSuffix(fields.String(), ",") + `}}]}`,
		"empty versions":   head + `{"dv":"` + sec.id + `","sq":1,"f":{"a":{"v":1,"s":[` + strings.Repeat(`{},`, room/3-10) + `{}]}}}]}`,
	}
	for name, payload := range bombs {
		frame, err := tg.codec.Encode([]byte(payload), 1)
		if err != nil {
			t.Fatal(err)
		}
		var r reply
		alloc := allocated(func() {
			if r, err = sec.post(frame); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%s: %d MiB payload, %d MiB allocated, %s", name, len(payload)>>20, alloc>>20, r)
		if r.status != http.StatusRequestEntityTooLarge || r.err.Code != syncproto.CodeTooLarge {
			t.Errorf("%s: %s, want too_large", name, r)
		}
		// The payload (the frame is a few KiB), and 2,000 operations.
		if alloc > uint64(len(payload))*3/2 {
			t.Errorf("%s: the server allocated %d MiB for a %d MiB payload", name, alloc>>20, len(payload)>>20)
		}
	}
}

// peakHeap samples the heap's objects while fn runs and returns the most
// it saw above what it held before.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// Finding 3: sixty small frames each inflating to 16 MiB, from three
// devices within their burst allowance, took the server to 1 GiB. With a
// server-wide budget for decoded bytes, they wait their turn (or are told
// the server is busy), and an honest laptop still syncs.
func TestConcurrentBombsStayWithinTheBudget(t *testing.T) {
	tg := start(t, server.Config{Rate: 2, Burst: 20})
	honest := tg.enroll(domain.RoleSecretary, "OSH-ARA")
	var attackers []*laptop
	for i := 0; i < 3; i++ {
		attackers = append(attackers, tg.enroll(domain.RoleSecretary, "NRN-ATB"))
	}
	frames := map[*laptop][]byte{}
	for _, a := range attackers {
		head := `{"proto":1,"device":"` + a.id + `","ops":[`
		f, err := tg.codec.Encode([]byte(head+strings.Repeat(`{},`, (syncproto.MaxRawBytes-len(head)-8)/3)+`{}]}`), 1)
		if err != nil {
			t.Fatal(err)
		}
		frames[a] = f
	}
	codes := map[string]int{}
	var mu sync.Mutex
	honestTries := 0
	peak := peakHeap(func() {
		var wg sync.WaitGroup
		for _, a := range attackers {
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := a.post(frames[a])
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						codes[err.Error()]++
						return
					}
					codes[fmt.Sprintf("%d %s", r.status, r.err.Code)]++
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
	t.Logf("60 bombs of 16 MiB: %v; heap peak %d MiB above the start; the honest laptop's push went in at try %d", codes, peak>>20, honestTries)
	for c := range codes {
		if !strings.HasPrefix(c, "413 ") && !strings.HasPrefix(c, "503 ") {
			t.Errorf("a bomb was answered %s", c)
		}
	}
	if peak > 256<<20 {
		t.Errorf("60 concurrent bombs took the heap %d MiB above the start", peak>>20)
	}
}

// pushLikeALaptop pushes as the laptop's syncer does: a 503 "busy" is
// tried again after a pause (the syncer backs off the same way), anything
// else but 200 fails the test. It returns the try that went in. Under a
// loaded machine the bombs can hold the decode budget when the honest push
// arrives; what must hold is that the honest laptop gets in, not that it
// gets in first.
func pushLikeALaptop(l *laptop, ops ...syncproto.WireOp) int {
	l.tg.t.Helper()
	const tries = 40
	for i := 1; ; i++ {
		r := l.push(ops...)
		switch {
		case r.status == http.StatusOK:
			return i
		case r.status == http.StatusServiceUnavailable && i < tries:
			time.Sleep(250 * time.Millisecond)
		default:
			l.tg.t.Errorf("%s push, try %d of %d: %s", l.role, i, tries, r)
			return i
		}
	}
}
