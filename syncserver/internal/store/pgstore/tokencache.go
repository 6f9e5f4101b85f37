package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// The devices laptops' tokens name, kept in each process's memory.
//
// Every request a laptop makes is authenticated by DeviceByToken, and on
// PostgreSQL that was a round trip of its own on every sync (one of a
// sync's three or four: BENCHMARKS.md, pg3). Its answers are kept here,
// but only while this process listens on the channel the schema's
// triggers notify at every commit that writes a device or a token
// (migration 7), whichever process or person wrote it; each notification
// forgets every answer kept. So:
//
//   - An answer is served only while the listening connection is up and
//     was up, without a break, since the answer was read (the cache's
//     generation moves at every (re)connection and every notification, and
//     an answer read under an older one is not kept): a notification
//     missed while the connection was down cannot leave a stale answer
//     behind.
//   - A revocation takes effect in every other process within the
//     notification's delivery (milliseconds), in the process that made it
//     at once (Update forgets everything once it is over).
//   - A notification could also be lost without the connection failing
//     (cut without either end noticing; a pooler in between that does not
//     keep a session's LISTEN): so every listenBeat the listener notifies a
//     mark of its own through the pool, as any write is made, and answers
//     are served only while a mark sent less than listenTrust ago came
//     back. PostgreSQL delivers notifications in the order their
//     transactions committed, so every write committed before that mark
//     was sent has been seen: at worst a revocation is seen listenTrust
//     late, and a listener none of whose marks comes back for
//     listenGiveUp connects again.
//
// Nothing depends on the cache: lost (a restart, a connection down), the
// process asks PostgreSQL, as it did for every request before. Tokens not
// found are not kept (a flood of made-up tokens does not grow it).

// directoryChannel is the channel the triggers notify.
const directoryChannel = "kenesh_directory"

// markPrefix begins the notifications of marks (the listener's and
// CatchUpDirectory's), which change nothing kept.
const markPrefix = "mark:"

// listenBeat is how often the listener sends a mark; listenTrust is how
// long ago the last mark that came back may have been sent for the cache
// to be served; listenGiveUp, for the listener to keep its connection.
// Variables for tests.
var (
	listenBeat   = 2 * time.Second
	listenTrust  = 5 * time.Second
	listenGiveUp = 20 * time.Second
)

// tokenCache is DeviceByToken's answers and the listener's state.
type tokenCache struct {
	mu sync.Mutex
	// devs is the answers: served only while the listener is alive, and
	// forgotten (its generation moved) under mu.
	devs store.TokenCache
	// live: the listener is up. alive: every write committed before it
	// has been seen (when the listener started, or when the last mark
	// that came back was sent).
	live  bool
	alive time.Time
	// schema is the store's tables' schema: other schemas' writes change
	// nothing here.
	schema string
	// marks are this process's marks on their way.
	marks map[string]markWait
	// downs counts the listener's lost connections, back the marks that
	// came back, and changed is closed and replaced whenever live or gen
	// moves (for tests).
	downs   int
	back    int
	changed chan struct{}
	// fill is signalled whenever everything was forgotten while the
	// listener is up: the filler then reads every token again (fillTokens).
	fill chan struct{}
}

// markWait is a mark on its way: when it was sent, and the channel its
// arrival closes (CatchUpDirectory's; nil for the listener's own).
type markWait struct {
	sent time.Time
	ch   chan struct{}
}

// get returns a copy of the device kept for sum while the listener is
// alive (nil otherwise), and the generation under which a device read now
// may be put.
func (c *tokenCache) get(sum [32]byte, now time.Time) (*store.Device, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, gen := c.devs.Get(sum)
	if !c.live || now.Sub(c.alive) > listenTrust {
		return nil, gen
	}
	return d, gen
}

// put keeps a copy of d, read for sum under generation gen, unless the
// listener is down or anything was forgotten since.
func (c *tokenCache) put(sum [32]byte, gen uint64, d *store.Device) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live {
		c.devs.Put(sum, gen, d)
	}
}

// forgetLocked forgets every device kept and moves to the next
// generation; c.mu is held.
func (c *tokenCache) forgetLocked() {
	c.devs.Forget()
	if c.changed != nil {
		close(c.changed)
	}
	c.changed = make(chan struct{})
	if c.live {
		select {
		case c.fillWanted() <- struct{}{}:
		default: // one is wanted already
		}
	}
}

// fillWanted is the channel the filler waits on; c.mu is held.
func (c *tokenCache) fillWanted() chan struct{} {
	if c.fill == nil {
		c.fill = make(chan struct{}, 1)
	}
	return c.fill
}

// forget forgets every device kept (a write of the directory).
func (c *tokenCache) forget() {
	c.mu.Lock()
	c.forgetLocked()
	c.mu.Unlock()
}

// up: the listener listens again, from nothing kept, for the writes of
// schema ("": every schema's).
func (c *tokenCache) up(now time.Time, schema string) {
	c.mu.Lock()
	c.live, c.alive, c.schema = true, now, schema
	c.forgetLocked()
	c.mu.Unlock()
}

// down: the listener's connection is lost; nothing is served until it is
// up again, and the marks' waits are over (nothing is kept).
func (c *tokenCache) down() {
	c.mu.Lock()
	c.live = false
	c.downs++
	c.forgetLocked()
	for k, w := range c.marks {
		if w.ch != nil {
			close(w.ch)
		}
		delete(c.marks, k)
	}
	c.mu.Unlock()
}

// notified takes a notification: a mark of this process's moves alive to
// when it was sent and ends its wait (another process's marks change
// nothing), another schema's write changes nothing, anything else
// forgets all.
func (c *tokenCache) notified(payload string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if mark, ok := strings.CutPrefix(payload, markPrefix); ok {
		if w, ok := c.marks[mark]; ok {
			if w.ch != nil {
				close(w.ch)
			}
			if w.sent.After(c.alive) {
				c.alive = w.sent
			}
			c.back++
			delete(c.marks, mark)
		}
		return
	}
	if payload != "" && c.schema != "" && payload != c.schema {
		return
	}
	c.forgetLocked()
}

// await registers a new mark sent at now and returns it, with the channel
// its arrival closes if wait; "" when the listener is down (nothing is
// kept: nothing to wait for).
func (c *tokenCache) await(now time.Time, wait bool) (string, chan struct{}) {
	b := make([]byte, 8)
	rand.Read(b)
	mark := hex.EncodeToString(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		return "", nil
	}
	if c.marks == nil || len(c.marks) >= 1024 { // the listener's own, lost: dropped
		for k, w := range c.marks {
			if w.ch == nil {
				delete(c.marks, k)
			}
		}
		if c.marks == nil {
			c.marks = map[string]markWait{}
		}
	}
	w := markWait{sent: now}
	if wait {
		w.ch = make(chan struct{})
	}
	c.marks[mark] = w
	return mark, w.ch
}

// drop forgets a mark no one waits for any more.
func (c *tokenCache) drop(mark string) {
	c.mu.Lock()
	delete(c.marks, mark)
	c.mu.Unlock()
}

// silent is how long before now the last mark that came back was sent.
func (c *tokenCache) silent(now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return now.Sub(c.alive)
}

// state returns whether the listener is up, how many times it went down,
// and a channel closed at its next change (for tests).
func (c *tokenCache) state() (live bool, downs int, changed <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	return c.live, c.downs, c.changed
}

// Listen starts the directory's listener now rather than at the first
// DeviceByToken: a server calls it as it starts, so that its first
// laptops' tokens are kept from their first sync (a laptop that synced
// before the listener was up asked PostgreSQL again at its next). Tokens
// are served from memory only once it is up (tokenCache.get); before,
// PostgreSQL is asked, as always. An admin command's store, which never
// calls it nor asks for a token, never listens.
func (s *Store) Listen() { s.startListening() }

// Listening reports whether the listener is up (its connection listens,
// and answers may be kept): for tests.
func (s *Store) Listening() bool {
	live, _, _ := s.tokens.state()
	return live
}

// startListening starts the listener, once (Listen, or the first
// DeviceByToken of a store no one told to Listen).
func (s *Store) startListening() {
	s.listenOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		s.stopListening = cancel
		s.listenDone = make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); s.listen(ctx) }()
		go func() { defer wg.Done(); s.fillTokens(ctx) }()
		go func() { wg.Wait(); close(s.listenDone) }()
	})
}

// fillDelay is how long the filler waits, once everything kept was
// forgotten, for more writes before it reads every token again: a burst
// of enrollments costs a few reads, not one each. fillOff stops the
// filler (tests of what DeviceByToken asks PostgreSQL).
var (
	fillDelay = 200 * time.Millisecond
	fillOff   atomic.Bool
)

// fillTokens keeps every token's device in memory while the listener is up,
// until ctx ends: at the listener's start and after every write of the
// directory (each forgets all), it reads them all again, in one query,
// under the generation it found before it, so that a write notified
// since leaves nothing of the read kept (and wants another). Without it
// each laptop's first request after a start or any enrollment asked
// PostgreSQL for its token, in the pool's turn: 500 laptops' first syncs
// at once waited for it once more each (BENCHMARKS.md, pg5).
func (s *Store) fillTokens(ctx context.Context) {
	s.tokens.mu.Lock()
	want := s.tokens.fillWanted()
	s.tokens.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return
		case <-want:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(fillDelay):
		}
		select {
		case <-want: // a write meanwhile: read after it below
		default:
		}
		if fillOff.Load() {
			continue
		}
		if err := s.fillOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("the tokens' devices not read ahead (each is asked of PostgreSQL at its first request)", "err", err)
		}
	}
}

// fillOnce reads every token's device (at most store.MaxTokenCache of
// them) and keeps them under the generation it found first.
func (s *Store) fillOnce(ctx context.Context) error {
	_, gen := s.tokens.get([32]byte{}, time.Now())
	rows, err := s.pool.Query(ctx, `SELECT `+deviceColumns+`, t.hash FROM tokens t JOIN devices d ON d.id = t.device LIMIT $1`, store.MaxTokenCache-1)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var hash []byte
		d, err := scanDevice(rows, &hash)
		if err != nil {
			return err
		}
		if len(hash) != 32 {
			continue
		}
		s.tokens.put([32]byte(hash), gen, d)
	}
	s.fills.Add(1)
	return rows.Err()
}

// listen keeps a connection listening on directoryChannel until ctx ends,
// connecting again after a pause when it is lost.
func (s *Store) listen(ctx context.Context) {
	const firstPause = 100 * time.Millisecond
	pause := firstPause
	for {
		began := time.Now()
		err := s.listenConn(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(began) > time.Minute {
			pause = firstPause // it had been up: not a run of failures
		}
		s.log.Warn("the directory's notifications (kept tokens forgotten, asked of PostgreSQL until listening again)", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// listenConn listens on one connection of its own (not the pool's) until
// it fails or ctx ends; the cache is served only in between. Every
// listenBeat it sends a mark through the pool (tokenCache.alive).
func (s *Store) listenConn(ctx context.Context) error {
	cfg := s.connConfig.Copy()
	// A wait for a notification that times out sets a deadline on the
	// connection, instead of sending PostgreSQL a cancel request (a new
	// connection each time), and leaves the connection usable.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	// Notifications are taken as they are read, in order.
	cfg.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) { s.tokens.notified(n.Payload) }
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+directoryChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.listenPID.Store(conn.PgConn().PID())
	s.tokens.up(time.Now(), schema)
	defer s.tokens.down()
	next := time.Now().Add(listenBeat)
	for {
		if wait := time.Until(next); wait > 0 {
			wctx, cancel := context.WithTimeout(ctx, wait)
			_, err := conn.WaitForNotification(wctx) // taken by OnNotification
			cancel()
			switch {
			case err == nil:
				continue
			case ctx.Err() != nil:
				return nil
			case !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err):
				return fmt.Errorf("wait for a notification: %w", err)
			}
		}
		now := time.Now()
		if d := s.tokens.silent(now); d > listenGiveUp {
			return fmt.Errorf("none of this process's marks came back for %v", d.Round(time.Second))
		}
		next = now.Add(listenBeat)
		if mark, _ := s.tokens.await(now, false); mark != "" {
			// Through the pool, as writes are made: one that fails leaves
			// the cache unserved once listenTrust has passed.
			mctx, cancel := context.WithTimeout(ctx, listenBeat)
			if err := s.notifyMark(mctx, mark); err != nil {
				s.tokens.drop(mark)
			}
			cancel()
		}
	}
}

// notifyMark notifies a mark on the directory's channel.
func (s *Store) notifyMark(ctx context.Context, mark string) error {
	_, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, directoryChannel, markPrefix+mark)
	return err
}

// CatchUpDirectory implements store.DirectoryCatcher: it notifies a mark
// of its own and waits for it to come back to this process's listener.
// PostgreSQL delivers notifications in the order their transactions
// committed, so once the mark is back, every write of the directory
// committed before this call has been seen (and its answers forgotten).
func (s *Store) CatchUpDirectory(ctx context.Context) error {
	mark, ch := s.tokens.await(time.Now(), true)
	if ch == nil {
		return nil
	}
	if err := s.notifyMark(ctx, mark); err != nil {
		s.tokens.drop(mark)
		return fmt.Errorf("catch up with the directory: %w", err)
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		s.tokens.drop(mark)
		return ctx.Err()
	}
}
