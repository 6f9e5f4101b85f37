package testnet

import (
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Link is a TCP proxy on 127.0.0.1 that emulates a slow line (bandwidth in
// each direction and a round-trip time) and counts the bytes that cross it:
// what a benchmark reports as bytes on the wire.
type Link struct {
	Addr   string
	target string
	ln     net.Listener
	// Bits per second each way (0: unlimited) and round-trip time.
	bps int64
	rtt time.Duration

	up, down atomic.Int64
	conns    atomic.Int64
	wg       sync.WaitGroup
	closed   atomic.Bool

	mu   sync.Mutex
	open map[net.Conn]struct{}
	// Cuts (CutEvery): the mean bytes between two, the bytes since the
	// last and the next cut's point, and how many were made.
	cutMean, sinceCut, nextCut int64
	cuts                       int64
	cutRng                     *rand.Rand
}

// CutEvery drops every connection of the link (as a mobile link that goes
// down does) each time about mean bytes more have crossed it, either way:
// at a random point between half and one and a half times mean. 0 stops
// the cuts.
func (l *Link) CutEvery(mean int64, seed uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cutMean, l.sinceCut = mean, 0
	l.cutRng = rand.New(rand.NewPCG(seed, seed^0xc07))
	l.nextCut = l.cutPoint()
}

func (l *Link) cutPoint() int64 {
	if l.cutMean <= 0 {
		return 0
	}
	return l.cutMean/2 + l.cutRng.Int64N(l.cutMean+1)
}

// Cuts is how many times CutEvery dropped the link.
func (l *Link) Cuts() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cuts
}

// crossed counts n bytes against the next cut, and makes it when due.
func (l *Link) crossed(n int) {
	l.mu.Lock()
	if l.cutMean <= 0 {
		l.mu.Unlock()
		return
	}
	l.sinceCut += int64(n)
	if l.sinceCut < l.nextCut {
		l.mu.Unlock()
		return
	}
	l.sinceCut, l.nextCut = 0, l.cutPoint()
	l.cuts++
	conns := make([]net.Conn, 0, len(l.open))
	for c := range l.open {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // a reset, as a dropped mobile link looks
		}
		c.Close()
	}
}

// NewLink listens on 127.0.0.1 and forwards to target (host:port).
func NewLink(target string, bitsPerSecond int64, rtt time.Duration) (*Link, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &Link{Addr: ln.Addr().String(), target: target, ln: ln, bps: bitsPerSecond, rtt: rtt, open: map[net.Conn]struct{}{}}
	l.wg.Add(1)
	go l.accept()
	return l, nil
}

// Bytes returns the bytes sent up (client to server) and down so far.
func (l *Link) Bytes() (up, down int64) { return l.up.Load(), l.down.Load() }

// Conns returns how many connections were made.
func (l *Link) Conns() int64 { return l.conns.Load() }

// Reset zeroes the counters.
func (l *Link) Reset() { l.up.Store(0); l.down.Store(0); l.conns.Store(0) }

// Close stops the link, cuts its connections and waits for them.
func (l *Link) Close() error {
	l.closed.Store(true)
	err := l.ln.Close()
	l.mu.Lock()
	for c := range l.open {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return err
}

func (l *Link) track(c net.Conn, add bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if add {
		l.open[c] = struct{}{}
	} else {
		delete(l.open, c)
	}
}

func (l *Link) accept() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.conns.Add(1)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.handle(c)
		}()
	}
}

func (l *Link) handle(c net.Conn) {
	l.track(c, true)
	defer l.track(c, false)
	defer c.Close()
	// Connection set-up costs a round trip, as TCP's handshake does.
	time.Sleep(l.rtt)
	s, err := net.Dial("tcp", l.target)
	if err != nil {
		return
	}
	l.track(s, true)
	defer l.track(s, false)
	defer s.Close()
	done := make(chan struct{}, 2)
	go func() { l.pipe(s, c, &l.up); done <- struct{}{} }()
	go func() { l.pipe(c, s, &l.down); done <- struct{}{} }()
	<-done
	// One direction ended: end the other too (a closed line carries nothing).
	c.Close()
	s.Close()
	<-done
}

// pipe copies src to dst, each chunk delayed by half the round trip and
// paced to the bandwidth.
func (l *Link) pipe(dst, src net.Conn, counter *atomic.Int64) {
	defer func() {
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}()
	buf := make([]byte, 16<<10)
	type chunk struct {
		b  []byte
		at time.Time
	}
	// The line holds what is in flight on it, about one bandwidth-delay
	// product, as a real one does (a queue of many MB ahead would make a
	// cut lose far more than any line loses).
	slots := 4
	if l.bps > 0 {
		slots = max(slots, int(float64(l.bps)/8*l.rtt.Seconds())/len(buf)+2)
	}
	q := make(chan chunk, slots)
	go func() {
		defer close(q)
		var next time.Time
		for {
			n, err := src.Read(buf)
			if n > 0 {
				b := append([]byte(nil), buf[:n]...)
				counter.Add(int64(n))
				l.crossed(n)
				now := time.Now()
				if next.Before(now) {
					next = now
				}
				if l.bps > 0 {
					next = next.Add(time.Duration(int64(n) * 8 * int64(time.Second) / l.bps))
				}
				q <- chunk{b, next.Add(l.rtt / 2)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		if d := time.Until(c.at); d > 0 {
			time.Sleep(d)
		}
		if _, err := dst.Write(c.b); err != nil {
			io.Copy(io.Discard, src)
			return
		}
	}
}
