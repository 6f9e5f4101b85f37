package badgerstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// TestTokenCache: DeviceByToken's answers are kept between writes of
// devices and tokens, each caller getting its own copy, and every write of
// either is seen by the authentications that start after its Update
// returned (a revocation, a replaced token, a changed role), while other
// authentications run at once; an answer read before such a write is not
// kept after it.
func TestTokenCache(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir(), Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sum := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	d := &store.Device{ID: "dev-1", Name: "n", Role: "secretary", Council: "NRN-ATB", Enrolled: time.Now().UTC()}
	update := func(fn func(cur *store.Device, x store.DirTx) error) {
		t.Helper()
		err := st.Update(ctx, func(x store.DirTx) error {
			cur, err := x.Device(d.ID)
			if err != nil {
				return err
			}
			if cur == nil {
				cur = d
			}
			if err := fn(cur, x); err != nil {
				return err
			}
			return x.PutDevice(cur)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	update(func(cur *store.Device, x store.DirTx) error { return x.SetToken(cur, sum("a")) })

	got, err := st.DeviceByToken(ctx, sum("a"))
	if err != nil || got.Name != "n" {
		t.Fatalf("by its token: %+v, %v", got, err)
	}
	if d, _ := st.tokens.Get(sum("a")); d == nil {
		t.Fatal("the answer is not kept")
	}
	// Each answer is the caller's own.
	got.Name, got.TokenHash[0] = "changed", got.TokenHash[0]^1
	again, err := st.DeviceByToken(ctx, sum("a"))
	if err != nil || again.Name != "n" || again.TokenHash[0] == got.TokenHash[0] {
		t.Fatalf("a kept answer changed through an earlier caller's copy: %+v, %v", again, err)
	}

	// Writes while laptops authenticate at once.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := st.DeviceByToken(ctx, sum("a")); err != nil && !errors.Is(err, ErrNotFound) {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range 50 {
		revoked := i%2 == 0
		update(func(cur *store.Device, _ store.DirTx) error { cur.Revoked = revoked; return nil })
		if got, err := st.DeviceByToken(ctx, sum("a")); err != nil || got.Revoked != revoked {
			t.Fatalf("write %d: revoked %v, then by its token: %+v, %v", i, revoked, got, err)
		}
	}
	update(func(cur *store.Device, x store.DirTx) error { cur.Role = "central"; return x.SetToken(cur, sum("b")) })
	close(stop)
	wg.Wait()
	if _, err := st.DeviceByToken(ctx, sum("a")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the replaced token still works: %v", err)
	}
	if got, err := st.DeviceByToken(ctx, sum("b")); err != nil || got.Role != "central" {
		t.Fatalf("the new token: %+v, %v", got, err)
	}

	// An answer read before a write is not kept after it.
	dev, gen := st.tokens.Get(sum("c"))
	if dev != nil {
		t.Fatal("an unknown token kept")
	}
	update(func(cur *store.Device, _ store.DirTx) error { return nil })
	st.tokens.Put(sum("c"), gen, d)
	if dev, _ := st.tokens.Get(sum("c")); dev != nil {
		t.Fatal("an answer read before a write was kept after it")
	}
}

// BenchmarkDeviceByToken: a laptop's authentication, from the cache and
// read from Badger (the cache emptied before each, as every call was
// before it), from many goroutines at once.
func BenchmarkDeviceByToken(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, b.TempDir(), Options{Small: true, MinFree: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	sum := sha256.Sum256([]byte("tok"))
	d := &store.Device{ID: "dev-1", Name: "laptop 1", Role: "secretary", Council: "NRN-ATB", Enrolled: time.Now().UTC(), DeviceName: "HP ProBook"}
	err = st.Update(ctx, func(x store.DirTx) error {
		if err := x.SetToken(d, sum); err != nil {
			return err
		}
		return x.PutDevice(d)
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, cached := range []bool{true, false} {
		name := map[bool]string{true: "cached", false: "read"}[cached]
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(50)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if !cached {
						st.tokens.Forget()
					}
					if _, err := st.DeviceByToken(ctx, sum); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
