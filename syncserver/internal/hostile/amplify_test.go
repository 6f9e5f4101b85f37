package hostile

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

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
	sec := tg.enroll(syncproto.RoleSecretary, "NRN-ATB")
	head := `{"proto":1,"device":"` + sec.id + `","pull":true,"ops":[`
	room := syncproto.MaxRawBytes - len(head) - 64
	var fields strings.Builder
	for i := 0; fields.Len() < room-40; i++ {
		fmt.Fprintf(&fields, `"%x":{},`, i)
	}
	bombs := map[string]string{
		"empty operations": head + strings.Repeat(`{},`, room/3) + `{}]}`,
		"empty fields":     head + `{"dv":"` + sec.id + `","sq":1,"f":{` + strings.TrimSuffix(fields.String(), ",") + `}}]}`,
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
		// The 16 MiB payload (the frame is a few KiB), and 2,000 operations.
		if alloc > 24<<20 {
			t.Errorf("%s: the server allocated %d MiB for a %d MiB payload", name, alloc>>20, len(payload)>>20)
		}
	}
}
