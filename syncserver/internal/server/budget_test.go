package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// A flood of requests past the bound on the bytes requests hold at once
// (request-memory): a request that finds no room within the wait is
// answered busy, 503 with Retry-After, and counted; what the budgets hold
// never passes their bounds; and a laptop answered busy gets its push in
// when it tries again after the flood.
func TestRequestsPastTheBoundAreAnsweredBusy(t *testing.T) {
	const bound = 1 << 20 // the bodies' budget is half of it
	h := newHarnessConfig(t, Config{RequestMemory: bound, RequestWait: 100 * time.Millisecond})
	h.council("NRN-ATB", "KG-N")
	sec := h.enroll(domain.RoleSecretary, "NRN-ATB")
	m := h.srv.MetricsHandler()
	metric := func(name string) float64 {
		t.Helper()
		v, ok := scrape(t, m, name)
		if !ok && !strings.HasPrefix(name, "kenesh_busy_total") { // a counter of no busy answer yet is not served
			t.Fatalf("%s is not served", name)
		}
		return v
	}
	// waitHeld waits for the bodies' budget to hold n bytes.
	waitHeld := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); metric(`kenesh_budget_bytes{budget="body",state="held"}`) != float64(n); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the bodies' budget holds %v bytes, not %d", metric(`kenesh_budget_bytes{budget="body",state="held"}`), n)
			}
		}
	}
	if size := metric(`kenesh_budget_bytes{budget="body",state="size"}`); size != bound/2 {
		t.Fatalf("the bodies' budget is %v bytes, want %d", size, bound/2)
	}
	// A body of 512 KiB declared and not sent holds the whole bodies'
	// budget while it is received, as a laptop on a slow link does; what
	// comes while it does finds no room.
	slow := h.stall(sec, bound/2)
	waitHeld(bound / 2)
	flood := make([]net.Conn, 6)
	for i := range flood {
		flood[i] = h.stall(sec, 300<<10)
	}
	for i, c := range flood {
		status, retry := answer(t, c)
		if status != http.StatusServiceUnavailable || retry < 1 {
			t.Errorf("request %d of the flood: %d, Retry-After %d s; want 503 with a Retry-After", i, status, retry)
		}
		if held := metric(`kenesh_budget_bytes{budget="body",state="held"}`); held > bound/2 {
			t.Errorf("the bodies' budget holds %v bytes, over its %d", held, bound/2)
		}
	}
	if busy := metric(`kenesh_busy_total{budget="body"}`); busy != float64(len(flood)) {
		t.Errorf("kenesh_busy_total{budget=\"body\"} %v, want %d", busy, len(flood))
	}
	// A laptop's push meets the same: busy, asked to wait, nothing taken.
	op := sec.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, appealFields("NRN-ATB"))
	_, err := sec.client().Sync(context.Background(), &syncproto.SyncRequest{Device: sec.id, Ops: []syncproto.WireOp{op}})
	var perr *syncproto.Error
	if !errors.As(err, &perr) || perr.Code != syncproto.CodeUnavailable || perr.RetryAfter <= 0 {
		t.Fatalf("a push during the flood: %v; want busy (unavailable) with a Retry-After", err)
	}
	// The slow body ends (its laptop gives up); the push tried again goes in.
	slow.Close()
	waitHeld(0)
	if resp := sec.push(op); resp.Acked != op.Seq {
		t.Fatalf("the push tried again: acknowledged %d, want %d", resp.Acked, op.Seq)
	}
}

// A request of more than one operation that would hold more of the
// server's memory than the bound lets all requests hold at once is
// refused whole, 413 too_large, before anything of it is taken, and says
// why; fewer at a time go in, and one operation that costs more than the
// bound alone is still taken (alone).
func TestRequestsCostlierThanTheBoundAreRefused(t *testing.T) {
	const bound = 1 << 20
	h := newHarnessConfig(t, Config{RequestMemory: bound})
	h.council("NRN-ATB", "KG-N")
	sec := h.enroll(domain.RoleSecretary, "NRN-ATB")
	// 64 operations of 40 fields: about 2.6 MB by requestCost, 16 of
	// them about 0.7 MB.
	var ops []syncproto.WireOp
	for range 64 {
		f := appealFields("NRN-ATB")
		for k := range 37 {
			f[fmt.Sprintf("note_%02d", k)] = "—"
		}
		ops = append(ops, sec.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, f))
	}
	_, err := sec.client().Sync(context.Background(), &syncproto.SyncRequest{Device: sec.id, Ops: ops})
	var perr *syncproto.Error
	if !errors.As(err, &perr) || perr.Code != syncproto.CodeTooLarge || !strings.Contains(perr.Message, "request-memory") ||
		!strings.Contains(perr.Message, "send fewer") {
		t.Fatalf("64 operations costing more than the bound: %v; want too_large, saying why and what to do", err)
	}
	// Nothing was taken: sixteen at a time, each push's are the ones
	// acknowledged, not all 64.
	for i := 0; i < len(ops); i += 16 {
		if resp := sec.push(ops[i : i+16]...); resp.Acked != ops[i+15].Seq {
			t.Fatalf("operations %d-%d after the refusal: acknowledged %d, want %d", i+1, i+16, resp.Acked, ops[i+15].Seq)
		}
	}
	// One operation of 1,024 fields of 600 bytes: about 1.8 MB by
	// requestCost, more than the bound, and it cannot be sent in parts.
	f := map[string]any{}
	for k := range 1024 {
		f[fmt.Sprintf("f%04d", k)] = strings.Repeat("ж", 300)
	}
	big := sec.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionUpdate, f)
	if resp := sec.push(big); resp.Acked != big.Seq {
		t.Fatalf("one operation costing more than the bound: acknowledged %d, want %d", resp.Acked, big.Seq)
	}
}

// stall sends a sync request's head as d, declaring a body of n bytes,
// and sends no body: the server holds n bytes of its bodies' budget while
// it waits for them, or answers that it has no room.
func (h *harness) stall(d *device, n int) net.Conn {
	h.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: kenesh\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		syncproto.PathSync, d.token, syncproto.ContentType, n)
	return c
}

// answer reads the status and Retry-After (seconds; 0 if none) of the
// answer on c.
func answer(t *testing.T, c net.Conn) (status, retry int) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	resp.Body.Close()
	retry, _ = strconv.Atoi(resp.Header.Get("Retry-After"))
	return resp.StatusCode, retry
}
