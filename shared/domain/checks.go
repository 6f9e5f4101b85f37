package domain

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

// Length limits, in characters. Generous for what secretaries write; they
// exist so that a pasted file does not become a field.
const (
	MaxShort = 200
	MaxTitle = 300
	MaxLong  = 20000
	// MaxPublicSummary bounds what the public register shows of an
	// appeal: a summary, read on a cheap phone over a 2G link, whose
	// page stays under 30 KB (about 2 bytes a character in Kyrgyz or
	// Russian, and the page's own 4 KB).
	MaxPublicSummary = 5000
)

// Languages a record or the interface may be written in.
var Languages = []string{"ky", "ru", "en"}

func (c *checker) required(field, v string) bool {
	if strings.TrimSpace(v) == "" {
		c.add(field, CodeRequired, "is required")
		return false
	}
	return true
}

func (c *checker) maxLen(field, v string, n int) {
	if l := utf8.RuneCountInString(v); l > n {
		c.add(field, CodeTooLong, "is %d characters long, at most %d allowed", l, n)
	}
	if !utf8.ValidString(v) {
		c.add(field, CodeFormat, "is not valid UTF-8 text")
	}
}

func (c *checker) text(field, v string, n int, req bool) {
	if req && !c.required(field, v) {
		return
	}
	c.maxLen(field, v, n)
}

func (c *checker) term(cat *refdata.Catalog, list refdata.List, field, code string, req bool) {
	if code == "" {
		if req {
			c.add(field, CodeRequired, "is required (one of: %s)", codes(cat, list))
		}
		return
	}
	if !cat.Has(list, code) {
		c.add(field, CodeUnknown, "%q is not known (one of: %s)", code, codes(cat, list))
	}
}

func codes(cat *refdata.Catalog, list refdata.List) string {
	var out []string
	for _, t := range cat.Terms(list) {
		out = append(out, t.Code)
	}
	return strings.Join(out, ", ")
}

// place checks an oblast code and, if given, a district inside it.
func (c *checker) place(cat *refdata.Catalog, oblastField, oblast, districtField, district string) {
	if oblast == "" {
		c.add(oblastField, CodeRequired, "is required (an ISO 3166-2:KG code such as KG-N)")
		return
	}
	if _, ok := cat.Region(oblast); !ok {
		c.add(oblastField, CodeUnknown, "%q is not an oblast or city code (KG-B, KG-C, KG-GB, KG-GO, KG-J, KG-N, KG-O, KG-T, KG-Y)", oblast)
		return
	}
	if district == "" {
		return
	}
	_, reg, ok := cat.District(district)
	switch {
	case !ok:
		c.add(districtField, CodeUnknown, "%q is not a district code", district)
	case reg.Code != oblast:
		c.add(districtField, CodeMismatch, "district %q is in %s, not in %s", district, reg.Code, oblast)
	}
}

func (c *checker) language(field, v string) {
	if v == "" {
		return
	}
	for _, l := range Languages {
		if v == l {
			return
		}
	}
	c.add(field, CodeUnknown, "%q is not a language of Kenesh (ky, ru, en)", v)
}

func (c *checker) date(field string, d caldate.Date, req bool, today caldate.Date) {
	if d.IsZero() {
		if req {
			c.add(field, CodeRequired, "is required (YYYY-MM-DD)")
		}
		return
	}
	if d.Year() < 2000 {
		c.add(field, CodeRange, "%s is too far in the past", d)
	}
	if !today.IsZero() && d.After(today.AddDays(366*2)) {
		c.add(field, CodeRange, "%s is more than two years ahead", d)
	}
}

func (c *checker) notFuture(field string, d caldate.Date, today caldate.Date) {
	if !d.IsZero() && !today.IsZero() && d.After(today) {
		c.add(field, CodeRange, "%s is in the future", d)
	}
}

var councilCode = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,15}$`)

func (c *checker) councilRef(field, code string) {
	if code == "" {
		c.add(field, CodeRequired, "is required (the council's code)")
		return
	}
	if !councilCode.MatchString(code) {
		c.add(field, CodeFormat, "%q is not a council code (2-16 capital Latin letters, digits or hyphens)", code)
	}
}

func (c *checker) link(field, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.add(field, CodeFormat, "%q is not a web address (https://...)", v)
	}
}
