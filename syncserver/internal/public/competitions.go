package public

// The winners of the programme's competitions, as central staff published
// them: each competition with its categories and their winners (place,
// title, author, link), and nothing else (store.PublicCompetition, the
// allow-list domain.Competition.Public makes).

type competitionsBody struct {
	Competitions []publicCompetition
}

type publicCompetition struct {
	Title, For, Published string
	Categories            []publicCategory
}

type publicCategory struct {
	Name    string
	Winners []publicWinner
}

type publicWinner struct {
	Place, Title, Author, Link string
}

func (h *Handler) competitionsPage(q *req) {
	v, err := h.views.get(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	h.serveCached(q, htmlType, viewValidator(v, q, "competitions"), func() ([]byte, error) {
		return h.execute("competitions", h.competitionsPageOf(q, v))
	})
}

func (h *Handler) competitionsPageOf(q *req, v *view) *page {
	t := h.tr(q.lang)
	b := &competitionsBody{}
	for _, c := range v.competitions {
		pc := publicCompetition{Title: c.Title, For: t.T("competitions.for_" + c.Audience), Published: t.T("competitions.published", "date", t.Date(c.PublishedOn))}
		for _, cat := range c.Categories {
			x := publicCategory{Name: cat.Name}
			for _, w := range cat.Winners {
				place := t.T("competitions.place", "n", w.Place)
				if w.Tied {
					place = t.T("competitions.place_tied", "n", w.Place)
				}
				x.Winners = append(x.Winners, publicWinner{Place: place, Title: w.Title, Author: w.Author, Link: safeLink(w.Link)})
			}
			pc.Categories = append(pc.Categories, x)
		}
		b.Competitions = append(b.Competitions, pc)
	}
	return h.newPage(q, "competitions", t.T("competitions.title"), b)
}

// safeLink is a link the page may make a hyperlink of: http or https
// only (html/template would neutralise others; this drops them).
func safeLink(s string) string {
	if len(s) > 8 && (s[:7] == "http://" || s[:8] == "https://") {
		return s
	}
	return ""
}
