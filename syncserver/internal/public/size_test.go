package public

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// pageBudget is what one page may weigh as HTML, uncompressed: a cheap
// phone on a 2G link (about 5 KB/s) loads it in seconds, gzipped in one.
const pageBudget = 30 << 10

// longest is a public summary of n characters in Kyrgyz words.
func longest(n int) string {
	words := []string{"айыл", "өкмөтү", "жер", "үлүшүн", "мыйзамсыз", "бөлүп", "берген,", "арызчы", "кайрылды."}
	var b strings.Builder
	for i := 0; ; i++ {
		w := words[i%len(words)]
		if len([]rune(b.String()))+len([]rune(w))+1 > n {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

// Every page stays under 30 KB with the heaviest content it can show:
// summaries as long as a public summary may be (domain.MaxPublicSummary),
// every filter filled, every district of an oblast in its drop-down,
// statistics over many years of months, the form with every council of
// the country offering itself, its challenge on, and every field refused.
func TestPagesUnder30KB(t *testing.T) {
	w := newWorld(t, GuardConfig{Challenge: true})
	cat := refdata.Default()
	// Three councils more in every oblast and city (30 in all; the
	// programme has 21), with long names.
	var councils []domain.Council
	for _, r := range cat.Regions() {
		for i := range 3 {
			c := domain.Council{Code: fmt.Sprintf("%.3s-X%02d", strings.TrimPrefix(r.Code, "KG-")+"XX", i), Name: "Коомдук кеңеш: " + longest(50), Oblast: r.Code}
			if len(r.Districts) > 0 {
				c.District = r.Districts[i%len(r.Districts)].Code
			}
			if _, err := w.ing.AddCouncil(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			councils = append(councils, c)
		}
	}
	// 45 published appeals (three pages) over 30 months, each with a
	// summary of the greatest length allowed.
	summary := longest(domain.MaxPublicSummary)
	for i := range 45 {
		c := []string{"NRN-ATB", "OSH-ARA", "CHU-ALA"}[i%3]
		id := domain.NewID()
		f := appealFields(c, domain.FormatRegNo(c, 2024+i/15, "W9RT", uint64(1000+i)), []string{"verified", "referred", "answered", "closed"}[i%4], i)
		f["public_summary"] = summary
		f["received_on"] = fmt.Sprintf("%d-%02d-10", 2024+i/15, 1+i%12)
		f["registered_on"] = f["received_on"]
		if f["verified_on"] != nil {
			f["verified_on"] = fmt.Sprintf("%d-%02d-11", 2024+i/15, 1+i%12)
		}
		if f["answered_on"] != nil {
			f["referred_on"] = f["verified_on"]
			f["answered_on"] = fmt.Sprintf("%d-%02d-20", 2024+i/15, 1+i%12)
		}
		if f["closed_on"] != nil {
			f["closed_on"] = fmt.Sprintf("%d-%02d-25", 2024+i/15, 1+i%12)
		}
		f["publish_identity_consent"] = true
		f["appellant"] = map[string]any{"name": longest(domain.MaxShort)}
		w.sec[c].push(domain.KindAppeal, id, c, "create", f)
		w.central.push(domain.KindAppeal, id, "", "update", map[string]any{"published": true, "published_on": "2026-11-15"})
	}
	regNo := domain.FormatRegNo("NRN-ATB", 2024, "W9RT", 1000)
	refused := goodForm(w.formToken("ky"))
	refused.Set("text", longest(domain.MaxSubmissionText+50))
	refused.Set("name", longest(domain.MaxSubmissionLine+50))
	refused.Set("authority_name", longest(domain.MaxSubmissionLine+50))
	refused.Set("phone", strings.Repeat("9", domain.MaxContact+10))
	refused.Set("email", strings.Repeat("x", domain.MaxContact+10))
	refused.Set("council", "nowhere")
	for _, lang := range Languages {
		pages := map[string]answer{}
		for _, p := range []string{"", "?oblast=KG-N&category=land_property&status=verified&year=2024", "?page=2", "appeals/" + regNo,
			"stats", "data", "appeal", "track", "feed.atom", "nothing-here"} {
			pages[p] = w.get(Prefix + lang + "/" + p)
		}
		pages["refused form"] = w.post(Prefix+lang+"/appeal", refused)
		for p, a := range pages {
			if a.status != http.StatusOK && p != "nothing-here" && p != "refused form" {
				t.Errorf("%s %s: %d", lang, p, a.status)
			}
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write([]byte(a.body))
			zw.Close()
			t.Logf("%s %-70s %6d bytes, %5d gzipped", lang, p, len(a.body), gz.Len())
			if len(a.body) > pageBudget {
				t.Errorf("%s %s: %d bytes, over %d", lang, p, len(a.body), pageBudget)
			}
		}
		if !strings.Contains(pages["appeals/"+regNo].body, summary) {
			t.Errorf("%s: the appeal page does not show its whole summary", lang)
		}
		if !strings.Contains(pages["appeal"].body, councils[len(councils)-1].Code) {
			t.Errorf("%s: the form does not offer every council", lang)
		}
	}
}
