package public

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/ingest"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// world is a server's store with councils and appeals in every state of
// publication, the ingester that made them, and the public handler on it.
type world struct {
	t       testing.TB
	st      store.Store
	ing     *ingest.Ingester
	h       *Handler
	srv     *httptest.Server
	sec     map[string]*writer // by council
	central *writer
	now     time.Time
	// appeals by name (published, unconsented, ready, unpublished, ...)
	appeals map[string]fixtureAppeal
}

type fixtureAppeal struct {
	id, regNo string
	public    bool // the register shows it
}

// private are strings only private fields hold: none may reach any answer.
var private = []string{"PRIVATE", "+996 700", "secret@example.kg", "21234567890123", "Тайна-айылы", "Жашыруун"}

type writer struct {
	t     testing.TB
	g     *ingest.Ingester
	dev   *store.Device
	seq   uint64
	clock *hlc.Clock
}

func (w *writer) push(kind, id, council, action string, fields map[string]any) {
	w.t.Helper()
	w.seq++
	f := map[string]syncproto.WireChange{}
	for k, v := range fields {
		b, _ := json.Marshal(v)
		f[k] = syncproto.WireChange{V: b}
	}
	res, err := w.g.Push(context.Background(), w.dev, []syncproto.WireOp{{Device: w.dev.ID, Seq: w.seq, HLC: uint64(w.clock.Now()),
		Kind: kind, Record: id, Council: council, Action: action, Author: "x", Fields: f}})
	if err != nil {
		w.t.Fatal(err)
	}
	if len(res.Refused) > 0 {
		w.t.Fatalf("refused: %+v", res.Refused)
	}
}

func newWorld(t testing.TB, guard GuardConfig) *world {
	t.Helper()
	st, err := badgerstore.Open(context.Background(), t.TempDir(), badgerstore.Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newWorldOn(t, guard, st)
}

// newWorldOn is newWorld on an open store of any engine.
func newWorldOn(t testing.TB, guard GuardConfig, st store.Store) *world {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	ing, err := ingest.Open(ctx, st, ingest.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, st: st, ing: ing, sec: map[string]*writer{}, now: time.Now(), appeals: map[string]fixtureAppeal{}}
	for _, c := range []domain.Council{
		{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"},
		{Code: "OSH-ARA", Name: "Араван коомдук кеңеши", Oblast: "KG-O"},
		{Code: "CHU-ALA", Name: "Аламүдүн коомдук кеңеши", Oblast: "KG-C"},
	} {
		if _, err := ing.AddCouncil(ctx, c); err != nil {
			t.Fatal(err)
		}
		w.sec[c.Code] = &writer{t: t, g: ing, dev: &store.Device{ID: domain.NewID(), Name: "sec " + c.Code, Role: domain.RoleSecretary, Council: c.Code}, clock: hlc.NewClock(0, time.Now)}
	}
	w.central = &writer{t: t, g: ing, dev: &store.Device{ID: domain.NewID(), Name: "central", Role: domain.RoleCentral}, clock: hlc.NewClock(0, time.Now)}
	if guard.MinFill == 0 {
		guard.MinFill = time.Nanosecond
	}
	w.h, err = New(Config{Store: st, Submit: ing.Submit, Logger: log, Guard: guard})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(Prefix, w.h)
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	return w
}

// appealFields is a whole appeal of council c, every private field filled
// with a marker of its own.
func appealFields(c, regNo, status string, n int) map[string]any {
	oblast, district := map[string]string{"NRN-ATB": "KG-N", "OSH-ARA": "KG-O", "CHU-ALA": "KG-C"}[c], ""
	if c == "NRN-ATB" {
		district = "KG-N-ATB"
	}
	f := map[string]any{"council": c, "reg_no": regNo, "received_on": "2026-11-02", "registered_on": "2026-11-03",
		"channel": "phone", "oblast": oblast, "category": []string{"police_justice", "labour", "land_property", "health"}[n%4],
		"authority": "police", "authority_name": "PRIVATE-AUTHORITY-NAME", "summary": "PRIVATE-SUMMARY " + regNo,
		"description": "PRIVATE-DESCRIPTION Жашыруун", "village": "Тайна-айылы", "status": status, "status_note": "PRIVATE-NOTE",
		"appellant": map[string]any{"name": "PRIVATE-NAME " + regNo, "phone": "+996 700 123 456", "email": "secret@example.kg",
			"address": "PRIVATE-ADDRESS", "pin": "21234567890123"},
		"gender": "female", "vulnerable_groups": []string{"disability"},
		"public_summary": fmt.Sprintf("Милиция арызды каттоодон баш тартты (%d)", n)}
	if district != "" {
		f["district"] = district
	}
	switch status {
	case "verified", "referred", "answered", "closed":
		f["verified_on"] = "2026-11-05"
		f["ready_for_publication"] = true
	}
	if status == "answered" || status == "closed" {
		f["referred_to"], f["referred_on"], f["answered_on"], f["answer_summary"] = "PRIVATE-REFERRED", "2026-11-06", "2026-11-12", "PRIVATE-ANSWER"
	}
	if status == "closed" {
		f["closed_on"] = "2026-11-20"
	}
	return f
}

// populate makes appeals in every state of publication.
func (w *world) populate() {
	w.t.Helper()
	mk := func(name, council string, n int, status string, public bool, after func(id string)) {
		id := domain.NewID()
		regNo := domain.FormatRegNo(council, 2026, "K7QH", uint64(n))
		w.sec[council].push(domain.KindAppeal, id, council, "create", appealFields(council, regNo, status, n))
		if after != nil {
			after(id)
		}
		w.appeals[name] = fixtureAppeal{id: id, regNo: regNo, public: public}
	}
	publish := func(id string) {
		w.central.push(domain.KindAppeal, id, "", "update", map[string]any{"published": true, "published_on": "2026-11-15"})
	}
	mk("published", "NRN-ATB", 1, "verified", true, publish)
	mk("consented", "NRN-ATB", 2, "closed", true, func(id string) {
		w.sec["NRN-ATB"].push(domain.KindAppeal, id, "NRN-ATB", "update", map[string]any{"publish_identity_consent": true,
			"appellant": map[string]any{"name": "Асанова Айгүл", "phone": "+996 700 123 456", "email": "secret@example.kg", "address": "PRIVATE-ADDRESS", "pin": "21234567890123"}})
		publish(id)
	})
	mk("answered", "OSH-ARA", 3, "answered", true, publish)
	mk("ready", "NRN-ATB", 4, "verified", false, nil)
	mk("unverified", "OSH-ARA", 5, "fact_checking", false, nil)
	mk("unpublished", "CHU-ALA", 6, "referred", false, func(id string) {
		publish(id)
		w.central.push(domain.KindAppeal, id, "", "update", map[string]any{"published": false})
	})
	mk("reopened", "CHU-ALA", 7, "verified", false, func(id string) {
		publish(id)
		w.sec["CHU-ALA"].push(domain.KindAppeal, id, "CHU-ALA", "update", map[string]any{"status": "under_review"})
	})
	mk("deleted", "NRN-ATB", 8, "closed", false, func(id string) {
		publish(id)
		w.sec["NRN-ATB"].push(domain.KindAppeal, id, "NRN-ATB", "delete", map[string]any{"_deleted": true})
	})
	mk("withdrawn", "OSH-ARA", 9, "verified", false, func(id string) {
		publish(id)
		w.sec["OSH-ARA"].push(domain.KindAppeal, id, "OSH-ARA", "update", map[string]any{"ready_for_publication": false})
	})
}

// client is a browser without cookies (the pages set none; a test checks).
func (w *world) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (w *world) get(path string, hdr ...string) answer {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.srv.URL+path, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return w.do(req)
}

func (w *world) post(path string, form url.Values, hdr ...string) answer {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return w.do(req)
}

func (w *world) do(req *http.Request) answer {
	w.t.Helper()
	resp, err := w.client().Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}
