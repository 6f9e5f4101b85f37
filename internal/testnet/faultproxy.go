package testnet

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is what the proxy did to one request.
type Fault string

const (
	FaultNone          Fault = "none"
	FaultDropRequest   Fault = "drop_request"   // the server never sees it; the client sees a broken connection
	FaultCutRequest    Fault = "cut_request"    // the server gets half the body
	FaultDropResponse  Fault = "drop_response"  // the server handles it; the client sees a broken connection
	FaultCutResponse   Fault = "cut_response"   // the client gets half the response body
	FaultDuplicate     Fault = "duplicate"      // the server gets it twice; the client the second answer
	FaultServerFailure Fault = "server_failure" // the proxy answers 502, as a broken gateway does
)

var faults = []Fault{FaultDropRequest, FaultCutRequest, FaultDropResponse, FaultCutResponse, FaultDuplicate, FaultServerFailure}

// FaultProxy forwards HTTP requests to a target, injecting faults with a
// given probability. It listens on 127.0.0.1 only.
type FaultProxy struct {
	URL    string
	target string
	srv    *httptest.Server
	client *http.Client

	mu       sync.Mutex
	rng      *rand.Rand
	rate     float64
	maxDelay time.Duration

	counts sync.Map // Fault -> *atomic.Int64
}

// NewFaultProxy forwards to target (http://host:port) with faults at the
// given rate (0..1) and a random delay up to maxDelay, seeded.
func NewFaultProxy(target string, rate float64, maxDelay time.Duration, seed uint64) *FaultProxy {
	p := &FaultProxy{target: target, rng: rand.New(rand.NewPCG(seed, seed^0xfa17)), rate: rate, maxDelay: maxDelay,
		client: &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: time.Minute}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p
}

// SetRate changes the fault rate (0 stops the faults).
func (p *FaultProxy) SetRate(rate float64) {
	p.mu.Lock()
	p.rate = rate
	p.mu.Unlock()
}

// Counts returns how many requests met each fault.
func (p *FaultProxy) Counts() map[Fault]int64 {
	out := map[Fault]int64{}
	p.counts.Range(func(k, v any) bool { out[k.(Fault)] = v.(*atomic.Int64).Load(); return true })
	return out
}

// Close stops the proxy.
func (p *FaultProxy) Close() { p.srv.CloseClientConnections(); p.srv.Close() }

func (p *FaultProxy) pick() (Fault, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var d time.Duration
	if p.maxDelay > 0 {
		d = time.Duration(p.rng.Int64N(int64(p.maxDelay)))
	}
	if p.rng.Float64() >= p.rate {
		return FaultNone, d
	}
	return faults[p.rng.IntN(len(faults))], d
}

func (p *FaultProxy) count(f Fault) {
	v, _ := p.counts.LoadOrStore(f, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		hangUp(w)
		return
	}
	fault, delay := p.pick()
	p.count(fault)
	time.Sleep(delay)
	switch fault {
	case FaultDropRequest:
		hangUp(w)
		return
	case FaultServerFailure:
		http.Error(w, "bad gateway (injected)", http.StatusBadGateway)
		return
	case FaultCutRequest:
		body = body[:len(body)/2]
	case FaultDuplicate:
		if resp, err := p.forward(r, body); err == nil {
			resp.Body.Close()
		}
	}
	resp, err := p.forward(r, body)
	if err != nil {
		hangUp(w)
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		hangUp(w)
		return
	}
	switch fault {
	case FaultDropResponse:
		hangUp(w)
		return
	case FaultCutResponse:
		// Promise the whole body, send half, hang up.
		copyHeader(w.Header(), resp.Header)
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(resp.StatusCode)
		w.Write(data[:len(data)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		hangUp(w)
		return
	}
	copyHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	w.Write(data)
}

func (p *FaultProxy) forward(r *http.Request, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	copyHeader(req.Header, r.Header)
	return p.client.Do(req)
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		if k == "Content-Length" || k == "Connection" {
			continue
		}
		dst[k] = append([]string(nil), vs...)
	}
}

// hangUp closes the client's connection without an answer.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // a reset, as a dropped mobile link looks
			}
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
