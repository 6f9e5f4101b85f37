package public

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"slices"
	"strconv"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Schema names the format of the open data (appeals.json's "schema", and
// the CSV's columns): a new field is a new column at the end and a new
// version here; nothing is ever renamed.
const Schema = "kenesh.public-register/1"

// column is one field of the open data, in JSON and CSV alike, with the
// key of its label (which the data page shows as its meaning).
type column struct {
	name, label string
	value       func(p *store.PublicAppeal, today caldate.Date) any
}

func date(d caldate.Date) any {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// columns are the open data's fields, in order: only what the register
// shows.
var columns = []column{
	{"reg_no", "field.reg_no", func(p *store.PublicAppeal, _ caldate.Date) any { return p.RegNo }},
	{"received_on", "field.received_on", func(p *store.PublicAppeal, _ caldate.Date) any { return date(p.ReceivedOn) }},
	{"registered_on", "field.registered_on", func(p *store.PublicAppeal, _ caldate.Date) any { return date(p.RegisteredOn) }},
	{"answer_by", "field.answer_by", func(p *store.PublicAppeal, _ caldate.Date) any { return date(p.AnswerBy) }},
	{"answered_on", "field.answered_on", func(p *store.PublicAppeal, _ caldate.Date) any { return date(p.AnsweredOn) }},
	{"answered_in_time", "", func(p *store.PublicAppeal, today caldate.Date) any {
		switch outcome(p, today) {
		case "in_time":
			return true
		case "late":
			return false
		}
		return nil
	}},
	{"closed_on", "field.closed_on", func(p *store.PublicAppeal, _ caldate.Date) any { return date(p.ClosedOn) }},
	{"published_on", "field.published_on", func(p *store.PublicAppeal, _ caldate.Date) any { return date(p.PublishedOn) }},
	{"oblast", "field.oblast", func(p *store.PublicAppeal, _ caldate.Date) any { return p.Oblast }},
	{"district", "field.district", func(p *store.PublicAppeal, _ caldate.Date) any { return p.District }},
	{"category", "field.category", func(p *store.PublicAppeal, _ caldate.Date) any { return p.Category }},
	{"authority", "field.authority", func(p *store.PublicAppeal, _ caldate.Date) any { return p.Authority }},
	{"status", "field.status", func(p *store.PublicAppeal, _ caldate.Date) any { return string(p.Status) }},
	{"named", "", func(p *store.PublicAppeal, _ caldate.Date) any { return p.Named }},
	{"appellant", "field.appellant", func(p *store.PublicAppeal, _ caldate.Date) any { return p.Appellant }},
	{"summary", "field.summary", func(p *store.PublicAppeal, _ caldate.Date) any { return p.Summary }},
}

// registerJSON is appeals.json.
type registerJSON struct {
	Schema    string           `json:"schema"`
	Licence   string           `json:"licence"`
	Source    string           `json:"source"`
	Version   uint64           `json:"version"`
	Updated   string           `json:"updated,omitempty"`
	Appeals   []map[string]any `json:"appeals"`
	FieldDocs string           `json:"fields"`
}

func (h *Handler) registerJSON(v *view) []byte {
	out := registerJSON{Schema: Schema, Licence: h.cfg.Licence, Source: "Kenesh public register", Version: v.stamp.N,
		Appeals: make([]map[string]any, 0, len(v.appeals)), FieldDocs: Prefix + "en/data"}
	if !v.stamp.At.IsZero() {
		out.Updated = v.stamp.At.UTC().Format(time.RFC3339)
	}
	for _, p := range v.appeals {
		m := make(map[string]any, len(columns))
		for _, c := range columns {
			m[c.name] = c.value(p, v.today)
		}
		out.Appeals = append(out.Appeals, m)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(out)
	return buf.Bytes()
}

func (h *Handler) appealsJSON(q *req) {
	v, err := h.views.get(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	h.serveCached(q, "application/json; charset=utf-8", viewValidator(v, q, "json"), func() ([]byte, error) { return h.registerJSON(v), nil })
}

// registerCSV is appeals.csv: a UTF-8 byte order mark (so that a
// spreadsheet on Windows reads the Cyrillic right), a header of the
// columns' names, one appeal a line.
func registerCSV(v *view) []byte {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	head := make([]string, len(columns))
	for i, c := range columns {
		head[i] = c.name
	}
	w.Write(head)
	row := make([]string, len(columns))
	for _, p := range v.appeals {
		for i, c := range columns {
			switch x := c.value(p, v.today).(type) {
			case nil:
				row[i] = ""
			case bool:
				row[i] = strconv.FormatBool(x)
			case string:
				row[i] = x
			}
		}
		w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

func (h *Handler) appealsCSV(q *req) {
	v, err := h.views.get(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	q.w.Header().Set("Content-Disposition", `inline; filename="appeals.csv"`)
	h.serveCached(q, "text/csv; charset=utf-8", viewValidator(v, q, "csv"), func() ([]byte, error) { return registerCSV(v), nil })
}

// feedSize is how many of the newest published appeals the feed holds,
// each with its summary cut as in the list (the entry links to the
// whole): with the longest summaries the feed stays under 30 KB, like a
// page, for a reader on a phone.
const feedSize = 25

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Rights  string      `xml:"rights"`
	Link    []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID       string       `xml:"id"`
	Title    string       `xml:"title"`
	Updated  string       `xml:"updated"`
	Link     atomLink     `xml:"link"`
	Category atomCategory `xml:"category"`
	Summary  string       `xml:"summary"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr"`
}

// atom is the feed of the newest published appeals in lang; l makes the
// entries' links (relative to the site).
func (h *Handler) atom(v *view, lang string, l links) []byte {
	n := h.names(lang)
	t := n.t
	newest := slices.Clone(v.appeals) // already the newest published first
	if len(newest) > feedSize {
		newest = newest[:feedSize]
	}
	updated := v.stamp.At
	if updated.IsZero() {
		updated = time.Unix(0, 0)
	}
	f := atomFeed{Lang: lang, ID: "tag:kenesh.kg,2026:public-register/" + lang, Title: t.T("site.name") + ": " + t.T("feed.title"),
		Updated: updated.UTC().Format(time.RFC3339), Rights: h.cfg.Licence, Author: atomAuthor{Name: t.T("footer.programme")},
		Link: []atomLink{{Rel: "alternate", Href: l.href(lang, "list")}, {Rel: "self", Href: l.href(lang, "feed")}}}
	for _, p := range newest {
		when := p.PublishedOn
		if when.IsZero() {
			when = p.ReceivedOn
		}
		cat := n.term(refdata.RightCategories, p.Category)
		f.Entries = append(f.Entries, atomEntry{ID: "tag:kenesh.kg,2026:appeal/" + p.RegNo, Title: p.RegNo + ": " + cat,
			Updated: when.Time().Format(time.RFC3339), Link: atomLink{Href: l.href(lang, "appeal", p.RegNo)},
			Category: atomCategory{Term: p.Category, Label: cat}, Summary: cut(p.Summary, summaryInList)})
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", " ")
	enc.Encode(f)
	return buf.Bytes()
}

func (h *Handler) feed(q *req) {
	v, err := h.views.get(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	h.serveCached(q, "application/atom+xml; charset=utf-8", viewValidator(v, q, "atom"), func() ([]byte, error) {
		return h.atom(v, q.lang, serverLinks{submit: h.cfg.Submit != nil}), nil
	})
}
