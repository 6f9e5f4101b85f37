package main

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// balancer gives each TCP connection it accepts to the next server process
// in turn, as an L4 load balancer before several kenesh-syncserver
// processes does: a laptop's keep-alive connection stays with one process,
// the next connection goes to the next.
type balancer struct {
	ln    net.Listener
	to    []string
	next  atomic.Uint64
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
}

func newBalancer(to []string) (*balancer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &balancer{ln: ln, to: to, conns: map[net.Conn]bool{}}
	b.wg.Add(1)
	go b.serve()
	return b, nil
}

func (b *balancer) addr() string { return b.ln.Addr().String() }

func (b *balancer) serve() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		to := b.to[int(b.next.Add(1)-1)%len(b.to)]
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.relay(c, to)
		}()
	}
}

func (b *balancer) track(c net.Conn, on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if on {
		b.conns[c] = true
	} else {
		delete(b.conns, c)
	}
}

func (b *balancer) relay(c net.Conn, to string) {
	defer c.Close()
	// From the client's own address, as a transparent balancer does: the
	// server limits enrollments per address, and the load test's clients
	// each have their own.
	var d net.Dialer
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		d.LocalAddr = &net.TCPAddr{IP: a.IP}
	}
	s, err := d.Dial("tcp", to)
	if err != nil {
		return
	}
	defer s.Close()
	b.track(c, true)
	b.track(s, true)
	defer b.track(c, false)
	defer b.track(s, false)
	done := make(chan struct{}, 2)
	go func() { io.Copy(s, c); s.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, s); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
}

// close stops accepting and cuts the connections it relays.
func (b *balancer) close() {
	b.ln.Close()
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}
