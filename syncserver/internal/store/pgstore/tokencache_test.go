package pgstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// enrollDevice writes a device bound to token through s, as an
// enrollment does.
func enrollDevice(t *testing.T, s *Store, token string) *store.Device {
	t.Helper()
	d := &store.Device{ID: domain.NewID(), Name: "ноутбук", Role: "secretary", Council: "NRN-ATB", Enrolled: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	err := s.Update(context.Background(), func(x store.DirTx) error {
		if err := x.SetToken(d, sha256.Sum256([]byte(token))); err != nil {
			return err
		}
		return x.PutDevice(d)
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// revokeDevice revokes device id through s, as the administrator does.
func revokeDevice(t *testing.T, s *Store, id string) {
	t.Helper()
	err := s.Update(context.Background(), func(x store.DirTx) error {
		d, err := x.Device(id)
		if err != nil || d == nil {
			return errors.Join(err, errors.New("no such device"))
		}
		now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		d.Revoked, d.RevokedAt = true, &now
		return x.PutDevice(d)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// listening waits until s's listener is up after having gone down downs
// times (a test's bound: the listener connects in milliseconds).
func listening(t *testing.T, s *Store, downs int) {
	t.Helper()
	s.startListening()
	for {
		live, n, changed := s.tokens.state()
		if live && n >= downs {
			return
		}
		select {
		case <-changed:
		case <-time.After(30 * time.Second):
			t.Fatalf("the directory's listener is not up (down %d times)", n)
		}
	}
}

// noFill stops the filler until t ends (fillOff): for the tests of what
// DeviceByToken itself asks PostgreSQL.
func noFill(t *testing.T) {
	fillOff.Store(true)
	t.Cleanup(func() { fillOff.Store(false) })
}

// kept waits until s serves token from memory (the filler's read), and
// returns it, asked without a query.
func kept(t *testing.T, s *Store, token string) *store.Device {
	t.Helper()
	sum := sha256.Sum256([]byte(token))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if d, _ := s.tokens.get(sum, time.Now()); d != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q not read ahead (%d fills)", token, s.fills.Load())
		}
	}
	return byToken(t, s, token, false)
}

// The tokens' devices are read ahead, all at once, when the listener
// starts and after every write of the directory: a laptop's first request
// is answered from memory, and so is a device revoked through another
// process, read again once the revocation is notified.
func TestTokenCacheFilled(t *testing.T) {
	ctx := context.Background()
	a, b := twoProcesses(t)
	d := enrollDevice(t, a, "tok") // before b listens: read at its start
	listening(t, b, 0)
	if got := kept(t, b, "tok"); got.ID != d.ID || got.Revoked {
		t.Fatalf("read ahead at the start: %+v", got)
	}
	e := enrollDevice(t, a, "new")
	if err := b.CatchUpDirectory(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kept(t, b, "new"); got.ID != e.ID {
		t.Fatalf("enrolled through another process: %+v", got)
	}
	revokeDevice(t, a, d.ID)
	if err := b.CatchUpDirectory(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kept(t, b, "tok"); !got.Revoked {
		t.Fatalf("revoked through another process, read ahead again: %+v", got)
	}
	if got := byToken(t, b, "nobody", true); got != nil {
		t.Fatalf("a token no one holds: %+v", got)
	}
}

// byToken looks token up through s, checking the device found and
// whether it asked PostgreSQL (queried).
func byToken(t *testing.T, s *Store, token string, wantQueried bool) *store.Device {
	t.Helper()
	before := s.tokenReads.Load()
	d, err := s.DeviceByToken(context.Background(), sha256.Sum256([]byte(token)))
	if queried := s.tokenReads.Load() > before; queried != wantQueried {
		t.Fatalf("DeviceByToken(%q) asked PostgreSQL: %v, want %v", token, queried, wantQueried)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		t.Fatal(err)
	}
	return d
}

// A device found by its token is kept by each process, and a revocation
// through another process reaches it: once the revoking process's write is
// notified (CatchUpDirectory), the next sync through this one is refused.
// A revocation through the same process is seen at its next request,
// without waiting; a token replaced through another process is no longer
// found.
func TestTokenCacheRevokedThroughAnother(t *testing.T) {
	noFill(t)
	ctx := context.Background()
	a, b := twoProcesses(t)
	listening(t, a, 0)
	listening(t, b, 0)
	d := enrollDevice(t, a, "tok")
	e := enrollDevice(t, a, "other")
	for _, s := range []*Store{a, b} {
		// The enrollments' notifications, which reach a's listener too
		// (arriving after a's first read, one forgets what it kept).
		if err := s.CatchUpDirectory(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*Store{a, b} {
		if got := byToken(t, s, "tok", true); got == nil || got.ID != d.ID || got.Revoked {
			t.Fatalf("the device, first: %+v", got)
		}
		if got := byToken(t, s, "tok", false); got == nil || got.ID != d.ID || got.Revoked {
			t.Fatalf("the device, kept: %+v", got)
		}
		byToken(t, s, "other", true)
	}

	revokeDevice(t, a, d.ID)
	if got := byToken(t, a, "tok", true); got == nil || !got.Revoked {
		t.Fatalf("revoked through this process, it finds %+v", got)
	}
	if err := b.CatchUpDirectory(ctx); err != nil {
		t.Fatal(err)
	}
	if got := byToken(t, b, "tok", true); got == nil || !got.Revoked {
		t.Fatalf("revoked through another process, this one finds %+v", got)
	}
	byToken(t, b, "tok", false) // kept again, revoked

	// A new token for e, bound through b: a no longer finds the old one.
	err := b.Update(ctx, func(x store.DirTx) error {
		cur, err := x.Device(e.ID)
		if err != nil {
			return err
		}
		if err := x.SetToken(cur, sha256.Sum256([]byte("new"))); err != nil {
			return err
		}
		return x.PutDevice(cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CatchUpDirectory(ctx); err != nil {
		t.Fatal(err)
	}
	if got := byToken(t, a, "other", true); got != nil {
		t.Fatalf("a token replaced through another process still finds %+v", got)
	}
	if got := byToken(t, a, "new", true); got == nil || got.ID != e.ID {
		t.Fatalf("the new token: %+v", got)
	}
}

// The cache is served only while its listener is connected: a
// notification lost (here the triggers are switched off, so none is sent)
// leaves a revoked device served as it was, but once the listener's
// connection is lost (its backend terminated) nothing kept is trusted, and
// the revocation is read from PostgreSQL.
func TestTokenCacheListenerKilled(t *testing.T) {
	noFill(t)
	ctx := context.Background()
	a, b := twoProcesses(t)
	listening(t, b, 0)
	d := enrollDevice(t, a, "tok")
	if err := b.CatchUpDirectory(ctx); err != nil {
		t.Fatal(err)
	}
	byToken(t, b, "tok", true)
	byToken(t, b, "tok", false)

	for _, q := range []string{`ALTER TABLE devices DISABLE TRIGGER devices_changed`, `ALTER TABLE tokens DISABLE TRIGGER tokens_changed`} {
		if _, err := a.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	revokeDevice(t, a, d.ID)
	if err := b.CatchUpDirectory(ctx); err != nil {
		t.Fatal(err)
	}
	if got := byToken(t, b, "tok", false); got == nil || got.Revoked {
		t.Fatalf("with the notification lost, the kept device: %+v (the cache is not what is tested)", got)
	}

	_, downs, _ := b.tokens.state()
	var ok bool
	if err := a.pool.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, int32(b.listenPID.Load())).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate the listener's backend: %v, %v", ok, err)
	}
	for {
		_, n, changed := b.tokens.state()
		if n > downs {
			break
		}
		select {
		case <-changed:
		case <-time.After(30 * time.Second):
			t.Fatal("the listener did not notice its connection's end")
		}
	}
	if got := byToken(t, b, "tok", true); got == nil || !got.Revoked {
		t.Fatalf("after the listener's connection was lost, b finds %+v", got)
	}
	// Listening again, it keeps answers again.
	listening(t, b, downs+1)
	byToken(t, b, "tok", true)
	byToken(t, b, "tok", false)
}

// The cache is served only while the last of the listener's marks that
// came back was sent under listenTrust ago (a notification lost without
// the connection failing).
func TestTokenCacheTrust(t *testing.T) {
	noFill(t)
	var c tokenCache
	t0 := time.Now()
	d := &store.Device{ID: "d"}
	if got, gen := c.get([32]byte{1}, t0); got != nil {
		t.Fatalf("before the listener: %+v", got)
	} else {
		c.put([32]byte{1}, gen, d)
	}
	c.up(t0, "s")
	if got, _ := c.get([32]byte{1}, t0); got != nil {
		t.Fatalf("put while the listener was down, then served: %+v", got)
	}
	_, gen := c.get([32]byte{1}, t0)
	c.put([32]byte{1}, gen, d)
	if got, _ := c.get([32]byte{1}, t0.Add(listenTrust-time.Millisecond)); got == nil {
		t.Fatal("not served while the listener is alive")
	}
	if got, _ := c.get([32]byte{1}, t0.Add(listenTrust+time.Millisecond)); got != nil {
		t.Fatalf("served with the listener silent for longer than listenTrust: %+v", got)
	}
	c.notified(markPrefix + "another process's")
	c.notified("s")
	_, gen = c.get([32]byte{1}, t0)
	c.put([32]byte{1}, gen, d)
	if got, _ := c.get([32]byte{1}, t0.Add(listenTrust+time.Millisecond)); got != nil {
		t.Fatalf("served after notifications that are not this process's marks: %+v", got)
	}
	mark, _ := c.await(t0.Add(listenTrust), false)
	c.notified(markPrefix + mark)
	if got, _ := c.get([32]byte{1}, t0.Add(listenTrust+time.Millisecond)); got == nil {
		t.Fatal("not served after a mark came back")
	}
	_, gen = c.get([32]byte{2}, t0)
	c.notified("other") // another schema's write
	if got, _ := c.get([32]byte{1}, t0); got == nil {
		t.Fatal("forgotten at another schema's write")
	}
	c.notified("s") // a write of the directory
	c.put([32]byte{2}, gen, d)
	if got, _ := c.get([32]byte{2}, t0); got != nil {
		t.Fatalf("read before a notification, kept after it: %+v", got)
	}
	if got, _ := c.get([32]byte{1}, t0); got != nil {
		t.Fatalf("kept through a notification: %+v", got)
	}
}

// The listener's marks come back through its connection, beat after beat
// (its waits for a notification time out in between and leave the
// connection usable), and the cache is served throughout.
func TestTokenCacheBeats(t *testing.T) {
	noFill(t)
	beat, trust := listenBeat, listenTrust
	listenBeat, listenTrust = 20*time.Millisecond, time.Minute
	// Restored once the stores are closed (the cleanup registered first
	// runs last): their listeners read them until then.
	t.Cleanup(func() { listenBeat, listenTrust = beat, trust })
	ctx := context.Background()
	a, b := twoProcesses(t)
	listening(t, b, 0)
	enrollDevice(t, a, "tok")
	if err := b.CatchUpDirectory(ctx); err != nil {
		t.Fatal(err)
	}
	byToken(t, b, "tok", true)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b.tokens.mu.Lock()
		back, alive := b.tokens.back, b.tokens.alive
		b.tokens.mu.Unlock()
		if back >= 5 {
			if d := time.Since(alive); d > 10*listenBeat+time.Second {
				t.Errorf("the last mark back was sent %v ago", d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the listener's marks came back in 30 s", back)
		}
	}
	if live, downs, _ := b.tokens.state(); !live || downs != 0 {
		t.Fatalf("the listener after its beats: live %v, down %d times", live, downs)
	}
	byToken(t, b, "tok", false)
}
