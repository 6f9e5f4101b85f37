package public

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
	"github.com/kenesh/kenesh/syncserver/internal/middleware"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Prefix is where the public pages are served.
const Prefix = "/public/"

// DefaultLicence is the licence of the open data unless configured.
const DefaultLicence = "CC BY 4.0"

// SubmitFunc makes a web submission, durably, bound to the hash of its
// tracking code (ingest.Ingester.Submit).
type SubmitFunc func(ctx context.Context, s *domain.Submission, code [32]byte, maxWaiting int) error

const htmlType = "text/html; charset=utf-8"

// Config wires the public side to the server.
type Config struct {
	// Store is the public projection: all the pages read.
	Store store.Public
	// Submit makes web submissions; nil serves the register without the
	// form.
	Submit SubmitFunc
	Logger *slog.Logger
	Now    func() time.Time // nil: time.Now
	// Licence of the open data (default DefaultLicence).
	Licence string
	// Guard is the form's protection against abuse (guard.go).
	Guard GuardConfig
	// CacheBytes bounds the pages kept made (default 64 MiB).
	CacheBytes int
}

// Handler serves everything under Prefix.
type Handler struct {
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	cat   *refdata.Catalog
	msgs  messages
	views *views
	tpl   map[string]*template.Template
	guard *guard
	cache *pageCache
	css   []byte
	cssET string
	chain http.Handler

	// The store's challenge switch, when it keeps one for every process
	// (store.ChallengeSwitch), and when this process last read it (Unix
	// nanoseconds; one reader at a time).
	sw     store.ChallengeSwitch
	swMu   sync.Mutex
	swRead atomic.Int64
}

//go:embed templates/*.html templates/style.css
var files embed.FS

// maxBody bounds a request's body: the form, whose fields together are
// under 8 KB of text (16 KB as UTF-8), with room for encoding.
const maxBody = 64 << 10

// New builds the public handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Store == nil {
		return nil, errors.New("public: a store is required")
	}
	h := &Handler{cfg: cfg, log: cfg.Logger, now: cfg.Now, cat: refdata.Default()}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.cfg.Licence == "" {
		h.cfg.Licence = DefaultLicence
	}
	var err error
	if h.msgs, err = loadMessages(); err != nil {
		return nil, err
	}
	if h.tpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	if h.css, err = files.ReadFile("templates/style.css"); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(h.css)
	h.cssET = `"` + hex.EncodeToString(sum[:8]) + `"`
	h.views = &views{st: cfg.Store, now: h.now}
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = 64 << 20
	}
	h.cache = newPageCache(cfg.CacheBytes)
	if h.guard, err = newGuard(cfg.Guard, h.now); err != nil {
		return nil, err
	}
	if sw, ok := cfg.Store.(store.ChallengeSwitch); ok && cfg.Submit != nil {
		h.sw = sw
		if h.cfg.Guard.ChallengeEvery <= 0 {
			h.cfg.Guard.ChallengeEvery = 5 * time.Second
		}
	}
	recovered := middleware.Recover(http.HandlerFunc(h.route), h.log, func(w http.ResponseWriter, r *http.Request) {
		middleware.InfoOf(r).Code = "internal"
		h.message(w, r, h.langOf(r), http.StatusInternalServerError, "error.title", "error.text", false)
	})
	h.chain = middleware.Log(middleware.LimitBody(recovered, maxBody), middleware.LogOptions{Logger: h.log, Now: h.now})
	return h, nil
}

func parseTemplates() (map[string]*template.Template, error) {
	layout, err := template.ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, name := range []string{"list", "appeal", "stats", "data", "form", "track", "message", "competitions"} {
		t, err := template.Must(layout.Clone()).ParseFS(files, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// SetChallenge switches the form's challenge on or off while the server
// runs (an administrator's answer to spam that gets through the rest):
// forms shown from then on ask it, or do not; a form shown before it was
// switched on is given back with one. It lasts until the process ends,
// or, on a store that keeps the switch for every process, until this
// process reads that switch again (the caller turns it there too:
// admin.Local).
func (h *Handler) SetChallenge(on bool) { h.guard.challenge.Store(on) }

// followSwitch reads the store's challenge switch, when the store keeps
// one and this process's copy is older than Guard.ChallengeEvery, so that
// a switch turned by an administrator, or by another process, reaches
// this one's form within that time. Requests that come while another
// reads it go on with the copy; a failed read keeps the copy (and is
// tried again at the next request).
func (h *Handler) followSwitch(ctx context.Context) {
	if h.sw == nil {
		return
	}
	now := time.Now().UnixNano() // the copy's age is real time, whatever h.now says
	if last := h.swRead.Load(); last != 0 && now-last < int64(h.cfg.Guard.ChallengeEvery) {
		return
	}
	if !h.swMu.TryLock() {
		return
	}
	defer h.swMu.Unlock()
	on, err := h.sw.Challenge(ctx)
	if err != nil {
		h.log.Warn("the form's challenge switch not read: the form goes on as it was", "err", err)
		return
	}
	h.swRead.Store(now)
	if h.guard.challenge.Swap(on) != on {
		h.log.Info("the citizens' form's challenge switched", "on", on, "by", "the switch kept for every process")
	}
}

// HasForm says whether the handler serves the citizens' form.
func (h *Handler) HasForm() bool { return h.cfg.Submit != nil }

// Challenge says whether the form asks its challenge now.
func (h *Handler) Challenge() bool { return h.guard.challenge.Load() }

// ServeHTTP serves a request under Prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.chain.ServeHTTP(w, r) }

// req is one request as the router reads it.
type req struct {
	w      http.ResponseWriter
	r      *http.Request
	lang   string
	rest   string // the path after the prefix and language
	inPath bool   // the language came from the path
	canon  string // the query as the page understood it ("?oblast=KG-N"), for its links
}

// langOf is the language of r: its path's, else its Accept-Language.
func (h *Handler) langOf(r *http.Request) string {
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	if l, _, _ := strings.Cut(rest, "/"); validLang(l) {
		return l
	}
	return negotiate(r.Header.Get("Accept-Language"))
}

// route dispatches by path: /public/[LANG/]REST.
func (h *Handler) route(w http.ResponseWriter, r *http.Request) {
	q := &req{w: w, r: r}
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		rest = strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(Prefix, "/"))
	}
	if l, after, found := strings.Cut(rest, "/"); validLang(l) && (found || after == "") {
		q.lang, q.rest, q.inPath = l, after, true
	} else if validLang(rest) {
		q.lang, q.rest, q.inPath = rest, "", true
	} else {
		q.lang, q.rest = negotiate(r.Header.Get("Accept-Language")), rest
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case q.rest == "":
		h.need(q, get, h.list)
	case q.rest == "stats":
		h.need(q, get, h.statsPage)
	case q.rest == "data":
		h.need(q, get, h.dataPage)
	case q.rest == "competitions":
		h.need(q, get, h.competitionsPage)
	case q.rest == "appeals.json":
		h.need(q, get, h.appealsJSON)
	case q.rest == "appeals.csv":
		h.need(q, get, h.appealsCSV)
	case q.rest == "feed.atom":
		h.need(q, get, h.feed)
	case q.rest == "style.css":
		h.need(q, get, h.style)
	case strings.HasPrefix(q.rest, "appeals/"):
		h.need(q, get, h.appealPage)
	case q.rest == "appeal" && h.cfg.Submit != nil:
		h.followSwitch(r.Context())
		if r.Method == http.MethodPost {
			h.submit(q)
		} else {
			h.need(q, get, h.form)
		}
	case q.rest == "track" && h.cfg.Submit != nil:
		h.need(q, get, h.trackLookup)
	case strings.HasPrefix(q.rest, "track/") && h.cfg.Submit != nil:
		h.need(q, get, h.track)
	case strings.HasPrefix(q.rest, "challenge/") && h.cfg.Submit != nil:
		h.need(q, get, h.challenge)
	default:
		h.notFound(q)
	}
}

// need serves q with fn when ok (the method fits), else 405.
func (h *Handler) need(q *req, ok bool, fn func(*req)) {
	if !ok {
		q.w.Header().Set("Allow", "GET, HEAD")
		h.message(q.w, q.r, q.lang, http.StatusMethodNotAllowed, "notfound.title", "notfound.text", false)
		return
	}
	fn(q)
}

func (h *Handler) notFound(q *req) {
	h.message(q.w, q.r, q.lang, http.StatusNotFound, "notfound.title", "notfound.text", false)
}

// page is what every HTML page's template gets.
type page struct {
	T       tr
	Lang    string
	Title   string
	Nav     string
	Licence string
	Static  bool
	Feed    bool
	Langs   []langLink
	Body    any
	links   links
}

type langLink struct {
	Code, Name, Href string
	Current          bool
}

var langNames = map[string]string{"ky": "Кыргызча", "ru": "Русский", "en": "English"}

// L is the address of a named page in this page's language (links.go).
func (p *page) L(name string, arg ...string) string { return p.links.href(p.Lang, name, arg...) }

func (h *Handler) tr(lang string) tr { return tr{lang: lang, m: h.msgs[lang]} }

func (h *Handler) newPage(q *req, nav, title string, body any) *page {
	p := &page{T: h.tr(q.lang), Lang: q.lang, Title: title, Nav: nav, Licence: h.cfg.Licence, Body: body,
		links: serverLinks{submit: h.cfg.Submit != nil}, Feed: true}
	for _, l := range Languages {
		// The same page in another language: its path, and the query as
		// the page read it (never what was typed, echoed back).
		href := Prefix + l + "/" + q.rest + q.canon
		p.Langs = append(p.Langs, langLink{Code: l, Name: langNames[l], Href: href, Current: l == q.lang})
	}
	return p
}

// Writers and buffers are pooled: a new gzip writer allocates (and
// clears) over 800 KB, which was most of a page's cost.
var (
	gzipWriters = sync.Pool{New: func() any { zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed); return zw }}
	bufs        = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// render writes a page with its template, status and caching: a nil
// validator is a page never cached (the form, tracking, messages).
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page, cache *validator) {
	buf := bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufs.Put(buf)
	if err := h.tpl[name].ExecuteTemplate(buf, "layout", p); err != nil {
		h.log.Error("public page", "page", name, "err", err)
		if name != "message" {
			h.message(w, r, p.Lang, http.StatusInternalServerError, "error.title", "error.text", false)
		}
		return
	}
	h.write(w, r, status, "text/html; charset=utf-8", buf.Bytes(), cache)
}

// pageCaching lets browsers and proxies keep a page but ask each time
// whether it is still the same (a 304 of a few bytes when it is): an
// appeal central staff unpublish is gone at once, not a minute later from
// a cache on the way.
const pageCaching = "public, no-cache"

// validator is what a cacheable answer is revalidated by.
type validator struct {
	etag     string
	modified time.Time
}

// viewValidator names an answer made from view v for request q: the
// projection's version and day, the language, the path and the query as
// the page understood it (q.canon: a query of unknown or invalid values
// is the same answer, under the same tag and in the same cache entry, so
// that made-up queries neither fill the page cache nor defeat it).
func viewValidator(v *view, q *req, kind string) *validator {
	hsh := sha256.New()
	fmt.Fprintf(hsh, "%d|%d|%s|%s|%s|%s|%s", v.stamp.N, v.stamp.At.UnixMilli(), v.today, q.lang, kind, q.rest, q.canon)
	return &validator{etag: `W/"` + hex.EncodeToString(hsh.Sum(nil)[:12]) + `"`, modified: v.stamp.At}
}

// securityHeaders go on every answer: a strict policy (no script at all,
// styles and images from here only, forms posted here only), no framing,
// no sniffing, and no referrer (a tracking page's address holds its code).
func securityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
}

// write answers with body: security headers, caching (a 304 when the
// client holds it), and gzip when the client takes it.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, status int, ctype string, body []byte, cache *validator) {
	securityHeaders(w)
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Add("Vary", "Accept-Encoding, Accept-Language")
	if cache == nil {
		hd.Set("Cache-Control", "no-store")
	} else if status == http.StatusOK {
		hd.Set("Cache-Control", pageCaching)
		hd.Set("ETag", cache.etag)
		if !cache.modified.IsZero() {
			hd.Set("Last-Modified", cache.modified.UTC().Format(http.TimeFormat))
		}
		if notModified(r, cache) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if len(body) > 1024 && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		zw := gzipWriters.Get().(*gzip.Writer)
		gz := bufs.Get().(*bytes.Buffer)
		gz.Reset()
		zw.Reset(gz)
		zw.Write(body)
		zw.Close()
		gzipWriters.Put(zw)
		defer bufs.Put(gz)
		hd.Set("Content-Encoding", "gzip")
		body = gz.Bytes()
	}
	hd.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func notModified(r *http.Request, v *validator) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimSpace(t)
			if t == v.etag || t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(v.etag, "W/") {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !v.modified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !v.modified.Truncate(time.Second).After(t) {
			return true
		}
	}
	return false
}

// message answers with a page of a title and a sentence: not found,
// refusals, errors. It reads nothing but its words.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, lang string, status int, title, text string, again bool, args ...any) {
	q := &req{w: w, r: r, lang: lang, rest: ""}
	t := h.tr(lang)
	body := struct {
		Title, Text string
		Again       bool
	}{t.T(title), t.T(text, args...), again}
	p := h.newPage(q, "", body.Title, body)
	h.render(w, r, status, "message", p, nil)
}

func (h *Handler) style(q *req) {
	securityHeaders(q.w)
	hd := q.w.Header()
	hd.Set("Content-Type", "text/css; charset=utf-8")
	hd.Set("Cache-Control", "public, max-age=86400")
	hd.Set("ETag", h.cssET)
	if notModified(q.r, &validator{etag: h.cssET}) {
		q.w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Length", fmt.Sprint(len(h.css)))
	if q.r.Method != http.MethodHead {
		q.w.Write(h.css)
	}
}

// randomBytes fills b from crypto/rand (which does not fail).
func randomBytes(b []byte) []byte { rand.Read(b); return b }
