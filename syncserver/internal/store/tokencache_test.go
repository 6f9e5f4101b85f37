package store

import (
	"bytes"
	"testing"
)

// TestTokenCache: what is kept and served, and what a Forget between a
// read and its Put leaves out.
func TestTokenCache(t *testing.T) {
	a, b := [32]byte{1}, [32]byte{2}
	dev := &Device{ID: "d1", Name: "Talas", TokenHash: []byte{9, 9}}
	for _, c := range []struct {
		name string
		run  func(c *TokenCache)
		want map[[32]byte]string // sum -> device id served; absent: none
	}{
		{"nothing kept", func(c *TokenCache) {}, nil},
		{"kept", func(c *TokenCache) {
			_, gen := c.Get(a)
			c.Put(a, gen, dev)
		}, map[[32]byte]string{a: "d1"}},
		{"read before a Forget, put after it", func(c *TokenCache) {
			_, gen := c.Get(a)
			c.Forget()
			c.Put(a, gen, dev)
		}, nil},
		{"forgotten", func(c *TokenCache) {
			_, gen := c.Get(a)
			c.Put(a, gen, dev)
			c.Put(b, gen, &Device{ID: "d2"})
			c.Forget()
		}, nil},
		{"read again after a Forget", func(c *TokenCache) {
			c.Forget()
			_, gen := c.Get(b)
			c.Put(b, gen, &Device{ID: "d2"})
		}, map[[32]byte]string{b: "d2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var tc TokenCache
			c.run(&tc)
			for _, sum := range [][32]byte{a, b} {
				got, _ := tc.Get(sum)
				want, ok := c.want[sum]
				switch {
				case !ok && got != nil:
					t.Errorf("%x: served %q, want nothing", sum[0], got.ID)
				case ok && (got == nil || got.ID != want):
					t.Errorf("%x: served %+v, want %q", sum[0], got, want)
				}
			}
			if tc.Len() != len(c.want) {
				t.Errorf("%d kept, want %d", tc.Len(), len(c.want))
			}
		})
	}
}

// TestTokenCacheCopies: a device goes in and out as a copy, so neither the
// caller who put it nor one who was served can change what is kept.
func TestTokenCacheCopies(t *testing.T) {
	var c TokenCache
	sum := [32]byte{7}
	dev := &Device{ID: "d1", Name: "Talas", TokenHash: []byte{1, 2}}
	_, gen := c.Get(sum)
	c.Put(sum, gen, dev)
	dev.Name, dev.TokenHash[0] = "changed", 0
	got, _ := c.Get(sum)
	got.Name, got.TokenHash[1] = "changed too", 0
	again, _ := c.Get(sum)
	if again.Name != "Talas" || !bytes.Equal(again.TokenHash, []byte{1, 2}) {
		t.Fatalf("the kept device changed through a caller's copy: %+v", again)
	}
}

// TestTokenCacheBound: past MaxTokenCache devices the cache starts again
// rather than grow.
func TestTokenCacheBound(t *testing.T) {
	var c TokenCache
	_, gen := c.Get([32]byte{})
	for i := range MaxTokenCache + 1 {
		c.Put([32]byte{byte(i), byte(i >> 8), byte(i >> 16)}, gen, &Device{ID: "d"})
	}
	if n := c.Len(); n != 1 {
		t.Fatalf("%d kept after %d, want 1 (started again)", n, MaxTokenCache+1)
	}
}
