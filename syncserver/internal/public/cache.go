package public

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// pageCache keeps answers made from a view of the projection, as sent
// (plain and gzipped), by their validator (which names the projection's
// version, the day, the language, the path and the query): an answer is
// made once per version of what the public may see, and a publication
// makes a new version, so nothing stale is ever served. Least recently
// used answers go first when the cache holds more than its bytes.
type pageCache struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // of *cached, most recent first
	byKey map[string]*list.Element
}

type cached struct {
	key     string
	raw, gz []byte // gz is nil for a small answer, sent as it is
	ctype   string
}

func newPageCache(maxBytes int) *pageCache {
	return &pageCache{max: maxBytes, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *pageCache) get(key string) *cached {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached)
}

func (c *pageCache) put(p *cached) {
	n := len(p.raw) + len(p.gz) + len(p.key)
	if n > c.max/8 {
		return // the whole register as JSON: made for each request
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[p.key]; ok {
		return
	}
	c.byKey[p.key] = c.order.PushFront(p)
	c.size += n
	for c.size > c.max {
		last := c.order.Back()
		old := last.Value.(*cached)
		c.order.Remove(last)
		delete(c.byKey, old.key)
		c.size -= len(old.raw) + len(old.gz) + len(old.key)
	}
}

// errGone is what a page maker returns for a page that is not there (a
// list page past the last): the answer is a 404, not cached.
var errGone = errors.New("no such page")

// serveCached answers with the page val names: 304 when the client holds
// it, from the cache, or made by make (then kept).
func (h *Handler) serveCached(q *req, ctype string, val *validator, make func() ([]byte, error)) {
	w, r := q.w, q.r
	securityHeaders(w)
	hd := w.Header()
	hd.Add("Vary", "Accept-Encoding, Accept-Language")
	hd.Set("Cache-Control", pageCaching)
	hd.Set("ETag", val.etag)
	if !val.modified.IsZero() {
		hd.Set("Last-Modified", val.modified.UTC().Format(http.TimeFormat))
	}
	if notModified(r, val) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	p := h.cache.get(val.etag)
	if p == nil {
		body, err := make()
		if errors.Is(err, errGone) {
			for _, k := range []string{"ETag", "Last-Modified", "Cache-Control", "Vary"} {
				hd.Del(k)
			}
			h.notFound(q)
			return
		}
		if err != nil {
			h.fail(q, err)
			return
		}
		p = &cached{key: val.etag, raw: body, ctype: ctype}
		if len(body) > 1024 {
			var gz bytes.Buffer
			zw := gzipWriters.Get().(*gzip.Writer)
			zw.Reset(&gz)
			zw.Write(body)
			zw.Close()
			gzipWriters.Put(zw)
			p.gz = gz.Bytes()
		}
		h.cache.put(p)
	}
	hd.Set("Content-Type", p.ctype)
	body := p.raw
	if p.gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		hd.Set("Content-Encoding", "gzip")
		body = p.gz
	}
	hd.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// execute renders a page with its template.
func (h *Handler) execute(name string, p *page) ([]byte, error) {
	var buf bytes.Buffer
	if err := h.tpl[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		return nil, fmt.Errorf("page %s: %w", name, err)
	}
	return buf.Bytes(), nil
}
