package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// writer is a device that pushes operations through the ingester.
type writer struct {
	t     *testing.T
	g     *Ingester
	dev   *store.Device
	seq   uint64
	clock *hlc.Clock
}

func newWriter(t *testing.T, g *Ingester, role, council string) *writer {
	return &writer{t: t, g: g, dev: &store.Device{ID: domain.NewID(), Name: role + " laptop", Role: role, Council: council}, clock: hlc.NewClock(0, time.Now)}
}

// push sends one operation per record: kind, id, action and fields as JSON
// values; it fails the test unless every one is accepted.
func (w *writer) push(ops ...wop) {
	w.t.Helper()
	var wire []syncproto.WireOp
	for _, o := range ops {
		w.seq++
		fields := map[string]syncproto.WireChange{}
		for k, v := range o.fields {
			b, err := json.Marshal(v)
			if err != nil {
				w.t.Fatal(err)
			}
			fields[k] = syncproto.WireChange{V: b}
		}
		wire = append(wire, syncproto.WireOp{Device: w.dev.ID, Seq: w.seq, HLC: uint64(w.clock.Now()), Kind: o.kind, Record: o.id,
			Council: o.council, Action: o.action, Author: "x", Fields: fields})
	}
	res, err := w.g.Push(context.Background(), w.dev, wire)
	if err != nil {
		w.t.Fatal(err)
	}
	if len(res.Refused) > 0 {
		w.t.Fatalf("refused: %+v", res.Refused)
	}
}

type wop struct {
	kind, id, council, action string
	fields                    map[string]any
}

// appealFields is a whole appeal with everything private filled in.
func appealFields(regNo string) map[string]any {
	return map[string]any{"council": "NRN-ATB", "reg_no": regNo, "received_on": "2026-11-02", "registered_on": "2026-11-02",
		"channel": "phone", "oblast": "KG-N", "district": "KG-N-ATB", "village": "PRIVATE-VILLAGE", "category": "police_justice",
		"authority": "police", "summary": "PRIVATE-SUMMARY", "description": "PRIVATE-DESCRIPTION", "status": "verified",
		"verified_on": "2026-11-05", "status_note": "PRIVATE-NOTE",
		"appellant":             map[string]any{"name": "PRIVATE-NAME", "phone": "+996 555 000 111", "email": "private@example.kg", "address": "PRIVATE-ADDRESS", "pin": "21234567890123"},
		"ready_for_publication": true, "public_summary": "The police refused to register a complaint"}
}

func projected(t *testing.T, st store.Store) map[string]store.PublicAppeal {
	t.Helper()
	out := map[string]store.PublicAppeal{}
	err := st.ReadPublic(context.Background(), func(r store.PublicReader) error {
		return r.EachAppeal(func(p *store.PublicAppeal) error { out[p.ID] = *p; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The projection follows publication, and every condition of it, in the
// push that changes it; it never holds what the appellant keeps private.
func TestProjectionFollowsPublication(t *testing.T) {
	ctx := context.Background()
	st, g := newIngester(t, badgerstore.Options{Small: true}, nil)
	if _, err := g.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
		t.Fatal(err)
	}
	sec := newWriter(t, g, domain.RoleSecretary, "NRN-ATB")
	central := newWriter(t, g, domain.RoleCentral, "")
	id := domain.NewID()
	update := func(w *writer, fields map[string]any) {
		w.push(wop{domain.KindAppeal, id, "NRN-ATB", "update", fields})
	}
	sec.push(wop{domain.KindAppeal, id, "NRN-ATB", "create", appealFields("NRN-ATB-2026-K7QH-0001")})
	steps := []struct {
		name string
		do   func()
		want bool
	}{
		{"verified and ready, not published", func() {}, false},
		{"published by central staff", func() { update(central, map[string]any{"published": true, "published_on": "2026-11-10"}) }, true},
		{"readiness withdrawn", func() { update(sec, map[string]any{"ready_for_publication": false}) }, false},
		{"ready again", func() { update(sec, map[string]any{"ready_for_publication": true}) }, true},
		{"answered", func() { update(sec, map[string]any{"status": "answered", "answered_on": "2026-11-12"}) }, true},
		{"reopened: a status that may not be published", func() { update(sec, map[string]any{"status": "under_review"}) }, false},
		{"closed", func() { update(sec, map[string]any{"status": "closed", "closed_on": "2026-11-20"}) }, true},
		{"unpublished by central staff", func() { update(central, map[string]any{"published": false}) }, false},
		{"published again", func() { update(central, map[string]any{"published": true}) }, true},
		{"deleted", func() {
			sec.push(wop{domain.KindAppeal, id, "NRN-ATB", "delete", map[string]any{changeset.DeletedField: true}})
		}, false},
	}
	var last store.PublicStamp
	for _, s := range steps {
		s.do()
		p, ok := projected(t, st)[id]
		if ok != s.want {
			t.Fatalf("%s: in the projection %v, want %v", s.name, ok, s.want)
		}
		v, err := st.PublicVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v.N <= last.N {
			t.Errorf("%s: the projection's version did not move (%d)", s.name, v.N)
		}
		last = v
		b, _ := json.Marshal(p)
		for _, private := range []string{"PRIVATE", "+996", "example.kg", "2123456789"} {
			if strings.Contains(string(b), private) {
				t.Fatalf("%s: the projection holds %q: %s", s.name, private, b)
			}
		}
		if ok && (p.RegNo != "NRN-ATB-2026-K7QH-0001" || p.Summary != "The police refused to register a complaint" || p.Named || p.Appellant != "" ||
			p.PublishedOn != caldate.MustParse("2026-11-10") || p.AnswerBy != caldate.MustParse("2026-11-16")) {
			t.Fatalf("%s: %+v", s.name, p)
		}
	}
	// A push that changes nothing public leaves the version alone.
	other := domain.NewID()
	sec.push(wop{domain.KindAppeal, other, "NRN-ATB", "create", appealFields("NRN-ATB-2026-K7QH-0002")})
	if v, _ := st.PublicVersion(ctx); v.N != last.N {
		t.Errorf("an unpublished appeal moved the version from %d to %d", last.N, v.N)
	}
	// The name only with consent.
	update2 := func(w *writer, fields map[string]any) {
		w.push(wop{domain.KindAppeal, other, "NRN-ATB", "update", fields})
	}
	update2(sec, map[string]any{"publish_identity_consent": true})
	update2(central, map[string]any{"published": true})
	if p := projected(t, st)[other]; !p.Named || p.Appellant != "PRIVATE-NAME" {
		t.Fatalf("named with consent: %+v", p)
	}
	// Councils are projected as the public sees them.
	var councils []store.PublicCouncil
	st.ReadPublic(ctx, func(r store.PublicReader) error {
		return r.EachCouncil(func(c *store.PublicCouncil) error { councils = append(councils, *c); return nil })
	})
	if len(councils) != 1 || councils[0] != (store.PublicCouncil{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N", District: "KG-N-ATB"}) {
		t.Fatalf("councils %+v", councils)
	}
}

func submission(council string) *domain.Submission {
	return &domain.Submission{Council: council, Language: "ru", Oblast: "KG-N", Category: "labour", Text: "PRIVATE-TEXT: зарплату не платят",
		Appellant: &domain.Appellant{Name: "PRIVATE-NAME", Phone: "+996 555 000 111"}}
}

func tracking(t *testing.T, st store.Store, code string) *store.Tracking {
	t.Helper()
	var tr *store.Tracking
	err := st.ReadPublic(context.Background(), func(r store.PublicReader) (err error) {
		tr, err = r.Tracking(sha256.Sum256([]byte(code)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// A web submission is an operation of the server for its council, with a
// tracking that follows it into the appeal it becomes.
func TestSubmissionAndTracking(t *testing.T) {
	ctx := context.Background()
	st, g := newIngester(t, badgerstore.Options{Small: true}, nil)
	for _, c := range []domain.Council{{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"}, {Code: "OSH-ARA", Name: "Араван", Oblast: "KG-O"}} {
		if _, err := g.AddCouncil(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	s := submission("NRN-ATB")
	if err := g.Submit(ctx, s, sha256.Sum256([]byte("code-1")), 2); err != nil {
		t.Fatal(err)
	}
	if !domain.ValidID(s.ID) || s.Status != domain.SubmissionWaiting || s.ReceivedOn.IsZero() || s.ReceivedAt.IsZero() {
		t.Fatalf("the submission as made: %+v", s)
	}
	// The council's laptops pull it; no other council's does.
	page, err := st.Pull(ctx, store.Scope{Council: "NRN-ATB"}, "", 0, store.PullLimits{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var got *changeset.Op
	for _, op := range page.Ops {
		if op.Kind == domain.KindSubmission {
			got = op
		}
	}
	if got == nil || got.Record != s.ID || got.Device != g.ServerDevice() || got.Council != "NRN-ATB" {
		t.Fatalf("the council pulls %+v", got)
	}
	if page, _ := st.Pull(ctx, store.Scope{Council: "OSH-ARA"}, "", 0, store.PullLimits{MaxBytes: 1 << 20}); len(page.Ops) != 0 {
		t.Fatalf("another council pulls %d operations", len(page.Ops))
	}
	tr := tracking(t, st, "code-1")
	if tr.Submission != s.ID || tr.Status != domain.SubmissionWaiting || tr.ReceivedOn != s.ReceivedOn || tr.Council != "NRN-ATB" {
		t.Fatalf("tracking %+v", tr)
	}
	// Refusals: a code bound already, an unknown council, a full inbox.
	if err := g.Submit(ctx, submission("NRN-ATB"), sha256.Sum256([]byte("code-1")), 0); !errors.Is(err, store.ErrCodeTaken) {
		t.Fatalf("a code bound twice: %v", err)
	}
	if err := g.Submit(ctx, submission("TLS-TLS"), sha256.Sum256([]byte("code-2")), 0); !errors.Is(err, ErrNoCouncil) {
		t.Fatalf("an unknown council: %v", err)
	}
	if err := g.Submit(ctx, submission("NRN-ATB"), sha256.Sum256([]byte("code-2")), 2); err != nil {
		t.Fatal(err)
	}
	if err := g.Submit(ctx, submission("NRN-ATB"), sha256.Sum256([]byte("code-3")), 2); !errors.Is(err, ErrInboxFull) {
		t.Fatalf("a third with room for two: %v", err)
	}
	if err := g.Submit(ctx, submission("OSH-ARA"), sha256.Sum256([]byte("code-3")), 2); err != nil {
		t.Fatalf("another council's inbox has room: %v", err)
	}
	bad := submission("NRN-ATB")
	bad.Text = ""
	var ve *domain.ValidationError
	if err := g.Submit(ctx, bad, sha256.Sum256([]byte("code-4")), 0); !errors.As(err, &ve) {
		t.Fatalf("an empty text: %v", err)
	}

	// The council registers it as an appeal, in one push.
	sec := newWriter(t, g, domain.RoleSecretary, "NRN-ATB")
	appeal := domain.NewID()
	af := appealFields("NRN-ATB-2026-K7QH-0007")
	af["status"], af["ready_for_publication"] = "received", false
	sec.push(
		wop{domain.KindSubmission, s.ID, "NRN-ATB", "update", map[string]any{"status": "registered", "appeal": appeal, "handled_on": "2026-11-02"}},
		wop{domain.KindAppeal, appeal, "NRN-ATB", "create", af},
	)
	tr = tracking(t, st, "code-1")
	if tr.Status != domain.SubmissionRegistered || tr.RegNo != "NRN-ATB-2026-K7QH-0007" || tr.AppealStatus != domain.StatusReceived || tr.Appeal != appeal || tr.Published {
		t.Fatalf("registered: %+v", tr)
	}
	n := 0
	st.ReadPublic(ctx, func(r store.PublicReader) (err error) { n, err = r.Waiting("NRN-ATB"); return err })
	if n != 1 {
		t.Fatalf("waiting %d after one was registered, want 1", n)
	}
	// The appeal moves on; published, the tracking says so.
	sec.push(wop{domain.KindAppeal, appeal, "NRN-ATB", "update", map[string]any{"status": "verified", "verified_on": "2026-11-04", "ready_for_publication": true}})
	newWriter(t, g, domain.RoleCentral, "").push(wop{domain.KindAppeal, appeal, "NRN-ATB", "update", map[string]any{"published": true}})
	sec.push(wop{domain.KindAppeal, appeal, "NRN-ATB", "update", map[string]any{"status": "closed", "closed_on": "2026-11-20"}})
	tr = tracking(t, st, "code-1")
	if tr.AppealStatus != domain.StatusClosed || tr.ClosedOn != caldate.MustParse("2026-11-20") || !tr.Published {
		t.Fatalf("closed and published: %+v", tr)
	}
	b, _ := json.Marshal(tr)
	if strings.Contains(string(b), "PRIVATE") || strings.Contains(string(b), "+996") {
		t.Fatalf("the tracking holds private data: %s", b)
	}

	// Another council's appeal named by a laptop is not followed.
	osh := newWriter(t, g, domain.RoleSecretary, "OSH-ARA")
	oshAppeal := domain.NewID()
	of := appealFields("OSH-ARA-2026-K7QH-0001")
	of["council"], of["oblast"], of["district"] = "OSH-ARA", "KG-O", ""
	osh.push(wop{domain.KindAppeal, oshAppeal, "OSH-ARA", "create", of})
	second := tracking(t, st, "code-2")
	sec.push(wop{domain.KindSubmission, second.Submission, "NRN-ATB", "update", map[string]any{"status": "merged", "appeal": oshAppeal, "handled_on": "2026-11-03"}})
	if tr := tracking(t, st, "code-2"); tr.Status != domain.SubmissionMerged || tr.RegNo != "" || tr.Appeal != "" {
		t.Fatalf("merged into another council's appeal: %+v", tr)
	}

	// A submission registered as an appeal created in the same push and
	// stepped after it (a record created from its creation's encoding and
	// merged on it): the tracking follows the appeal as the push left it.
	third := tracking(t, st, "code-3")
	later := domain.NewID()
	lf := appealFields("OSH-ARA-2026-K7QH-0002")
	lf["council"], lf["oblast"], lf["district"], lf["status"] = "OSH-ARA", "KG-O", "", "received"
	osh.push(wop{domain.KindAppeal, later, "OSH-ARA", "create", lf},
		wop{domain.KindSubmission, third.Submission, "OSH-ARA", "update", map[string]any{"status": "registered", "appeal": later, "handled_on": "2026-11-04"}},
		wop{domain.KindAppeal, later, "OSH-ARA", "update", map[string]any{"status": "verified", "verified_on": "2026-11-05"}})
	if tr := tracking(t, st, "code-3"); tr.Status != domain.SubmissionRegistered || tr.RegNo != "OSH-ARA-2026-K7QH-0002" || tr.AppealStatus != domain.StatusVerified || tr.Appeal != later {
		t.Fatalf("registered as an appeal of the same push: %+v", tr)
	}
}

// A store projected by an older rule, or never, is projected again when
// the ingester is asked to (at every start).
func TestProjectAgain(t *testing.T) {
	ctx := context.Background()
	st, g := newIngester(t, badgerstore.Options{Small: true}, nil)
	if _, err := g.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"}); err != nil {
		t.Fatal(err)
	}
	sec := newWriter(t, g, domain.RoleSecretary, "NRN-ATB")
	central := newWriter(t, g, domain.RoleCentral, "")
	var ids []string
	for i := range 3 {
		id := domain.NewID()
		ids = append(ids, id)
		sec.push(wop{domain.KindAppeal, id, "NRN-ATB", "create", appealFields(domain.FormatRegNo("NRN-ATB", 2026, "K7QH", uint64(i+1)))})
		central.push(wop{domain.KindAppeal, id, "NRN-ATB", "update", map[string]any{"published": true}})
	}
	s := submission("NRN-ATB")
	if err := g.Submit(ctx, s, sha256.Sum256([]byte("c")), 0); err != nil {
		t.Fatal(err)
	}
	// An older server's store: no projection, no rule.
	err := st.Append(ctx, func(w store.LogTx) error {
		for _, id := range ids {
			if err := w.DeletePublicAppeal(id); err != nil {
				return err
			}
		}
		if err := w.DeletePublicCouncil("NRN-ATB"); err != nil {
			return err
		}
		if err := w.PutTracking(&store.Tracking{Submission: s.ID}); err != nil {
			return err
		}
		return w.SetPublicRule(0)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(projected(t, st)); n != 0 {
		t.Fatalf("%d appeals left", n)
	}
	if err := g.Project(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(projected(t, st)); n != 3 {
		t.Fatalf("%d appeals projected again, want 3", n)
	}
	if tr := tracking(t, st, "c"); tr.Status != domain.SubmissionWaiting || tr.Council != "NRN-ATB" {
		t.Fatalf("tracking projected again: %+v", tr)
	}
	var rule int
	st.Append(ctx, func(w store.LogTx) (err error) { rule, err = w.PublicRule(); return err })
	if rule != PublicRule {
		t.Fatalf("rule %d after projecting, want %d", rule, PublicRule)
	}
	// Once made by this rule, it is not made again.
	st.Append(ctx, func(w store.LogTx) error { return w.DeletePublicAppeal(ids[0]) })
	if err := g.Project(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(projected(t, st)); n != 2 {
		t.Fatalf("projected again under the same rule: %d appeals", n)
	}
}
