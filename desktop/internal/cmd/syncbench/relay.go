package main

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// relay is a plain TCP forwarder on 127.0.0.1 whose target can be changed
// between syncs. A laptop is enrolled with the relay's address once (the
// address is stored with its enrollment); the benchmark then points the
// relay at a loopback link for set-up and at an EDGE link for what it
// measures. The testnet.Link behind it does the emulating and counting;
// the relay adds a loopback hop and nothing else.
type relay struct {
	Addr   string
	ln     net.Listener
	target atomic.Value // string
	wg     sync.WaitGroup
	mu     sync.Mutex
	open   map[net.Conn]struct{}
}

func newRelay(target string) (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{Addr: ln.Addr().String(), ln: ln, open: map[net.Conn]struct{}{}}
	r.target.Store(target)
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// URL is the relay's address as a laptop's server URL.
func (r *relay) URL() string { return "http://" + r.Addr }

// point sends new connections to target (host:port).
func (r *relay) point(target string) { r.target.Store(target) }

func (r *relay) Close() {
	r.ln.Close()
	r.mu.Lock()
	for c := range r.open {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *relay) track(c net.Conn, add bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if add {
		r.open[c] = struct{}{}
	} else {
		delete(r.open, c)
	}
}

func (r *relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.handle(c)
		}()
	}
}

func (r *relay) handle(c net.Conn) {
	r.track(c, true)
	defer r.track(c, false)
	defer c.Close()
	s, err := net.Dial("tcp", r.target.Load().(string))
	if err != nil {
		return
	}
	r.track(s, true)
	defer r.track(s, false)
	defer s.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(s, c)
	go pipe(c, s)
	<-done
	<-done
}
