package public

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// waiting counts the web submissions waiting in every council's inbox.
func (w *world) waiting(tb testing.TB) int {
	n := 0
	err := w.st.ReadPublic(context.Background(), func(r store.PublicReader) error {
		for _, c := range []string{"NRN-ATB", "OSH-ARA", "CHU-ALA"} {
			k, err := r.Waiting(c)
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// FuzzForm posts any body to the form, with a valid token or the one in
// the body: the handler never fails (no 500, no panic), never answers
// with a private field, and makes a web submission only when it sends the
// person to its tracking page.
func FuzzForm(f *testing.F) {
	w := newWorld(f, GuardConfig{PerAddress: -1, PerNetwork: -1, MaxWaiting: 1 << 30})
	w.populate()
	good := goodForm("")
	f.Add(good.Encode(), true)
	f.Add("council=oblast%3AKG-N&text=x&anonymous=1", true)
	f.Add("council=NRN-ATB&text=%ff%fe&name=%00&phone=1", true)
	f.Add("t=AAAA&website=x", false)
	f.Add("council="+strings.Repeat("%", 100), true)
	f.Add("text="+strings.Repeat("ө", 6000)+"&council=NRN-ATB&anonymous=1", true)
	f.Add("council=NRN-ATB&text=a&category=PRIVATE&authority=police&consent=1&anonymous=1&email=a@b.c", true)
	f.Fuzz(func(t *testing.T, body string, withToken bool) {
		if withToken {
			if v, err := url.ParseQuery(body); err == nil {
				token, _ := w.h.guard.issue()
				v.Set("t", token)
				body = v.Encode()
			}
		}
		before := w.waiting(t)
		sentTo := ""
		for _, lang := range []string{"ky", "en"} {
			r := httptest.NewRequest(http.MethodPost, Prefix+lang+"/appeal", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			w.h.ServeHTTP(rec, r)
			switch rec.Code {
			case http.StatusOK, http.StatusSeeOther, http.StatusBadRequest, http.StatusUnprocessableEntity,
				http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable:
			default:
				t.Fatalf("%s: status %d\n%s", lang, rec.Code, rec.Body.String())
			}
			for _, p := range private {
				if strings.Contains(rec.Body.String(), p) && !strings.Contains(body, url.QueryEscape(p)) && !strings.Contains(body, p) {
					t.Fatalf("%s: the answer holds %q", lang, p)
				}
			}
			after := w.waiting(t)
			made := after - before
			// The same form sent again goes to the tracking page of the
			// submission it made (with the other language's path).
			again := rec.Code == http.StatusSeeOther && made == 0 && sentTo != "" &&
				strings.Replace(rec.Header().Get("Location"), "/en/", "/ky/", 1) == sentTo
			if made != 0 && rec.Code != http.StatusSeeOther || rec.Code == http.StatusSeeOther && made != 1 && !again {
				t.Fatalf("%s: %d submissions made, answered %d", lang, made, rec.Code)
			}
			if rec.Code == http.StatusSeeOther && made == 1 {
				sentTo = rec.Header().Get("Location")
			}
			before = after
		}
	})
}

// FuzzRegisterURL asks the register any path and query, with any
// Accept-Language, by GET and HEAD: it never fails (no 500, no panic),
// answers 200, 304, 303, 404, 405 or 429 only, and no answer (body or header)
// holds a private field of any appeal, in any state, unless the request
// itself carried it.
func FuzzRegisterURL(f *testing.F) {
	w := newWorld(f, GuardConfig{})
	w.populate()
	for _, a := range w.appeals {
		f.Add("en/appeals/"+a.regNo, "", "ru")
		f.Add("appeals/"+a.id, "page=2", "")
	}
	for _, s := range []string{"", "ky/", "ru/stats", "en/data", "appeals.json", "appeals.csv", "ky/feed.atom", "style.css",
		"en/track", "en/track/ABCDE-FGHKM", "challenge/x.png", "ru/challenge/x.wav", "../v1/sync", "en/appeals/%2e%2e", "ky/ru/en/"} {
		f.Add(s, "oblast=KG-N&district=KG-N-ATB&category=labour&status=answered&year=2026&page=1", "ky-KG,ru;q=0.8")
	}
	f.Add("en/", "page=99999999999999999999&year=-1&oblast=%00", "*;q=x")
	f.Add("track", "code=PRIVATE", "en")
	f.Fuzz(func(t *testing.T, path, query, lang string) {
		u := &url.URL{Path: Prefix + path, RawQuery: query}
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			r, err := http.NewRequest(method, u.String(), nil)
			if err != nil {
				return // not a request a client can send
			}
			r.Header.Set("Accept-Language", lang)
			rec := httptest.NewRecorder()
			w.h.ServeHTTP(rec, r)
			switch rec.Code {
			case http.StatusOK, http.StatusNotModified, http.StatusSeeOther, http.StatusNotFound, http.StatusMethodNotAllowed,
				http.StatusTooManyRequests: // tracking lookups, from one address
			default:
				t.Fatalf("%s %q: status %d\n%s", method, u, rec.Code, rec.Body.String())
			}
			asked := path + query + lang
			for _, p := range private {
				if strings.Contains(asked, p) || strings.Contains(asked, url.QueryEscape(p)) || strings.Contains(asked, url.PathEscape(p)) {
					continue
				}
				if strings.Contains(rec.Body.String(), p) {
					t.Fatalf("%s %q: the answer holds %q", method, u, p)
				}
				for k, vs := range rec.Header() {
					for _, v := range vs {
						if strings.Contains(v, p) {
							t.Fatalf("%s %q: header %s holds %q", method, u, k, p)
						}
					}
				}
			}
		}
	})
}
