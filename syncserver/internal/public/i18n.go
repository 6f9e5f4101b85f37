package public

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/kenesh/kenesh/assets"
	"github.com/kenesh/kenesh/shared/caldate"
)

// Languages of the public pages, Kyrgyz first (the default).
var Languages = []string{"ky", "ru", "en"}

func validLang(l string) bool { return l == "ky" || l == "ru" || l == "en" }

// messages holds every language's texts: lang -> key -> text.
type messages map[string]map[string]string

// loadMessages reads assets/i18n/public/LANG.json for every language and
// checks that each has the same keys as English.
func loadMessages() (messages, error) {
	m := messages{}
	for _, l := range Languages {
		b, err := fs.ReadFile(assets.PublicI18n, "i18n/public/"+l+".json")
		if err != nil {
			return nil, fmt.Errorf("public translations: %w", err)
		}
		var t map[string]string
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("public translations %s.json: %w", l, err)
		}
		m[l] = t
	}
	for k := range m["en"] {
		for _, l := range Languages {
			if _, ok := m[l][k]; !ok {
				return nil, fmt.Errorf("public translations: %s.json lacks %q", l, k)
			}
		}
	}
	return m, nil
}

// tr speaks one language.
type tr struct {
	lang string
	m    map[string]string
}

// T is the text of key with its {placeholders} filled from pairs of name
// and value. A missing key shows as itself (a test keeps them all present).
func (t tr) T(key string, args ...any) string {
	s, ok := t.m[key]
	if !ok {
		return key
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return s
}

// Date is a day as the language writes it: 25.11.2026 in Kyrgyz and
// Russian, 25 Nov 2026 in English; "" for a zero date.
func (t tr) Date(d caldate.Date) string {
	if d.IsZero() {
		return ""
	}
	if t.lang == "en" {
		return d.Time().Format("2 Jan 2006")
	}
	return d.Time().Format("02.01.2006")
}

// Month is a month as the language writes it: 11.2026, or Nov 2026.
func (t tr) Month(ym string) string {
	tm, err := time.Parse("2006-01", ym)
	if err != nil {
		return ym
	}
	if t.lang == "en" {
		return tm.Format("Jan 2006")
	}
	return tm.Format("01.2006")
}

// Num is a count grouped by thousands: 100 000 (ky, ru), 100,000 (en).
func (t tr) Num(n int) string {
	s := strconv.Itoa(n)
	sep := "\u00a0"
	if t.lang == "en" {
		sep = ","
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// negotiate picks the language of a request without one in its path:
// the first of Accept-Language's languages (by weight) the pages speak,
// else Kyrgyz.
func negotiate(header string) string {
	best, bestQ := "ky", -1.0
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if validLang(base) && q > bestQ && q > 0 {
			best, bestQ = base, q
		}
	}
	return best
}
