package testnet

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFaultProxyInjectsEveryFault(t *testing.T) {
	var hits atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hits.Add(1)
		w.Write(bytes.Repeat(b, 2))
	}))
	defer backend.Close()
	p := NewFaultProxy(backend.URL, 0.9, 0, 1)
	defer p.Close()
	ok, failed := 0, 0
	for i := 0; i < 200; i++ {
		resp, err := http.Post(p.URL+"/x", "text/plain", strings.NewReader("hello"))
		if err != nil {
			failed++
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != "hellohello" {
			failed++
			continue
		}
		ok++
	}
	counts := p.Counts()
	for _, f := range faults {
		if counts[f] == 0 {
			t.Errorf("fault %s never injected: %v", f, counts)
		}
	}
	if ok == 0 || failed == 0 {
		t.Fatalf("ok %d, failed %d: want both", ok, failed)
	}
	if hits.Load() <= int64(ok) {
		t.Fatalf("the backend saw %d requests for %d successes: dropped responses and duplicates must reach it", hits.Load(), ok)
	}
}

func TestLinkCountsAndDelays(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 4000))
	}))
	defer backend.Close()
	l, err := NewLink(strings.TrimPrefix(backend.URL, "http://"), 200_000, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	start := time.Now()
	resp, err := http.Get("http://" + l.Addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	up, down := l.Bytes()
	// Set-up RTT + request RTT + 4 KB at 200 kbit/s (0.16 s).
	if took < 300*time.Millisecond {
		t.Fatalf("took %s: the link did not delay", took)
	}
	if down < 4000 || up < 50 {
		t.Fatalf("counted %d up, %d down", up, down)
	}
}

// A link cut every so many bytes drops its connections mid-answer: a
// client reading a large body sees it cut, and the next request goes
// through on a new connection.
func TestLinkCuts(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 1<<20))
	}))
	defer backend.Close()
	l, err := NewLink(strings.TrimPrefix(backend.URL, "http://"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.CutEvery(300_000, 1)
	cut := 0
	for range 4 {
		resp, err := http.Get("http://" + l.Addr + "/")
		if err != nil {
			cut++
			continue
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n < 1<<20 {
			cut++
		}
	}
	if cut == 0 || l.Cuts() == 0 {
		t.Fatalf("%d of 4 answers cut, %d cuts made", cut, l.Cuts())
	}
}
