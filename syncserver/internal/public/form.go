package public

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dchest/captcha"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
	"github.com/kenesh/kenesh/syncserver/internal/ingest"
	"github.com/kenesh/kenesh/syncserver/internal/middleware"
	"github.com/kenesh/kenesh/syncserver/internal/public/spoken"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// formValues are what a person typed, kept through every refusal that
// they can mend, so nothing is lost.
type formValues struct {
	Council, Category, Authority, AuthorityName, Text string
	Name, Phone, Email, Address                       string
	Anonymous, Consent                                bool
}

type optGroup struct {
	Name    string
	Options []option
}

type formBody struct {
	Token                        string
	Notice                       string
	V                            formValues
	Err                          map[string]string
	Groups                       []optGroup
	Categories, Authorities      []option
	MaxText, MaxLine, MaxContact int
	Challenge                    bool
	ChallengeImage               string
	ChallengeAudio               string
}

// oblastChoice is the council value meaning "my oblast's council".
const oblastChoice = "oblast:"

func (h *Handler) form(q *req) { h.showForm(q, http.StatusOK, formValues{}, nil, "") }

// showForm renders the form with v filled in, errs beside their fields
// and a notice above, under a new token.
func (h *Handler) showForm(q *req, status int, v formValues, errs map[string]string, notice string) {
	vw, err := h.views.get(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	n := h.names(q.lang)
	b := &formBody{Notice: notice, V: v, Err: errs, MaxText: domain.MaxSubmissionText,
		MaxLine: domain.MaxSubmissionLine, MaxContact: domain.MaxContact}
	b.Token, b.Challenge = h.guard.issue()
	if b.Err == nil {
		b.Err = map[string]string{}
	}
	for _, r := range h.cat.Regions() {
		g := optGroup{Name: r.Names.In(q.lang)}
		any := false
		for _, c := range vw.councils {
			if c.Oblast == r.Code {
				g.Options = append(g.Options, option{c.Code, c.Name, v.Council == c.Code})
				any = true
			}
		}
		if any {
			g.Options = append(g.Options, option{oblastChoice + r.Code, n.t.T("form.council_oblast", "oblast", r.Names.In(q.lang)), v.Council == oblastChoice+r.Code})
			b.Groups = append(b.Groups, g)
		}
	}
	for _, c := range h.cat.Terms(refdata.RightCategories) {
		b.Categories = append(b.Categories, option{c.Code, c.Names.In(q.lang), c.Code == v.Category})
	}
	for _, c := range h.cat.Terms(refdata.Authorities) {
		b.Authorities = append(b.Authorities, option{c.Code, c.Names.In(q.lang), c.Code == v.Authority})
	}
	p := h.newPage(q, "form", n.t.T("form.title"), b)
	if b.Challenge {
		b.ChallengeImage = Prefix + "challenge/" + b.Token + ".png"
		b.ChallengeAudio = Prefix + q.lang + "/challenge/" + b.Token + ".wav"
	}
	h.render(q.w, q.r, status, "form", p, nil)
}

// read takes the posted values, each bounded (the body is bounded too).
func readForm(r *http.Request) (formValues, error) {
	if err := r.ParseForm(); err != nil {
		return formValues{}, err
	}
	get := func(k string, max int) string {
		s := strings.TrimSpace(strings.ReplaceAll(r.PostForm.Get(k), "\r\n", "\n"))
		if rs := []rune(s); len(rs) > max {
			s = string(rs[:max+1]) // one more than allowed: validation says "too long", and no page holds a flood
		}
		return s
	}
	return formValues{Council: get("council", 64), Category: get("category", 64), Authority: get("authority", 64),
		AuthorityName: get("authority_name", domain.MaxSubmissionLine), Text: get("text", domain.MaxSubmissionText),
		Name: get("name", domain.MaxSubmissionLine), Phone: get("phone", domain.MaxContact), Email: get("email", domain.MaxContact),
		Address: get("address", domain.MaxSubmissionLine), Anonymous: r.PostForm.Get("anonymous") != "", Consent: r.PostForm.Get("consent") != ""}, nil
}

// submit takes a posted form: the guard first (rate limits, honeypot,
// token, time, challenge), then the person's answers, then the council's
// inbox; a web submission made durable; and then its tracking page. Every
// refusal is a page in the person's language, and every one they can mend
// gives their form back as they filled it.
func (h *Handler) submit(q *req) {
	r := q.r
	info := middleware.InfoOf(r)
	v, err := readForm(r)
	if err != nil {
		info.Code = "size"
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			h.message(q.w, r, q.lang, http.StatusRequestEntityTooLarge, "refuse.title", "refuse.size", true)
			return
		}
		h.message(q.w, r, q.lang, http.StatusBadRequest, "refuse.title", "refuse.size", true)
		return
	}
	// One sending of a form at a time: a form sent already (a double
	// tap, a reload, a retry after a lost answer) goes to the same
	// tracking page, with no second submission and no rate spent; one
	// whose sending made nothing (refused) is judged again.
	token := r.PostForm.Get("t")
	var claim *sent
	for token != "" {
		s, first := h.guard.sending(token)
		if first {
			claim = s
			break
		}
		select {
		case <-s.done:
		case <-r.Context().Done():
			return
		}
		if s.code != "" {
			info.Code = "again"
			h.sentTo(q, s.code)
			return
		}
	}
	var code string // set once the submission is committed
	defer func() {
		if claim != nil {
			h.guard.finish(token, claim, code)
		}
	}()
	if ok, wait := h.guard.allow(r); !ok {
		info.Code = "rate"
		q.w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		h.message(q.w, r, q.lang, http.StatusTooManyRequests, "refuse.title", "refuse.rate", false, "minutes", int(math.Ceil(wait.Minutes())))
		return
	}
	if r.PostForm.Get("website") != "" {
		info.Code = "honeypot"
		h.message(q.w, r, q.lang, http.StatusBadRequest, "refuse.title", "refuse.bot", true)
		return
	}
	t := h.tr(q.lang)
	switch err := h.guard.check(token, r.PostForm.Get("answer")); {
	case errors.Is(err, errExpired):
		info.Code = "expired"
		h.showForm(q, http.StatusOK, v, nil, t.T("form.again_expired"))
		return
	case errors.Is(err, errTooFast):
		info.Code = "too_fast"
		h.showForm(q, http.StatusOK, v, nil, t.T("form.again_fast"))
		return
	case errors.Is(err, errChallenge):
		info.Code = "challenge"
		h.showForm(q, http.StatusOK, v, map[string]string{"challenge": t.T("form.again_challenge")}, t.T("form.errors"))
		return
	}
	vw, err := h.views.get(r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	s := &domain.Submission{Council: v.Council, Language: q.lang, Category: v.Category, Authority: v.Authority,
		AuthorityName: v.AuthorityName, Text: v.Text, Anonymous: v.Anonymous, PublishIdentityConsent: v.Consent && !v.Anonymous}
	if !v.Anonymous {
		s.Appellant = &domain.Appellant{Name: v.Name, Phone: v.Phone, Email: v.Email, Address: v.Address}
	}
	errs := map[string]string{}
	if v.Anonymous && (v.Name != "" || v.Phone != "" || v.Email != "" || v.Address != "") {
		// Anonymous wins: what was typed is not sent, and the person is
		// not made to clear it.
		s.Appellant = nil
	}
	if c, ok := h.councilOf(vw, v.Council); ok {
		s.Council, s.Oblast, s.District = c.Code, c.Oblast, c.District
	} else if v.Council != "" {
		errs["council"] = t.T("form.err.no_council")
	}
	if err := s.ValidateForm(h.cat); err != nil {
		var ve *domain.ValidationError
		if !errors.As(err, &ve) {
			h.fail(q, err)
			return
		}
		for _, f := range ve.Fields {
			name, msg := formField(f), t.T("form.err."+f.Code)
			if f.Field == "appellant.contact" {
				name, msg = "contact", t.T("form.err.contact")
			}
			if _, seen := errs[name]; !seen {
				errs[name] = msg
			}
		}
	}
	if len(errs) > 0 {
		info.Code = "invalid"
		h.showForm(q, http.StatusUnprocessableEntity, v, errs, t.T("form.errors"))
		return
	}
	// The form's submission and its first code are the token's own (see
	// guard.formID): the same form sent again through another process of
	// the server, or after a restart, finds its code bound to its own
	// submission and goes to its tracking page; only a code some other
	// submission drew (one in 10^14) makes this one draw a random one.
	s.ID = h.guard.formID(token)
	for attempt := 0; ; attempt++ {
		c := NewTrackingCode()
		if attempt == 0 {
			c = h.guard.formCode(token)
		}
		err = h.cfg.Submit(r.Context(), s, HashTrackingCode(c), h.guard.cfg.MaxWaiting)
		if errors.Is(err, store.ErrCodeTaken) && attempt == 0 {
			mine, lerr := h.codeOf(r.Context(), c, s.ID)
			if lerr != nil {
				h.fail(q, lerr)
				return
			}
			if mine {
				info.Code = "again"
				code = c
				h.sentTo(q, c)
				return
			}
		}
		if errors.Is(err, store.ErrCodeTaken) && attempt < 3 {
			continue
		}
		if err == nil {
			code = c
		}
		break
	}
	switch {
	case errors.Is(err, ingest.ErrInboxFull):
		info.Code = "inbox_full"
		h.message(q.w, r, q.lang, http.StatusServiceUnavailable, "refuse.title", "refuse.full", false)
		return
	case errors.Is(err, ingest.ErrNoCouncil):
		info.Code = "invalid"
		h.showForm(q, http.StatusUnprocessableEntity, v, map[string]string{"council": t.T("form.err.no_council")}, t.T("form.errors"))
		return
	case err != nil:
		h.log.Error("web submission not saved", "err", err)
		h.message(q.w, r, q.lang, http.StatusServiceUnavailable, "error.title", "error.text", true)
		return
	}
	// Durable now (Submit committed it): the code may be shown.
	h.sentTo(q, code)
}

// codeOf says whether tracking code c is bound to submission id.
func (h *Handler) codeOf(ctx context.Context, c, id string) (bool, error) {
	var mine bool
	err := h.cfg.Store.ReadPublic(ctx, func(r store.PublicReader) error {
		t, err := r.Tracking(HashTrackingCode(c))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		mine = err == nil && t.Submission == id
		return err
	})
	return mine, err
}

// sentTo sends the person to the tracking page of the submission their
// form made.
func (h *Handler) sentTo(q *req, code string) {
	securityHeaders(q.w)
	q.w.Header().Set("Cache-Control", "no-store")
	http.Redirect(q.w, q.r, Prefix+q.lang+"/track/"+code+"?new=1", http.StatusSeeOther)
}

// formField is the form's name of a submission's field.
func formField(f domain.FieldError) string {
	switch f.Field {
	case "appellant.name":
		return "name"
	case "appellant.phone":
		return "phone"
	case "appellant.email":
		return "email"
	case "appellant.address", "appellant.pin":
		return "address"
	case "publish_identity_consent":
		return "consent"
	case "oblast", "district", "language":
		return "council"
	}
	return f.Field
}

// councilOf resolves the form's council: a council's code, or an oblast's
// (the first of its councils by code: the programme has one or a few per
// oblast, and the council forwards an appeal that is another's).
func (h *Handler) councilOf(v *view, choice string) (*store.PublicCouncil, bool) {
	if oblast, ok := strings.CutPrefix(choice, oblastChoice); ok {
		for _, c := range v.councils {
			if c.Oblast == oblast {
				return c, true
			}
		}
		return nil, false
	}
	c, ok := v.council[choice]
	return c, ok
}

// challenge serves a form's challenge: its digits as a picture
// (/challenge/TOKEN.png) or spoken in the page's language
// (/LANG/challenge/TOKEN.wav: Kyrgyz by package spoken, Russian and
// English by dchest/captcha's recordings).
func (h *Handler) challenge(q *req) {
	name := strings.TrimPrefix(q.rest, "challenge/")
	token, ext, _ := strings.Cut(name, ".")
	t, ok := h.guard.read(token)
	if !ok || len(t.digits) == 0 || (ext != "png" && ext != "wav") {
		h.notFound(q)
		return
	}
	if ok, wait := h.guard.media.Allow("m:"+h.guard.clientAddr(q.r).String(), h.now()); !ok {
		middleware.InfoOf(q.r).Code = "rate"
		q.w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		h.message(q.w, q.r, q.lang, http.StatusTooManyRequests, "form.title", "refuse.rate", false, "minutes", max(1, int(math.Ceil(wait.Minutes()))))
		return
	}
	// One at a time a core: a crowd of addresses waits here with a
	// request's few KB each, not with a recording's samples.
	wait := time.NewTimer(h.guard.mediaWait)
	defer wait.Stop()
	select {
	case h.guard.renders <- struct{}{}:
	case <-wait.C:
		middleware.InfoOf(q.r).Code = "busy"
		q.w.Header().Set("Retry-After", "10")
		h.message(q.w, q.r, q.lang, http.StatusServiceUnavailable, "form.title", "refuse.busy", false)
		return
	case <-q.r.Context().Done():
		return
	}
	// The turn is given back once it is made, before it is written: a
	// visitor who reads the answer slowly holds no core's turn.
	done := sync.OnceFunc(func() { <-h.guard.renders })
	defer done()
	var buf bytes.Buffer
	ctype := "image/png"
	switch {
	case ext == "png":
		captcha.NewImage(tokenID(t), t.digits, 240, 80).WriteTo(&buf)
	case q.lang == "ky":
		wav, err := spoken.WAV(spoken.Seed(tokenID(t), t.digits), t.digits)
		if err != nil { // digits the guard made: not a visitor's doing
			h.log.Error("public: the spoken challenge", "err", err)
			h.notFound(q)
			return
		}
		buf.Write(wav)
		ctype = "audio/x-wav"
	default:
		captcha.NewAudio(tokenID(t), t.digits, q.lang).WriteTo(&buf)
		ctype = "audio/x-wav"
	}
	done()
	h.write(q.w, q.r, http.StatusOK, ctype, buf.Bytes(), nil)
}

// TrackingCodeLen is the symbols of a tracking code: 10 of 30, 49 bits,
// never guessed within the lookups' rate limit.
const TrackingCodeLen = 10

// NewTrackingCode returns a random tracking code of the enrollment codes'
// alphabet (no 0/O, 1/I/L or U), grouped by five: K7QHM-3PX9D.
func NewTrackingCode() string {
	return trackingCode(func(buf []byte) { randomBytes(buf) })
}

// trackingCode makes a tracking code of the bytes fill gives, 32 at a time.
func trackingCode(fill func([]byte)) string {
	const alphabet = domain.DeviceTagAlphabet
	var b strings.Builder
	buf := make([]byte, 32)
	n := 0
	for n < TrackingCodeLen {
		fill(buf)
		for _, c := range buf {
			if n == TrackingCodeLen {
				break
			}
			if int(c) >= 256/len(alphabet)*len(alphabet) {
				continue // no bias
			}
			if n == TrackingCodeLen/2 {
				b.WriteByte('-')
			}
			b.WriteByte(alphabet[int(c)%len(alphabet)])
			n++
		}
	}
	return b.String()
}

// NormalizeTrackingCode is a code as a person may type it, in any case,
// with or without spaces and dashes, written as the server gives it; ""
// when it cannot be a code.
func NormalizeTrackingCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case '-', ' ', '_', '.', '\t':
			continue
		}
		if !strings.ContainsRune(domain.DeviceTagAlphabet, r) || b.Len() >= TrackingCodeLen {
			return ""
		}
		b.WriteRune(r)
	}
	if b.Len() != TrackingCodeLen {
		return ""
	}
	c := b.String()
	return c[:TrackingCodeLen/2] + "-" + c[TrackingCodeLen/2:]
}

// HashTrackingCode is what the server keeps of a code.
func HashTrackingCode(code string) [32]byte {
	return sha256.Sum256([]byte("kenesh-track:" + NormalizeTrackingCode(code)))
}
