package l10n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kenesh/kenesh/assets"
	"github.com/kenesh/kenesh/shared/caldate"
)

// Languages of the interface, Kyrgyz first: the order a chooser shows.
var Languages = []string{"ky", "ru", "en"}

// Default is the language of a first run before anyone chose.
const Default = "ky"

// Valid reports whether code is a language of the interface.
func Valid(code string) bool {
	for _, l := range Languages {
		if l == code {
			return true
		}
	}
	return false
}

// Catalog holds every language's messages. Fyne's own strings (OK, Cancel,
// weekdays) live in the same files, some as plural objects; Catalog keeps
// their raw JSON so Fyne's lang package can load them as they are.
type Catalog struct {
	msgs map[string]map[string]string // lang -> key -> text
	raw  map[string][]byte            // lang -> file
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Load returns the catalog embedded in assets.
func Load() (*Catalog, error) {
	defaultOnce.Do(func() { defaultCat, defaultErr = LoadFS(assets.I18n, "i18n") })
	return defaultCat, defaultErr
}

// MustLoad is Load for program start: the files are embedded, so a failure
// is a build defect.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// LoadFS reads LANG.json for every language from dir in fsys.
func LoadFS(fsys fs.FS, dir string) (*Catalog, error) {
	c := &Catalog{msgs: map[string]map[string]string{}, raw: map[string][]byte{}}
	for _, l := range Languages {
		b, err := fs.ReadFile(fsys, dir+"/"+l+".json")
		if err != nil {
			return nil, fmt.Errorf("translations: %w", err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("translations %s.json: %w", l, err)
		}
		flat := make(map[string]string, len(m))
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				flat[k] = s
				continue
			}
			// A plural object (Fyne's "file.name"): keep its "other" form.
			var p map[string]string
			if err := json.Unmarshal(v, &p); err != nil || p["other"] == "" {
				return nil, fmt.Errorf("translations %s.json: %q is neither a text nor a plural object with \"other\"", l, k)
			}
			flat[k] = p["other"]
		}
		c.msgs[l] = flat
		c.raw[l] = b
	}
	return c, nil
}

// Keys returns the keys of lang, sorted.
func (c *Catalog) Keys(lang string) []string {
	out := make([]string, 0, len(c.msgs[lang]))
	for k := range c.msgs[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether lang has key.
func (c *Catalog) Has(lang, key string) bool { _, ok := c.msgs[lang][key]; return ok }

// Raw returns lang's file as shipped (for Fyne's lang package).
func (c *Catalog) Raw(lang string) []byte { return c.raw[lang] }

// Tr translates into one language. It is immutable: switching language
// means making another Tr.
type Tr struct {
	Lang string
	c    *Catalog
}

// In returns a translator into lang (the default language if lang is unknown).
func (c *Catalog) In(lang string) *Tr {
	if !Valid(lang) {
		lang = Default
	}
	return &Tr{Lang: lang, c: c}
}

// T returns the text of key with {name} placeholders replaced by the
// name/value pairs in args. A missing key shows as the key itself, loud
// enough to be noticed (a test keeps that from shipping).
func (t *Tr) T(key string, args ...any) string {
	s, ok := t.c.msgs[t.Lang][key]
	if !ok {
		if s, ok = t.c.msgs["en"][key]; !ok {
			return key
		}
	}
	if len(args) == 0 {
		return s
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+fmt.Sprint(args[i])+"}", t.value(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func (t *Tr) value(v any) string {
	switch x := v.(type) {
	case int:
		return t.Int(x)
	case int64:
		return t.Int(int(x))
	case uint64:
		return t.Int(int(x))
	case caldate.Date:
		return t.Date(x)
	case time.Time:
		return t.DateTime(x)
	}
	return fmt.Sprint(v)
}

// Has reports whether the key exists in this language.
func (t *Tr) Has(key string) bool { return t.c.Has(t.Lang, key) }

// Int writes n with the language's digit grouping: "100 000" in Kyrgyz and
// Russian (a no-break space, so a number never wraps), "100,000" in English.
func (t *Tr) Int(n int) string {
	sep := "\u00a0"
	if t.Lang == "en" {
		sep = ","
	}
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	// Russian style leaves four-digit numbers ungrouped.
	if len(s) > 3 && !(t.Lang != "en" && len(s) == 4) {
		var b strings.Builder
		lead := len(s) % 3
		if lead > 0 {
			b.WriteString(s[:lead])
		}
		for i := lead; i < len(s); i += 3 {
			if b.Len() > 0 {
				b.WriteString(sep)
			}
			b.WriteString(s[i : i+3])
		}
		s = b.String()
	}
	if neg {
		s = "-" + s
	}
	return s
}

var monthsGenitive = map[string][12]string{
	"ky": {"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"},
	"ru": {"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"},
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

var monthsShort = map[string][12]string{
	"ky": {"янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"},
	"ru": {"янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"},
	"en": {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
}

var monthsNominative = map[string][12]string{
	"ky": {"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"},
	"ru": {"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"},
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// Month names a month of a year, as a column or a chart's axis says it:
// "март 2026" in Kyrgyz and Russian, "March 2026" in English; short, it
// is "мар 2026" or "Mar 2026".
func (t *Tr) Month(year int, m time.Month, short bool) string {
	if m < 1 || m > 12 {
		return fmt.Sprintf("%d-%02d", year, int(m))
	}
	name := monthsNominative[t.Lang][m-1]
	if short {
		if r := []rune(name); len(r) > 3 {
			name = string(r[:3])
		}
	}
	return fmt.Sprintf("%s %d", name, year)
}

// Date writes a day compactly for lists: "25.11.2026" in Kyrgyz and Russian,
// "25 Nov 2026" in English. The zero date is "—".
func (t *Tr) Date(d caldate.Date) string {
	if d.IsZero() {
		return "—"
	}
	if t.Lang == "en" {
		return fmt.Sprintf("%d %s %d", d.Day(), monthsShort["en"][d.Month()-1], d.Year())
	}
	return fmt.Sprintf("%02d.%02d.%d", d.Day(), int(d.Month()), d.Year())
}

// LongDate writes a day in words: "2026-жылдын 25-ноябры" is how a Kyrgyz
// letter would, but the shorter "25-ноябрь, 2026" reads on one line; Russian
// "25 ноября 2026 г.", English "25 November 2026".
func (t *Tr) LongDate(d caldate.Date) string {
	if d.IsZero() {
		return "—"
	}
	m := monthsGenitive[t.Lang][d.Month()-1]
	switch t.Lang {
	case "ky":
		return fmt.Sprintf("%d-%s, %d-ж.", d.Day(), m, d.Year())
	case "ru":
		return fmt.Sprintf("%d %s %d г.", d.Day(), m, d.Year())
	}
	return fmt.Sprintf("%d %s %d", d.Day(), m, d.Year())
}

// DateTime writes a moment in Bishkek time, 24-hour: "25.11.2026 14:05".
func (t *Tr) DateTime(at time.Time) string {
	if at.IsZero() {
		return "—"
	}
	at = at.In(bishkek)
	return t.Date(caldate.Of(at)) + " " + at.Format("15:04")
}

// Kyrgyzstan keeps UTC+6 all year.
var bishkek = time.FixedZone("Asia/Bishkek", 6*60*60)

// ParseDate reads a day as a person types it in this language: "25.11.2026"
// (or with / or -), or ISO "2026-11-25". It returns the zero date for an
// empty text.
func (t *Tr) ParseDate(s string) (caldate.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return caldate.Date{}, nil
	}
	if d, err := caldate.Parse(s); err == nil {
		return d, nil
	}
	f := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '/' || r == '-' || r == ' ' })
	if len(f) == 3 {
		day, e1 := strconv.Atoi(f[0])
		mon, e2 := strconv.Atoi(f[1])
		yr, e3 := strconv.Atoi(f[2])
		if e1 == nil && e2 == nil && e3 == nil && yr >= 1900 && mon >= 1 && mon <= 12 && day >= 1 && day <= 31 {
			d := caldate.New(yr, time.Month(mon), day)
			if d.Day() == day { // 31.02 rolls over: refuse it
				return d, nil
			}
		}
	}
	return caldate.Date{}, fmt.Errorf("not a date: %q", s)
}

// DateInput writes a day the way ParseDate reads it back in this language.
func (t *Tr) DateInput(d caldate.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d.%02d.%d", d.Day(), int(d.Month()), d.Year())
}
