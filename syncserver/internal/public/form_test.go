package public

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/public/spoken"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

var tokenRe = regexp.MustCompile(`name="t" value="([^"]+)"`)

// formToken opens the form and returns its token.
func (w *world) formToken(lang string) string {
	w.t.Helper()
	a := w.get(Prefix + lang + "/appeal")
	m := tokenRe.FindStringSubmatch(a.body)
	if a.status != http.StatusOK || m == nil {
		w.t.Fatalf("the form: %d\n%s", a.status, a.body)
	}
	return m[1]
}

func goodForm(token string) url.Values {
	return url.Values{"t": {token}, "council": {"NRN-ATB"}, "category": {"labour"}, "authority": {"private_employer"},
		"text": {"Иш берүүчү үч ай айлык төлөгөн жок.\nЭки жолу арыз жаздым."}, "name": {"Сагынбаев Нурлан"},
		"phone": {"+996 555 987 654"}, "consent": {"1"}}
}

// submissions returns the web submissions of the log, as the council's
// laptops pull them.
func (w *world) submissions(council string) []*changeset.Op { return w.submissionsOf(w.t, council) }

func (w *world) submissionsOf(tb testing.TB, council string) []*changeset.Op {
	tb.Helper()
	page, err := w.st.Pull(context.Background(), store.Scope{Council: council}, "", 0, store.PullLimits{MaxBytes: 4 << 20})
	if err != nil {
		tb.Fatal(err)
	}
	var out []*changeset.Op
	for _, op := range page.Ops {
		if op.Kind == domain.KindSubmission {
			out = append(out, op)
		}
	}
	return out
}

// A person fills the form, sends it, and is shown their tracking code on
// the tracking page; the council's laptops will pull the submission.
func TestFormSubmits(t *testing.T) {
	w := newWorld(t, GuardConfig{})
	a := w.post(Prefix+"ky/appeal", goodForm(w.formToken("ky")))
	loc := a.header.Get("Location")
	m := regexp.MustCompile(`^/public/ky/track/([2-9A-Z]{5}-[2-9A-Z]{5})\?new=1$`).FindStringSubmatch(loc)
	if a.status != http.StatusSeeOther || m == nil {
		t.Fatalf("sent: %d, Location %q\n%s", a.status, loc, a.body)
	}
	code := m[1]
	// Durable before the answer: the submission is in the log already.
	subs := w.submissions("NRN-ATB")
	if len(subs) != 1 || !strings.Contains(string(subs[0].Fields["text"].Value), "айлык") || string(subs[0].Fields["language"].Value) != `"ky"` {
		t.Fatalf("the council would pull %+v", subs)
	}
	tr := w.get(loc)
	if tr.status != http.StatusOK || !strings.Contains(tr.body, code) || !strings.Contains(tr.body, "Кабыл алынды") || !strings.Contains(tr.body, "Ат-Башы коомдук кеңеши") {
		t.Fatalf("the tracking page: %d\n%s", tr.status, tr.body)
	}
	for _, s := range []string{"Сагынбаев", "987 654", "айлык"} {
		if strings.Contains(tr.body, s) {
			t.Errorf("the tracking page shows %q", s)
		}
	}
	// The code as a person may type it again.
	if b := w.get(Prefix + "ru/track?code=" + url.QueryEscape(strings.ToLower(strings.ReplaceAll(code, "-", " ")))); b.status != http.StatusSeeOther || b.header.Get("Location") != Prefix+"ru/track/"+code {
		t.Fatalf("a typed code: %d %q", b.status, b.header.Get("Location"))
	}
	if b := w.get(Prefix + "en/track/" + NewTrackingCode()); b.status != http.StatusNotFound || !strings.Contains(b.body, "No appeal has this code") {
		t.Fatalf("an unknown code: %d", b.status)
	}
	// Sent for the oblast: the oblast's council receives it.
	f := goodForm(w.formToken("ru"))
	f.Set("council", "oblast:KG-O")
	f.Set("anonymous", "1")
	f.Del("consent")
	if a := w.post(Prefix+"ru/appeal", f); a.status != http.StatusSeeOther {
		t.Fatalf("for an oblast: %d\n%s", a.status, a.body)
	}
	subs = w.submissions("OSH-ARA")
	if len(subs) != 1 || subs[0].Fields["appellant"].Value != nil || string(subs[0].Fields["anonymous"].Value) != "true" {
		t.Fatalf("anonymous, for the oblast: %+v", subs)
	}
}

// What a person can mend gives their form back as they filled it, with
// the reason beside the field; what a script does is refused with a page.
func TestFormRefusals(t *testing.T) {
	w := newWorld(t, GuardConfig{PerAddress: 100, PerNetwork: 100, MaxWaiting: 3})
	for _, tc := range []struct {
		name     string
		change   func(url.Values)
		status   int
		want     []string // in the answer
		keepsTyp bool     // the typed text comes back
	}{
		{"no text and no contact", func(f url.Values) { f.Del("text"); f.Del("phone") }, 422,
			[]string{"This is required.", "Give a phone, an e-mail or an address"}, false},
		{"a bad phone", func(f url.Values) { f.Set("phone", "call me") }, 422, []string{"Please check how this is written."}, true},
		{"an unknown council", func(f url.Values) { f.Set("council", "XXX-YYY") }, 422, []string{"This council is not known"}, true},
		{"the honeypot", func(f url.Values) { f.Set("website", "http://spam.example") }, 400, []string{"a hidden field was filled in"}, false},
		{"a forged token", func(f url.Values) { f.Set("t", "AAAA") }, 200, []string{"The form was open for a long time"}, true},
		{"no token", func(f url.Values) { f.Del("t") }, 200, []string{"The form was open for a long time"}, true},
		{"too long a text", func(f url.Values) { f.Set("text", strings.Repeat("ж", domain.MaxSubmissionText+10)) }, 422, []string{"This is too long."}, false},
	} {
		f := goodForm(w.formToken("en"))
		tc.change(f)
		a := w.post(Prefix+"en/appeal", f)
		if a.status != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, a.status, tc.status)
		}
		for _, s := range tc.want {
			if !strings.Contains(a.body, s) {
				t.Errorf("%s: the answer lacks %q", tc.name, s)
			}
		}
		if tc.keepsTyp && !strings.Contains(a.body, "Сагынбаев Нурлан") {
			t.Errorf("%s: what was typed is not given back", tc.name)
		}
	}
	if n := len(w.submissions("NRN-ATB")); n != 0 {
		t.Fatalf("%d submissions made by refused forms", n)
	}
	// The council's inbox holds at most 3 waiting.
	for i := range 4 {
		a := w.post(Prefix+"en/appeal", goodForm(w.formToken("en")))
		if i < 3 && a.status != http.StatusSeeOther || i == 3 && (a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "try again tomorrow")) {
			t.Fatalf("submission %d: %d", i+1, a.status)
		}
	}
	// An oversized body.
	big := goodForm(w.formToken("en"))
	big.Set("x", strings.Repeat("a", maxBody))
	if a := w.post(Prefix+"en/appeal", big); a.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("an oversized body: %d", a.status)
	}
}

// A form sent faster than a person fills it is given back to check.
func TestFormTooFast(t *testing.T) {
	w := newWorld(t, GuardConfig{MinFill: time.Hour})
	a := w.post(Prefix+"ru/appeal", goodForm(w.formToken("ru")))
	if a.status != http.StatusOK || !strings.Contains(a.body, "Прочитайте написанное") || !strings.Contains(a.body, "Сагынбаев Нурлан") {
		t.Fatalf("too fast: %d\n%s", a.status, a.body)
	}
}

// Rate limits per address and per network, with a clear page.
func TestFormRateLimits(t *testing.T) {
	w := newWorld(t, GuardConfig{PerAddress: 2, PerNetwork: 100})
	for i := range 3 {
		a := w.post(Prefix+"ky/appeal", goodForm(w.formToken("ky")))
		if i < 2 && a.status != http.StatusSeeOther {
			t.Fatalf("submission %d: %d", i+1, a.status)
		}
		if i == 2 && (a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" || !strings.Contains(a.body, "мүнөттөн кийин")) {
			t.Fatalf("over the limit: %d %q", a.status, a.header.Get("Retry-After"))
		}
	}
	// Another address of the same /24 is limited by the network's limit.
	g, _ := newGuard(GuardConfig{PerAddress: 100, PerNetwork: 2}, time.Now)
	for i, addr := range []string{"10.1.2.3:1", "10.1.2.4:1", "10.1.2.5:1", "10.1.3.5:1"} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = addr
		ok, _ := g.allow(r)
		if ok != (i != 2) {
			t.Errorf("%s: allowed %v", addr, ok)
		}
	}
}

// The challenge, when the administrator switches it on: a picture and a
// recording of the digits, checked once.
func TestFormChallenge(t *testing.T) {
	w := newWorld(t, GuardConfig{Challenge: true})
	page := w.get(Prefix + "en/appeal")
	token := tokenRe.FindStringSubmatch(page.body)[1]
	if !strings.Contains(page.body, `<img src="/public/challenge/`+token+`.png"`) || !strings.Contains(page.body, "Listen to the digits") {
		t.Fatalf("no challenge on the form:\n%s", page.body)
	}
	img := w.get(Prefix + "challenge/" + token + ".png")
	if img.status != http.StatusOK || img.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(img.body, "\x89PNG") {
		t.Fatalf("the picture: %d %s", img.status, img.header.Get("Content-Type"))
	}
	// Spoken in the page's language: Kyrgyz pages get Kyrgyz digits, not
	// the Russian the library has (each language its own recording; the
	// same one fetched again).
	wavs := map[string]string{}
	for _, lang := range []string{"ky", "ru", "en", "ky"} {
		wav := w.get(Prefix + lang + "/challenge/" + token + ".wav")
		if wav.status != http.StatusOK || !strings.HasPrefix(wav.body, "RIFF") || wav.header.Get("Content-Type") != "audio/x-wav" {
			t.Fatalf("the %s recording: %d %s", lang, wav.status, wav.header.Get("Content-Type"))
		}
		if before, ok := wavs[lang]; ok && before != wav.body {
			t.Errorf("the %s recording changed when fetched again", lang)
		}
		wavs[lang] = wav.body
	}
	tk, _ := w.h.guard.read(token)
	if ky, err := spoken.WAV(spoken.Seed(tokenID(tk), tk.digits), tk.digits); err != nil || string(ky) != wavs["ky"] {
		t.Errorf("the Kyrgyz recording is not the digits spoken in Kyrgyz (%v)", err)
	}
	if wavs["ky"] == wavs["ru"] || wavs["ru"] == wavs["en"] {
		t.Error("two languages got the same recording")
	}
	answer := ""
	for _, d := range tk.digits {
		answer += string(rune('0' + d))
	}
	wrong := goodForm(token)
	wrong.Set("answer", "00000x")
	if answer == "00000" {
		wrong.Set("answer", "11111")
	}
	if a := w.post(Prefix+"en/appeal", wrong); a.status != http.StatusOK || !strings.Contains(a.body, "did not match") {
		t.Fatalf("a wrong answer: %d", a.status)
	}
	token = w.formToken("en")
	tk, _ = w.h.guard.read(token)
	answer = ""
	for _, d := range tk.digits {
		answer += string(rune('0' + d))
	}
	right := goodForm(token)
	right.Set("answer", answer)
	sent := w.post(Prefix+"en/appeal", right)
	if sent.status != http.StatusSeeOther {
		t.Fatalf("the right answer: %d\n%s", sent.status, sent.body)
	}
	if a := w.post(Prefix+"en/appeal", right); a.status != http.StatusSeeOther || a.header.Get("Location") != sent.header.Get("Location") {
		t.Fatalf("the same form sent again: %d to %q, want its tracking page %q", a.status, a.header.Get("Location"), sent.header.Get("Location"))
	}
	if n := len(w.submissions("NRN-ATB")); n != 1 {
		t.Fatalf("%d submissions, want 1", n)
	}
}

func TestTrackingCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := NewTrackingCode()
		if NormalizeTrackingCode(c) != c || seen[c] || len(c) != TrackingCodeLen+1 {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
	for in, want := range map[string]string{"k7qhm 3px9d": "K7QHM-3PX9D", "K7QHM-3PX9D": "K7QHM-3PX9D", "K7QHM3PX9D": "K7QHM-3PX9D",
		"K7QHM-3PX9": "", "K7QHM-3PX9DD": "", "K0QHM-3PX9D": "", "ӨӨӨӨӨ-ӨӨӨӨӨ": ""} {
		if got := NormalizeTrackingCode(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	if HashTrackingCode("k7qhm 3px9d") != HashTrackingCode("K7QHM-3PX9D") {
		t.Error("a code typed otherwise hashes otherwise")
	}
}

// The administrator switches the challenge on while the server runs: forms
// shown from then on ask it, a form shown before is given back with one
// (not taken without it), and switched off, forms are taken without it.
func TestFormChallengeSwitched(t *testing.T) {
	w := newWorld(t, GuardConfig{})
	before := w.formToken("en")
	if w.h.Challenge() || strings.Contains(w.get(Prefix+"en/appeal").body, "/challenge/") {
		t.Fatal("a challenge before it was switched on")
	}
	w.h.SetChallenge(true)
	page := w.get(Prefix + "en/appeal")
	if !w.h.Challenge() || !strings.Contains(page.body, "/challenge/") {
		t.Fatal("no challenge on the form once switched on")
	}
	if a := w.post(Prefix+"en/appeal", goodForm(before)); a.status != http.StatusOK || !strings.Contains(a.body, "/challenge/") || !strings.Contains(a.body, "Сагынбаев Нурлан") {
		t.Fatalf("a form shown before the switch: %d, given back with a challenge and what was typed: %v", a.status, strings.Contains(a.body, "/challenge/"))
	}
	if n := len(w.submissions("NRN-ATB")); n != 0 {
		t.Fatalf("%d submissions taken without the challenge", n)
	}
	w.h.SetChallenge(false)
	if a := w.post(Prefix+"en/appeal", goodForm(w.formToken("en"))); a.status != http.StatusSeeOther {
		t.Fatalf("switched off: %d", a.status)
	}
}

// The challenge's pictures and recordings are rate-limited per address:
// making a recording costs the server 16 ms, and a token is free.
func TestChallengeMediaLimited(t *testing.T) {
	w := newWorld(t, GuardConfig{Challenge: true})
	token := w.formToken("en")
	for i := range challengeMediaBurst {
		path := Prefix + "challenge/" + token + ".png"
		if i%2 == 1 {
			path = Prefix + "ru/challenge/" + token + ".wav"
		}
		if a := w.get(path); a.status != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, a.status)
		}
	}
	a := w.get(Prefix + "challenge/" + token + ".png")
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
		t.Fatalf("past the burst: %d, Retry-After %q", a.status, a.header.Get("Retry-After"))
	}
}

// The challenge's pictures and recordings are made a core at a time: the
// per-address limits do not bound a crowd of addresses, and each
// recording's samples are ~0.8 MB. A request past its turn's wait is told
// the server is busy and when to come back; one that gets a turn is
// served.
func TestChallengeMediaTakeTurns(t *testing.T) {
	w := newWorld(t, GuardConfig{Challenge: true})
	w.h.guard.mediaWait = 50 * time.Millisecond
	token := w.formToken("ky")
	for range cap(w.h.guard.renders) {
		w.h.guard.renders <- struct{}{} // every core making one
	}
	a := w.get(Prefix + "ky/challenge/" + token + ".wav")
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" || !strings.Contains(a.body, "бош эмес") {
		t.Fatalf("no turn: %d, Retry-After %q:\n%.300s", a.status, a.header.Get("Retry-After"), a.body)
	}
	w.h.guard.mediaWait = 10 * time.Second
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Get(w.srv.URL + Prefix + "ky/challenge/" + token + ".wav")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		done <- resp
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case resp := <-done:
		t.Fatalf("served without a turn: %v", resp)
	default:
	}
	<-w.h.guard.renders // one made
	if resp := <-done; resp == nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "audio/x-wav" {
		t.Fatalf("its turn: %v", resp)
	}
	if n := len(w.h.guard.renders); n != cap(w.h.guard.renders)-1 {
		t.Fatalf("%d turns held after the recording, want %d", n, cap(w.h.guard.renders)-1)
	}
}

// The same form sent twice (a double tap, a reload, a retry after a lost
// answer), one after the other or at once, makes one submission: every
// sending lands on its tracking page, and the rate limit counts it once.
func TestFormSentTwice(t *testing.T) {
	w := newWorld(t, GuardConfig{PerAddress: 2})
	form := goodForm(w.formToken("ru"))
	first := w.post(Prefix+"ru/appeal", form)
	if first.status != http.StatusSeeOther || !strings.Contains(first.header.Get("Location"), "/track/") {
		t.Fatalf("sent: %d %q", first.status, first.header.Get("Location"))
	}
	for i := range 3 { // past the rate limit of 2 an hour: not counted
		if a := w.post(Prefix+"ru/appeal", form); a.status != http.StatusSeeOther || a.header.Get("Location") != first.header.Get("Location") {
			t.Fatalf("sent again (%d): %d to %q, want %q", i+1, a.status, a.header.Get("Location"), first.header.Get("Location"))
		}
	}
	if n := len(w.submissions("NRN-ATB")); n != 1 {
		t.Fatalf("%d submissions, want 1", n)
	}
	// At once: eight sendings of one new form.
	form = goodForm(w.formToken("ru"))
	locs := make([]string, 8)
	var wg sync.WaitGroup
	for i := range locs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, w.srv.URL+Prefix+"ru/appeal", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := w.client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusSeeOther {
				locs[i] = resp.Header.Get("Location")
			}
		}()
	}
	wg.Wait()
	for _, l := range locs {
		if l == "" || l != locs[0] || l == first.header.Get("Location") {
			t.Fatalf("sent at once: %q", locs)
		}
	}
	if n := len(w.submissions("NRN-ATB")); n != 2 {
		t.Fatalf("%d submissions, want 2", n)
	}
}

// A form sent again through another process of the server (a load
// balancer gives the retry to the next), or after a restart, goes to the
// tracking page the first sending made and makes no second submission:
// the processes share the secret, and the form's submission and first
// code are its token's own, not anything one process remembers. A form
// whose code another submission drew still makes its own.
func TestFormSentAgainThroughAnotherProcess(t *testing.T) {
	secret := bytes.Repeat([]byte{9}, 32)
	w := newWorld(t, GuardConfig{Secret: secret})
	process := func() string { // another process's handler on the same store
		h, err := New(Config{Store: w.st, Submit: w.ing.Submit, Logger: w.h.log, Guard: GuardConfig{Secret: secret, MinFill: time.Nanosecond}})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle(Prefix, h)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	form := goodForm(w.formToken("ky"))
	first := w.post(Prefix+"ky/appeal", form)
	loc := first.header.Get("Location")
	if first.status != http.StatusSeeOther || !strings.Contains(loc, "/track/") {
		t.Fatalf("sent: %d %q", first.status, loc)
	}
	for i, base := range []string{process(), process()} {
		resp, err := w.client().PostForm(base+Prefix+"ky/appeal", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != loc {
			t.Fatalf("sent again through process %d: %d to %q, want %q", i+2, resp.StatusCode, resp.Header.Get("Location"), loc)
		}
	}
	if n := len(w.submissions("NRN-ATB")); n != 1 {
		t.Fatalf("%d submissions, want 1", n)
	}
	// Another form: its own submission and page.
	token := w.formToken("ky")
	second := w.post(Prefix+"ky/appeal", goodForm(token))
	if l := second.header.Get("Location"); second.status != http.StatusSeeOther || l == loc || !strings.Contains(l, "/track/") {
		t.Fatalf("another form: %d %q", second.status, l)
	}
	// A form whose own code some other submission holds draws another.
	token = w.formToken("ky")
	taken := w.h.guard.formCode(token)
	other := &domain.Submission{Council: "NRN-ATB", Language: "ky", Category: "labour", Authority: "private_employer", Text: "Башка арыз", Anonymous: true}
	if err := w.ing.Submit(context.Background(), other, HashTrackingCode(taken), 0); err != nil {
		t.Fatal(err)
	}
	third := w.post(Prefix+"ky/appeal", goodForm(token))
	if l := third.header.Get("Location"); third.status != http.StatusSeeOther || strings.Contains(l, taken) || !strings.Contains(l, "/track/") {
		t.Fatalf("a form whose code was taken: %d %q (the taken code %s)", third.status, l, taken)
	}
	if n := len(w.submissions("NRN-ATB")); n != 4 {
		t.Fatalf("%d submissions, want 4", n)
	}
}
