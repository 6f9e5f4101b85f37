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
			if made := after - before; made != 0 && rec.Code != http.StatusSeeOther || rec.Code == http.StatusSeeOther && made != 1 {
				t.Fatalf("%s: %d submissions made, answered %d", lang, made, rec.Code)
			}
			before = after
		}
	})
}
