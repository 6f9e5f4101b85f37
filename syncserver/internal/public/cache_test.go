package public

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// The cache holds at most its bytes, drops the least recently used first,
// and keeps no answer larger than an eighth of it.
func TestPageCacheBounds(t *testing.T) {
	c := newPageCache(1000)
	entry := func(k string, n int) *cached { return &cached{key: k, raw: make([]byte, n-len(k))} }
	for i := range 5 {
		c.put(entry(fmt.Sprint("k", i), 100))
	}
	if c.get("k0") == nil { // k0 is now the most recently used
		t.Fatal("k0 lost while the cache was under its bytes")
	}
	for i := 5; i < 10; i++ {
		c.put(entry(fmt.Sprint("k", i), 100))
	}
	c.put(entry("k10", 100)) // 1,100 bytes: the least recently used goes
	if c.size > c.max {
		t.Fatalf("%d bytes held, at most %d", c.size, c.max)
	}
	if c.get("k1") != nil || c.get("k0") == nil || c.get("k10") == nil {
		t.Errorf("evicted the wrong entry: k1 %v, k0 %v, k10 %v", c.get("k1") != nil, c.get("k0") != nil, c.get("k10") != nil)
	}
	c.put(entry("big", 200))
	if c.get("big") != nil {
		t.Error("an answer over an eighth of the cache was kept")
	}
}

// An answer served again is the same bytes under the same tag; a query of
// unknown parameters or values is the same answer and the same cache
// entry as without it (made-up queries cannot fill the cache); a list page
// past the last is a 404, not kept.
func TestPageCacheServes(t *testing.T) {
	w := newWorld(t, GuardConfig{})
	w.populate()
	for _, path := range []string{"en/", "ru/stats", "ky/appeals/" + w.appeals["published"].regNo, "appeals.json", "en/feed.atom"} {
		a, b := w.get(Prefix+path), w.get(Prefix+path)
		if a.status != http.StatusOK || a.body != b.body || a.header.Get("ETag") != b.header.Get("ETag") {
			t.Errorf("%s: served again differs: %d, same body %v, tags %s %s", path, a.status, a.body == b.body, a.header.Get("ETag"), b.header.Get("ETag"))
		}
		g := w.get(Prefix+path, "Accept-Encoding", "gzip")
		if len(a.body) > 1024 && g.header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: a cached answer was not sent gzipped", path)
		}
	}
	entries := func() int { w.h.cache.mu.Lock(); defer w.h.cache.mu.Unlock(); return len(w.h.cache.byKey) }
	plain := w.get(Prefix + "en/?oblast=KG-N")
	before := entries()
	for _, q := range []string{"&x=1", "&x=2", "&oblast=nowhere", "&category=PRIVATE", "&page=0", "&page=-3", "&year=1900"} {
		a := w.get(Prefix + "en/?oblast=KG-N" + q)
		if a.status != http.StatusOK || a.header.Get("ETag") != plain.header.Get("ETag") {
			t.Errorf("?oblast=KG-N%s: %d, tag %s, want %s", q, a.status, a.header.Get("ETag"), plain.header.Get("ETag"))
		}
	}
	if n := entries(); n != before {
		t.Errorf("made-up queries added %d cache entries", n-before)
	}
	past := w.get(Prefix + "en/?page=50")
	if past.status != http.StatusNotFound || past.header.Get("ETag") != "" || past.header.Get("Cache-Control") != "no-store" {
		t.Errorf("past the last page: %d, tag %q, cache %q", past.status, past.header.Get("ETag"), past.header.Get("Cache-Control"))
	}
	if v := past.header.Values("Vary"); len(v) != 1 {
		t.Errorf("Vary %q", v)
	}
	if !strings.Contains(past.body, `<html lang="en">`) {
		t.Error("the 404 is not in the page's language")
	}
	if n := entries(); n != before {
		t.Errorf("a 404 was kept in the cache")
	}
}
