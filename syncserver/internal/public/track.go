package public

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/middleware"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

type trackBody struct {
	New, Found, Unknown bool
	Code                string
	Council, Received   string
	Where               []string
	PublicHref          string
}

// trackLookup is the tracking page's own form: ?code= goes to the code's page.
func (h *Handler) trackLookup(q *req) {
	if c := q.r.URL.Query().Get("code"); c != "" {
		if n := NormalizeTrackingCode(c); n != "" {
			http.Redirect(q.w, q.r, Prefix+q.lang+"/track/"+n, http.StatusSeeOther)
			return
		}
		h.showTrack(q, http.StatusNotFound, &trackBody{Unknown: true})
		return
	}
	h.showTrack(q, http.StatusOK, &trackBody{})
}

// track shows where a web submission is, by its code: what the tracking
// projection holds and nothing else (no name, contact, text or note).
func (h *Handler) track(q *req) {
	if ok, wait := h.guard.lookup.Allow("t:"+h.guard.clientAddr(q.r).String(), h.now()); !ok {
		middleware.InfoOf(q.r).Code = "rate"
		q.w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		h.message(q.w, q.r, q.lang, http.StatusTooManyRequests, "track.title", "refuse.rate", false, "minutes", max(1, int(math.Ceil(wait.Minutes()))))
		return
	}
	raw, _ := url.PathUnescape(strings.TrimPrefix(q.rest, "track/"))
	code := NormalizeTrackingCode(raw)
	b := &trackBody{New: q.r.URL.Query().Get("new") != ""}
	if code == "" {
		h.showTrack(q, http.StatusNotFound, &trackBody{Unknown: true})
		return
	}
	b.Code = code
	var tr *store.Tracking
	err := h.cfg.Store.ReadPublic(q.r.Context(), func(r store.PublicReader) (err error) {
		tr, err = r.Tracking(HashTrackingCode(code))
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.showTrack(q, http.StatusNotFound, &trackBody{Unknown: true})
		return
	case err != nil:
		h.fail(q, err)
		return
	}
	v, err := h.views.get(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	n := h.names(q.lang)
	t := n.t
	b.Found, b.Received = true, t.Date(tr.ReceivedOn)
	if c, ok := v.council[tr.Council]; ok {
		b.Council = c.Name
	}
	switch tr.Status {
	case domain.SubmissionWaiting:
		b.Where = append(b.Where, t.T("track.waiting"))
	case domain.SubmissionRefused:
		reason := tr.Refusal
		if reason == "" {
			reason = domain.RefusalSpam
		}
		b.Where = append(b.Where, t.T("track.refused."+reason))
	case domain.SubmissionRegistered, domain.SubmissionMerged:
		key := "track.registered"
		if tr.Status == domain.SubmissionMerged {
			key = "track.merged"
		}
		if tr.RegNo == "" {
			b.Where = append(b.Where, t.T("track.waiting"))
			break
		}
		b.Where = append(b.Where, t.T(key, "regno", tr.RegNo))
		if tr.AppealStatus != "" {
			b.Where = append(b.Where, t.T("track.stage", "status", n.status(tr.AppealStatus)))
		}
		if !tr.AnsweredOn.IsZero() {
			b.Where = append(b.Where, t.T("track.answered", "date", t.Date(tr.AnsweredOn)))
		}
		if !tr.ClosedOn.IsZero() {
			b.Where = append(b.Where, t.T("track.closed", "date", t.Date(tr.ClosedOn)))
		}
		if _, published := v.byRegNo[tr.RegNo]; published && tr.Published {
			b.PublicHref = serverLinks{}.href(q.lang, "appeal", tr.RegNo)
		}
	}
	h.showTrack(q, http.StatusOK, b)
}

func (h *Handler) showTrack(q *req, status int, b *trackBody) {
	p := h.newPage(q, "track", h.tr(q.lang).T("track.title"), b)
	h.render(q.w, q.r, status, "track", p, nil)
}
