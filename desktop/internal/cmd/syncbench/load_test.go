package main

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSlowestCountsTheFirstRoundsTail(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		slices.Sort(out)
		return out
	}
	// 100 syncs: the first round's 10 (900-990 ms and one fast), the rest
	// 1-90 ms; the p99 is the 99th, 980 ms: 980 and 990, both the first
	// round's.
	first := ms(5, 910, 920, 930, 940, 950, 960, 970, 980, 990)
	var all []int
	for i := 1; i <= 90; i++ {
		all = append(all, i)
	}
	lat := ms(append(all, 5, 910, 920, 930, 940, 950, 960, 970, 980, 990)...)
	if slow, in := slowest(lat, first, 0.99); slow != 2 || in != 2 {
		t.Errorf("slowest = %d, %d in the first round; want 2, 2", slow, in)
	}
	// Ties at the quantile all count.
	lat = ms(1, 2, 3, 7, 7, 7)
	if slow, in := slowest(lat, ms(7, 1), 0.6); slow != 3 || in != 1 {
		t.Errorf("slowest with ties = %d, %d; want 3, 1", slow, in)
	}
	if got := quantileMs(ms(1, 2, 3, 4), 0.5); got != 2 {
		t.Errorf("quantileMs = %v, want 2", got)
	}
	if slow, in := slowest(nil, nil, 0.99); slow != 0 || in != 0 || quantileMs(nil, 0.99) != 0 {
		t.Error("no syncs: not 0")
	}
}

func TestCPUAccount(t *testing.T) {
	for _, c := range []struct {
		name  string
		l     loadResult
		cores int
		want  string
	}{
		// 5,000 syncs: servers 4 s, PostgreSQL 1.8 s, clients 3 s on 2
		// cores: 1.76 ms a sync, 1,136 a second; 1.16 ms, 1,724 without
		// the clients.
		{"postgres", loadResult{Requests: 5000, ServerCPU: 4, DatabaseCPU: 1.8, ClientCPU: 3}, 2,
			"0.80, 0.36, 0.60 ms (clients 34%); 1136, without the clients 1724"},
		{"badger", loadResult{Requests: 5000, ServerCPU: 2.9, ClientCPU: 2.9}, 2,
			"0.58, 0.00, 0.58 ms (clients 50%); 1724, without the clients 3448"},
		{"no syncs", loadResult{ServerCPU: 1}, 2, ""},
		{"no cores", loadResult{Requests: 10, ServerCPU: 1}, 0, ""},
		{"no server CPU", loadResult{Requests: 10, ClientCPU: 1}, 2, ""},
	} {
		if got := c.l.cpuAccount(c.cores); got != c.want {
			t.Errorf("%s: cpuAccount = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestExchangeClock: a real HTTP exchange with a server that waits 100 ms
// before answering, after a client that took 200 ms before sending: the
// exchange holds the server's wait, not the client's (the bounds leave
// 50 ms for a busy machine's scheduling).
func TestExchangeClock(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(100 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	var clock exchangeClock
	if clock.took() != 0 {
		t.Fatal("an exchange timed before any")
	}
	ctx := clock.trace(context.Background())
	start := time.Now()
	time.Sleep(200 * time.Millisecond) // the client's own work
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	whole, exch := time.Since(start), clock.took()
	if exch < 50*time.Millisecond || exch > whole-150*time.Millisecond {
		t.Errorf("exchange %v of a sync of %v: want the server's 100 ms and not the client's 200", exch, whole)
	}
}

func TestCountPulled(t *testing.T) {
	for _, tc := range []struct {
		name string
		devs []string
		want map[string]int
	}{
		{"none", nil, map[string]int{"a": 1}},
		{"one run", []string{"b", "b", "b"}, map[string]int{"a": 1, "b": 3}},
		{"runs", []string{"a", "b", "b", "c", "b", "a", "a"}, map[string]int{"a": 4, "b": 3, "c": 1}},
		{"alternating", []string{"b", "c", "b", "c"}, map[string]int{"a": 1, "b": 2, "c": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pulled := map[string]int{"a": 1} // an earlier page's
			ops := make([]loadOp, len(tc.devs))
			for i, d := range tc.devs {
				ops[i].Device = d
			}
			countPulled(pulled, ops, func(o *loadOp) string { return o.Device })
			if !maps.Equal(pulled, tc.want) {
				t.Errorf("pulled %v, want %v", pulled, tc.want)
			}
		})
	}
}
