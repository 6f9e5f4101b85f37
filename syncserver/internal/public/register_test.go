package public

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// noPrivate fails when an answer holds anything only a private field holds.
func noPrivate(t *testing.T, what string, a answer) {
	t.Helper()
	for _, p := range private {
		if strings.Contains(a.body, p) {
			i := strings.Index(a.body, p)
			t.Errorf("%s: the answer holds %q: …%s…", what, p, a.body[max(0, i-80):min(len(a.body), i+80)])
		}
	}
	for k, vs := range a.header {
		for _, v := range vs {
			for _, p := range private {
				if strings.Contains(v, p) {
					t.Errorf("%s: header %s holds %q", what, k, p)
				}
			}
		}
	}
	if c := a.header.Get("Set-Cookie"); c != "" {
		t.Errorf("%s: sets a cookie: %s", what, c)
	}
}

// Every page and feed, in every language, as a stranger walks them: each
// answers, in its language, with the security headers, under 30 KB; the
// published appeals are there and nothing else.
func TestStrangerWalksTheRegister(t *testing.T) {
	w := newWorld(t, GuardConfig{})
	w.populate()
	pages := []string{"", "stats", "data", "appeal", "track", "feed.atom", "appeals.json", "appeals.csv", "style.css",
		"?oblast=KG-N", "?category=labour&status=answered&year=2026", "?oblast=KG-N&district=KG-N-ATB", "?page=1"}
	for _, a := range w.appeals {
		if a.public {
			pages = append(pages, "appeals/"+a.regNo)
		}
	}
	for _, lang := range Languages {
		for _, p := range pages {
			path := Prefix + lang + "/" + p
			a := w.get(path)
			if a.status != http.StatusOK {
				t.Errorf("%s: %d", path, a.status)
				continue
			}
			noPrivate(t, path, a)
			if len(a.body) > 30<<10 && !strings.HasSuffix(p, ".json") && !strings.HasSuffix(p, ".csv") {
				t.Errorf("%s: %d bytes, over 30 KB", path, len(a.body))
			}
			if ct := a.header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
				if !strings.Contains(a.body, `<html lang="`+lang+`">`) {
					t.Errorf("%s: not in %s", path, lang)
				}
				if strings.Contains(a.body, "<script") || strings.Contains(a.body, " style=") || strings.Contains(a.body, " on") && strings.Contains(a.body, "onclick") {
					t.Errorf("%s: script or inline style", path)
				}
				csp := a.header.Get("Content-Security-Policy")
				if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") || a.header.Get("X-Frame-Options") != "DENY" {
					t.Errorf("%s: headers %v", path, a.header)
				}
				if strings.Contains(a.body, "site.name") || strings.Contains(a.body, "form.") && strings.Contains(a.body, ".err.") {
					t.Errorf("%s: a translation key shows instead of its text", path)
				}
			}
		}
	}
	// The list and the data hold exactly the published appeals.
	list := w.get(Prefix + "en/")
	var data struct {
		Schema, Licence string
		Appeals         []map[string]any
	}
	js := w.get(Prefix + "appeals.json")
	if err := json.Unmarshal([]byte(js.body), &data); err != nil {
		t.Fatal(err)
	}
	if data.Schema != Schema || data.Licence != DefaultLicence {
		t.Errorf("appeals.json: schema %q, licence %q", data.Schema, data.Licence)
	}
	inJSON := map[string]bool{}
	for _, a := range data.Appeals {
		inJSON[a["reg_no"].(string)] = true
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.get(Prefix+"appeals.csv").body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	inCSV := map[string]bool{}
	for _, r := range rows[1:] {
		inCSV[r[0]] = true
	}
	var feed struct {
		Entries []struct {
			ID string `xml:"id"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(w.get(Prefix+"en/feed.atom").body), &feed); err != nil {
		t.Fatal(err)
	}
	inFeed := map[string]bool{}
	for _, e := range feed.Entries {
		inFeed[e.ID[strings.LastIndex(e.ID, "/")+1:]] = true
	}
	for name, a := range w.appeals {
		page := w.get(Prefix + "en/appeals/" + a.regNo)
		if got := page.status == http.StatusOK; got != a.public {
			t.Errorf("%s: its page answers %d", name, page.status)
		}
		for where, in := range map[string]bool{"list": strings.Contains(list.body, a.regNo), "json": inJSON[a.regNo], "csv": inCSV[a.regNo], "feed": inFeed[a.regNo]} {
			if in != a.public {
				t.Errorf("%s (public %v) in the %s: %v", name, a.public, where, in)
			}
		}
	}
	if len(data.Appeals) != 3 || len(rows) != 4 || len(feed.Entries) != 3 {
		t.Errorf("%d appeals in JSON, %d rows in CSV, %d entries in the feed; want 3", len(data.Appeals), len(rows)-1, len(feed.Entries))
	}
	// The name only with consent.
	if named := w.get(Prefix + "en/appeals/" + w.appeals["consented"].regNo); !strings.Contains(named.body, "Асанова Айгүл") {
		t.Error("the consented name is not on its page")
	}
	if !strings.Contains(w.get(Prefix+"en/appeals/"+w.appeals["published"].regNo).body, "not named") {
		t.Error("an appeal without consent does not say its appellant is not named")
	}
}

// Whatever the URL or query, no answer holds a private field: every
// record's id and number, in every language, with and without the
// language in the path, filters with private text, paths with dots and
// escapes, methods other than GET.
func TestNoPrivateFieldInAnyAnswer(t *testing.T) {
	w := newWorld(t, GuardConfig{})
	w.populate()
	var paths []string
	for _, a := range w.appeals {
		paths = append(paths, "appeals/"+a.regNo, "appeals/"+a.id, "appeals/"+url.PathEscape(a.regNo)+"/", "track/"+a.id, "appeals/"+strings.ToLower(a.regNo))
	}
	paths = append(paths, "appeals/", "appeals/../../v1/sync", "..%2f..%2fdb", "appeals.json?reg_no=x", "stats?oblast=PRIVATE",
		"?oblast=KG-N&category=police_justice&status=verified&year=2026&page=2", "?status=received", "?status=fact_checking",
		"?text=PRIVATE-NAME", "?page=99999", "track?code=PRIVATE", "track/AAAAA-AAAAA", "challenge/x.png", "nothing", "appeal/x", "ky/ru/en")
	for _, p := range paths {
		for _, prefix := range []string{Prefix, Prefix + "ky/", Prefix + "ru/", Prefix + "en/"} {
			for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete} {
				req, _ := http.NewRequest(method, w.srv.URL+prefix+p, strings.NewReader("summary=PRIVATE"))
				req.Header.Set("Accept-Language", "ru")
				a := w.do(req)
				noPrivate(t, method+" "+prefix+p, a)
				if a.status == http.StatusInternalServerError {
					t.Errorf("%s %s%s: 500", method, prefix, p)
				}
			}
		}
	}
	// Statuses that may not be published filter to nothing.
	if a := w.get(Prefix + "en/?status=fact_checking"); !strings.Contains(a.body, "Found: 3") {
		t.Error("a filter by a status that is never published narrowed the list")
	}
}

// The language comes from the path, else from Accept-Language, else
// Kyrgyz; every page links to itself in the other languages.
func TestLanguageChoice(t *testing.T) {
	w := newWorld(t, GuardConfig{})
	for _, tc := range []struct{ path, accept, want string }{
		{Prefix, "", "ky"}, {Prefix, "ru-RU,ru;q=0.9,en;q=0.8", "ru"}, {Prefix, "en-GB,en;q=0.9", "en"},
		{Prefix, "de-DE,de;q=0.9,en;q=0.5,ru;q=0.4", "en"}, {Prefix, "fr", "ky"}, {Prefix + "ru/", "en", "ru"},
		{Prefix + "en/stats", "ky", "en"}, {Prefix + "stats", "ru;q=0.1,en;q=0.9", "en"}, {Prefix + "ky", "en", "ky"},
	} {
		a := w.get(tc.path, "Accept-Language", tc.accept)
		if a.status != http.StatusOK || !strings.Contains(a.body, `<html lang="`+tc.want+`">`) {
			t.Errorf("%s with %q: %d, want %s", tc.path, tc.accept, a.status, tc.want)
		}
	}
	a := w.get(Prefix + "ru/stats")
	for _, l := range []string{"ky", "en"} {
		if !strings.Contains(a.body, `href="/public/`+l+`/stats"`) {
			t.Errorf("no link to the page in %s", l)
		}
	}
}

// Pages are cacheable and revalidated cheaply; a publication changes them
// at once.
func TestCaching(t *testing.T) {
	w := newWorld(t, GuardConfig{})
	w.populate()
	a := w.get(Prefix + "en/")
	etag, lm := a.header.Get("ETag"), a.header.Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatalf("no validators: %v", a.header)
	}
	// Kept, but asked again each time: an unpublished appeal must not be
	// served by a cache on the way.
	for _, p := range []string{"en/", "en/appeals/" + w.appeals["published"].regNo, "ru/stats", "appeals.json", "ky/feed.atom"} {
		if cc := w.get(Prefix + p).header.Get("Cache-Control"); cc != "public, no-cache" {
			t.Errorf("%s: Cache-Control %q", p, cc)
		}
	}
	if b := w.get(Prefix+"en/", "If-None-Match", etag); b.status != http.StatusNotModified || b.body != "" {
		t.Fatalf("If-None-Match: %d", b.status)
	}
	if b := w.get(Prefix+"en/", "If-Modified-Since", lm); b.status != http.StatusNotModified {
		t.Fatalf("If-Modified-Since: %d", b.status)
	}
	if b := w.get(Prefix+"ru/", "If-None-Match", etag); b.status != http.StatusOK {
		t.Fatalf("another language with the same tag: %d", b.status)
	}
	if g := w.get(Prefix+"en/", "Accept-Encoding", "gzip"); g.header.Get("Content-Encoding") != "gzip" || len(g.body) >= len(a.body) {
		t.Fatalf("gzip: %q, %d bytes of %d", g.header.Get("Content-Encoding"), len(g.body), len(a.body))
	}
	// Publishing one more: the old tag no longer holds, the new appeal is there.
	w.central.push("appeal", w.appeals["ready"].id, "", "update", map[string]any{"published": true})
	b := w.get(Prefix+"en/", "If-None-Match", etag)
	if b.status != http.StatusOK || !strings.Contains(b.body, w.appeals["ready"].regNo) {
		t.Fatalf("after a publication: %d, holds it %v", b.status, strings.Contains(b.body, w.appeals["ready"].regNo))
	}
	// And unpublishing takes it off at once.
	w.central.push("appeal", w.appeals["ready"].id, "", "update", map[string]any{"published": false})
	if c := w.get(Prefix + "en/appeals/" + w.appeals["ready"].regNo); c.status != http.StatusNotFound {
		t.Fatalf("unpublished: %d", c.status)
	}
	if c := w.get(Prefix + "en/appeal"); c.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the form is cacheable: %q", c.header.Get("Cache-Control"))
	}
}

// Statistics show small counts as "fewer than 3".
func TestStatsHideSmallCounts(t *testing.T) {
	w := newWorld(t, GuardConfig{})
	w.populate()
	a := w.get(Prefix + "en/stats")
	if !strings.Contains(a.body, "fewer than 3") || !strings.Contains(a.body, "Published appeals: 3") {
		t.Fatalf("stats:\n%s", a.body)
	}
	for _, n := range []string{">1<", ">2<"} {
		if strings.Contains(a.body, n) {
			t.Errorf("a count below 3 shows: %s", n)
		}
	}
	ky := w.get(Prefix + "ky/stats")
	if !strings.Contains(ky.body, "3төн аз") {
		t.Error("no 'fewer than 3' in Kyrgyz")
	}
}
