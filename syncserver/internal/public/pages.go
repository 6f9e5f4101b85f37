package public

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// option is one choice of a drop-down.
type option struct {
	Code, Name string
	Selected   bool
}

// names puts codes in words in one language.
type names struct {
	cat *refdata.Catalog
	t   tr
}

func (n names) region(code string) string {
	if r, ok := n.cat.Region(code); ok {
		return r.Names.In(n.t.lang)
	}
	return code
}

func (n names) district(code string) string {
	if d, _, ok := n.cat.District(code); ok {
		return d.Names.In(n.t.lang)
	}
	return code
}

func (n names) term(l refdata.List, code string) string {
	if code == "" {
		return ""
	}
	if t, ok := n.cat.Term(l, code); ok {
		return t.Names.In(n.t.lang)
	}
	return code
}

func (n names) status(s domain.Status) string { return n.t.T("status." + string(s)) }

func (h *Handler) names(lang string) names { return names{cat: h.cat, t: h.tr(lang)} }

// parseFilter reads the list's query; values that are not known codes are
// ignored (a filter never fails a page).
func (h *Handler) parseFilter(v url.Values) filter {
	var f filter
	if _, ok := h.cat.Region(v.Get("oblast")); ok {
		f.Oblast = v.Get("oblast")
	}
	if _, r, ok := h.cat.District(v.Get("district")); ok && (f.Oblast == "" || r.Code == f.Oblast) {
		f.District = v.Get("district")
	}
	if h.cat.Has(refdata.RightCategories, v.Get("category")) {
		f.Category = v.Get("category")
	}
	if s := domain.Status(v.Get("status")); domain.Publishable(s) {
		f.Status = s
	}
	if y, err := strconv.Atoi(v.Get("year")); err == nil && y >= 2000 && y <= 2200 {
		f.Year = y
	}
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 1 && n < 1_000_000 {
		f.Page = n
	}
	return f
}

// item is one appeal in the list.
type item struct {
	Href, RegNo, Category, Status, StatusCode, Place, Received, Summary string
}

// summaryInList is how much of a public summary a list line shows.
const summaryInList = 220

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	c := string(r[:n])
	if i := strings.LastIndexByte(c, ' '); i > len(c)/2 {
		c = c[:i]
	}
	return c + "…"
}

type listBody struct {
	Oblasts, Districts, Categories, Statuses, Years []option
	Found                                           string
	Items                                           []item
	Page, Pages                                     int
	Prev, Next                                      string
}

func (h *Handler) list(q *req) {
	v, err := h.views.get(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	f := h.parseFilter(q.r.URL.Query())
	q.canon = f.query(f.Page)
	h.serveCached(q, htmlType, viewValidator(v, q, "list"), func() ([]byte, error) {
		p := h.listPage(q, v, f, serverLinks{submit: h.cfg.Submit != nil})
		if p == nil {
			return nil, errGone
		}
		return h.execute("list", p)
	})
}

// listPage is the page of the list f selects, or nil past its last page.
func (h *Handler) listPage(q *req, v *view, f filter, l links) *page {
	rows, total := v.list(f)
	pages := max(1, (total+pageSize-1)/pageSize)
	if max(f.Page, 1) > pages {
		return nil
	}
	n := h.names(q.lang)
	t := n.t
	b := &listBody{Found: t.Num(total), Page: max(f.Page, 1), Pages: pages}
	for _, r := range h.cat.Regions() {
		b.Oblasts = append(b.Oblasts, option{r.Code, r.Names.In(q.lang), r.Code == f.Oblast})
		if r.Code == f.Oblast {
			for _, d := range r.Districts {
				b.Districts = append(b.Districts, option{d.Code, d.Names.In(q.lang), d.Code == f.District})
			}
		}
	}
	for _, c := range h.cat.Terms(refdata.RightCategories) {
		b.Categories = append(b.Categories, option{c.Code, c.Names.In(q.lang), c.Code == f.Category})
	}
	for _, s := range domain.Statuses {
		if domain.Publishable(s) {
			b.Statuses = append(b.Statuses, option{string(s), n.status(s), s == f.Status})
		}
	}
	for _, y := range v.years {
		b.Years = append(b.Years, option{strconv.Itoa(y), strconv.Itoa(y), y == f.Year})
	}
	p := h.newPage(q, "list", t.T("list.title"), b)
	p.links = l
	_, static := l.(staticLinks)
	p.Static = static
	for _, a := range rows {
		place := n.region(a.Oblast)
		if a.District != "" {
			place += ", " + n.district(a.District)
		}
		b.Items = append(b.Items, item{Href: p.L("appeal", a.RegNo), RegNo: a.RegNo, Category: n.term(refdata.RightCategories, a.Category),
			Status: n.status(a.Status), StatusCode: string(a.Status), Place: place, Received: t.Date(a.ReceivedOn), Summary: cut(a.Summary, summaryInList)})
	}
	pageHref := func(i int) string {
		if static {
			return p.L("page", strconv.Itoa(i))
		}
		return p.L("list") + f.query(i)
	}
	if b.Page > 1 {
		b.Prev = pageHref(b.Page - 1)
	}
	if b.Page < pages {
		b.Next = pageHref(b.Page + 1)
	}
	return p
}

type appealBody struct {
	RegNo, Summary, Category, Oblast, District, Authority, Status, StatusCode, Outcome string
	Received, Registered, AnswerBy, Answered, Closed, Published                        string
	Named                                                                              bool
	Appellant                                                                          string
}

func (h *Handler) appealPage(q *req) {
	v, err := h.views.get(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	regNo, _ := url.PathUnescape(strings.TrimPrefix(q.rest, "appeals/"))
	a, ok := v.byRegNo[regNo]
	if !ok {
		h.notFound(q)
		return
	}
	h.serveCached(q, htmlType, viewValidator(v, q, "appeal"), func() ([]byte, error) {
		return h.execute("appeal", h.appealPageOf(q, v, a, serverLinks{submit: h.cfg.Submit != nil}))
	})
}

func (h *Handler) appealPageOf(q *req, v *view, a *store.PublicAppeal, l links) *page {
	n := h.names(q.lang)
	t := n.t
	b := &appealBody{RegNo: a.RegNo, Summary: a.Summary, Category: n.term(refdata.RightCategories, a.Category), Oblast: n.region(a.Oblast),
		Authority: n.term(refdata.Authorities, a.Authority), Status: n.status(a.Status), StatusCode: string(a.Status),
		Received: t.Date(a.ReceivedOn), Registered: t.Date(a.RegisteredOn), AnswerBy: t.Date(a.AnswerBy), Answered: t.Date(a.AnsweredOn),
		Closed: t.Date(a.ClosedOn), Published: t.Date(a.PublishedOn), Named: a.Named, Appellant: a.Appellant}
	if a.District != "" {
		b.District = n.district(a.District)
	}
	if o := outcome(a, v.today); o != "" {
		b.Outcome = t.T("outcome." + o)
	}
	p := h.newPage(q, "list", t.T("appeal.title", "regno", a.RegNo), b)
	p.links = l
	return p
}

type statsRow struct{ Name, Count string }

type statsTable struct {
	Caption string
	Rows    []statsRow
}

type statsBody struct {
	Total  string
	Tables []statsTable
}

// fewer is the count below which the statistics show "fewer than 3": so
// that no person can be picked out of a small group.
const fewer = 3

func (h *Handler) statsPage(q *req) {
	v, err := h.views.get(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	h.serveCached(q, htmlType, viewValidator(v, q, "stats"), func() ([]byte, error) {
		return h.execute("stats", h.statsPageOf(q, v, serverLinks{submit: h.cfg.Submit != nil}))
	})
}

func (h *Handler) statsPageOf(q *req, v *view, l links) *page {
	n := h.names(q.lang)
	t := n.t
	count := func(c int) string {
		if c < fewer {
			return t.T("stats.fewer")
		}
		return t.Num(c)
	}
	b := &statsBody{Total: count(v.stats.total)}
	if v.stats.total == 0 {
		b.Total = "0"
	}
	table := func(caption string, rows []statsRow) {
		if len(rows) > 0 {
			b.Tables = append(b.Tables, statsTable{Caption: caption, Rows: rows})
		}
	}
	var rows []statsRow
	for _, c := range h.cat.Terms(refdata.RightCategories) {
		if k := v.stats.byCategory[c.Code]; k > 0 {
			rows = append(rows, statsRow{c.Names.In(q.lang), count(k)})
		}
	}
	table(t.T("stats.by_category"), rows)
	rows = nil
	for _, r := range h.cat.Regions() {
		if k := v.stats.byOblast[r.Code]; k > 0 {
			rows = append(rows, statsRow{r.Names.In(q.lang), count(k)})
		}
	}
	table(t.T("stats.by_oblast"), rows)
	rows = nil
	for _, s := range domain.Statuses {
		if k := v.stats.byStatus[s]; k > 0 {
			rows = append(rows, statsRow{n.status(s), count(k)})
		}
	}
	table(t.T("stats.by_status"), rows)
	rows = nil
	months := make([]string, 0, len(v.stats.byMonth))
	for m := range v.stats.byMonth {
		months = append(months, m)
	}
	slices.SortFunc(months, func(a, b string) int { return cmp.Compare(b, a) })
	for _, m := range months {
		rows = append(rows, statsRow{t.Month(m), count(v.stats.byMonth[m])})
	}
	table(t.T("stats.by_month"), rows)
	rows = nil
	for _, o := range []string{"in_time", "late", "overdue", "pending"} {
		if k := v.stats.deadline[o]; k > 0 {
			rows = append(rows, statsRow{t.T("stats." + o), count(k)})
		}
	}
	table(t.T("stats.deadline"), rows)
	p := h.newPage(q, "stats", t.T("stats.title"), b)
	p.links = l
	return p
}

type fieldDoc struct{ Name, Meaning string }

type dataBody struct {
	Schema string
	Fields []fieldDoc
}

func (h *Handler) dataPage(q *req) {
	v, err := h.views.get(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	h.serveCached(q, htmlType, viewValidator(v, q, "data"), func() ([]byte, error) {
		return h.execute("data", h.dataPageOf(q, serverLinks{submit: h.cfg.Submit != nil}))
	})
}

func (h *Handler) dataPageOf(q *req, l links) *page {
	t := h.tr(q.lang)
	b := &dataBody{Schema: Schema}
	for _, c := range columns {
		m := t.T(c.label)
		switch c.name {
		case "answered_in_time":
			m = t.T("data.in_time")
		case "named":
			m = t.T("data.named")
		}
		b.Fields = append(b.Fields, fieldDoc{c.name, m})
	}
	p := h.newPage(q, "data", t.T("data.title"), b)
	p.links = l
	return p
}

// fail answers a request the store could not serve.
func (h *Handler) fail(q *req, err error) {
	h.log.Error("public register", "path", q.r.URL.Path, "err", err)
	h.message(q.w, q.r, q.lang, http.StatusServiceUnavailable, "error.title", "error.text", false)
}
