package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/policy"
)

// Central staff set up a competition in the app, in each language: the
// home screen's Competitions panel is there with no competition yet; the
// form names each fault beside its field (a date and a number it cannot
// read, two jurors on one laptop) and keeps what was typed; an entry is
// added with its work as a file (which opens from a decrypted copy) and
// another with a link, a missing title and a file that is not there
// named in place; a juror is marked related to an entry and then does
// not score it; publishing an incomplete ranking is refused in place,
// naming who has still to score, and goes through once it is complete;
// an edit keeps what came while its form was open.
// A council's laptop is offered none of it.
func TestCompetitionSetUp(t *testing.T) {
	for _, lang := range []string{"ky", "ru", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := unlocked(t, lang, 0, 0, 0)
			ctx := context.Background()
			svc := h.u.sess.Records()
			if h.u.setsUpCompetitions() {
				t.Fatal("a laptop not enrolled sets up competitions")
			}
			if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", ServerID: "test", Token: "t",
				Role: domain.RoleCentral, Name: "Central office", At: time.Now()}); err != nil {
				t.Fatal(err)
			}
			h.u.shell.rebuild()
			h.u.shell.show()
			h.drain()

			h.tap(h.T("home.competitions_all"))
			p, ok := h.u.shell.top().(*competitionsPage)
			if !ok || p.add == nil {
				t.Fatalf("the Competitions page offers central staff no New competition: %T", h.u.shell.top())
			}
			h.mustShow(h.T("competitions.none_yet"))
			test.Tap(p.add)
			h.drain()
			f, ok := h.u.shell.top().(*competitionForm)
			if !ok {
				t.Fatalf("the competition form is not shown: %T", h.u.shell.top())
			}
			// Faults the form finds itself.
			test.Type(f.name, "Мыкты журналисттик иш 2026")
			test.Type(f.deadline, "31.13.2026")
			f.places.SetText("99")
			f.criteria.rows[0].a.SetText("Маанилүүлүгү")
			f.criteria.rows[0].b.SetText("он")
			test.Tap(f.save)
			h.drain()
			if _, still := h.u.shell.top().(*competitionForm); !still {
				t.Fatal("the form closed with faults")
			}
			h.mustShow(h.T("err.format.date"))
			h.mustShow(h.T("competition.err_places", "max", domain.MaxPlaces))
			h.mustShow(h.T("competition.err_max", "max", domain.MaxCriterionPoints))
			h.mustShow(h.T("form.fix", "n", 3))
			// Faults the core finds: one laptop for two jurors.
			f.deadline.SetText(h.u.tr.DateInput(svc.Today().AddDays(10)))
			f.places.SetText("2")
			f.criteria.rows[0].b.SetText("10")
			test.Tap(f.criteria.add)
			f.criteria.rows[1].a.SetText("Сапаты")
			f.criteria.rows[1].b.SetText("5")
			test.Tap(f.categories.add)
			f.categories.rows[0].a.SetText("Мыкты иликтөө")
			test.Tap(f.jurors.add)
			test.Tap(f.jurors.add)
			f.jurors.rows[0].a.SetText("Айгүл Токтогулова")
			f.jurors.rows[0].b.SetText(svc.Device().ID)
			f.jurors.rows[1].a.SetText("Бакыт Асанов")
			f.jurors.rows[1].b.SetText(svc.Device().ID)
			test.Tap(f.save)
			h.drain()
			if _, still := h.u.shell.top().(*competitionForm); !still {
				t.Fatal("the form closed with two jurors on one laptop")
			}
			if !f.jurors.rows[1].f.err.Visible() || f.jurors.rows[1].f.err.Text != h.T("field.device")+": "+h.T("err.mismatch.device") {
				t.Fatalf("the second juror's fault: %q", f.jurors.rows[1].f.err.Text)
			}
			if f.name.Text != "Мыкты журналисттик иш 2026" {
				t.Fatal("what was typed is lost")
			}
			// A laptop's id typed wrong (a letter for a digit): said beside
			// the juror, nothing saved; typed with capitals and braces: put
			// as the laptop's Settings shows it.
			f.jurors.rows[1].b.SetText("0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9dOe")
			test.Tap(f.save)
			h.drain()
			if _, still := h.u.shell.top().(*competitionForm); !still {
				t.Fatal("the form closed with a juror's laptop id that is no laptop's")
			}
			if got := f.jurors.rows[1].f.err.Text; got != h.T("field.device")+": "+h.T("err.format.device") {
				t.Fatalf("the mistyped laptop id: %q", got)
			}
			f.jurors.rows[1].b.SetText(" {0193F2A4-7C1E-7D2A-9B3E-5F6A7B8C9D0E}")
			test.Tap(f.save)
			h.drain()
			d, ok := h.u.shell.top().(*competitionDetail)
			if !ok {
				t.Fatalf("the new competition's page is not shown: %T; screen: %s", h.u.shell.top(), strings.Join(h.texts(), " | "))
			}
			c := d.c
			if c.Title != "Мыкты журналисттик иш 2026" || c.Places != 2 || len(c.Criteria) != 2 || c.Criteria[1].Max != 5 || len(c.Jurors) != 2 || len(c.Categories) != 1 {
				t.Fatalf("saved: %+v", c)
			}
			me, other := c.Jurors[0], c.Jurors[1]
			if other.Device != bakyt {
				t.Fatalf("the second juror's laptop: %q, want %q", other.Device, bakyt)
			}

			// An entry with its work as a file: a missing title and a file
			// that is not there are named beside them.
			work := []byte("%PDF-1.4\nЖер үлүшү кимде? Иликтөө.\n")
			path := filepath.Join(t.TempDir(), "жер-үлүшү.pdf")
			if err := os.WriteFile(path, work, 0o600); err != nil {
				t.Fatal(err)
			}
			test.Tap(d.actions["add_entry"])
			h.drain()
			ef := d.entryForm
			ef.author.SetText("Нурлан Токтоматов")
			ef.category.SetCode(c.Categories[0].ID)
			ef.path.SetText(path + ".жок")
			h.runModal()
			h.mustShow(h.T("competition.err_file", "path", path+".жок"))
			ef.path.SetText(path)
			h.runModal()
			h.mustShow(h.T("err.required"))
			ef.title.SetText("Жер үлүшү кимде?")
			// The file is stored off the UI goroutine: the dialog waits
			// with its buttons off, and a second OK (Enter pressed again)
			// does not store the entry twice.
			m := h.u.lastModal
			m.run()
			if !m.busy || !m.ok.Disabled() || !m.cancel.Disabled() || !m.bar.Visible() {
				t.Fatalf("while the file is stored: busy %v, OK off %v, Cancel off %v, bar %v", m.busy, m.ok.Disabled(), m.cancel.Disabled(), m.bar.Visible())
			}
			m.run()
			h.waitFor("the entry stored", func() bool { return !m.busy })
			d = h.u.shell.top().(*competitionDetail)
			if len(d.c.Entries) != 1 || d.c.Entries[0].File == nil {
				t.Fatalf("the entry with its file: %+v", d.c.Entries)
			}
			e1 := d.c.Entries[0]
			if d.fileButtons[e1.ID] == nil || d.fileButtons[e1.ID].Text != h.T("files.open") {
				t.Fatal("no Open for the entry's file here")
			}
			copyPath, err := h.u.decryptedCopy(e1.File)
			if err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(copyPath); err != nil || !bytes.Equal(b, work) {
				t.Fatalf("the opened copy: %v", err)
			}
			h.u.removeOpenCopies()
			test.Tap(d.actions["add_entry"])
			h.drain()
			ef = d.entryForm
			ef.author.SetText("Айжан Осмонова")
			ef.title.SetText("Айылдагы суу")
			ef.category.SetCode(c.Categories[0].ID)
			ef.link.SetText("https://kaktus.example.kg/suu")
			h.runModal()
			d = h.u.shell.top().(*competitionDetail)
			if len(d.c.Entries) != 2 {
				t.Fatalf("entries: %+v", d.c.Entries)
			}
			e2 := d.c.Entries[1]

			// Бакыт is related to the second entry.
			test.Tap(d.actions["conflict."+e2.ID])
			h.drain()
			d.conflictChecks[other.ID].SetChecked(true)
			h.u.lastModal.run()
			h.drain()
			h.mustShow(h.T("competition.related_list", "names", other.Name))
			d = h.u.shell.top().(*competitionDetail)
			if got, _ := d.c.Entry(e2.ID); !got.RelatedTo(other.ID) || got.RelatedTo(me.ID) {
				t.Fatalf("related: %+v", got.Related)
			}

			// Publishing before every juror scored: refused in place.
			test.Tap(d.actions["publish"])
			h.drain()
			h.tap(h.T("competition.publish_yes"))
			h.mustShow(h.T("competition.publish_incomplete"))
			h.mustShow(h.T("competition.missing", "name", other.Name, "n", 1))
			if d.c.PublishedOn.Year() > 1 {
				t.Fatal("published while incomplete")
			}
			// Every score in: this laptop's juror here, Бакыт's with a sync.
			for _, s := range []struct {
				e    domain.Entry
				a, b int
			}{{e1, 8, 4}, {e2, 9, 5}} {
				if _, err := svc.ScoreEntry(ctx, c.ID, s.e.ID, map[string]int{c.Criteria[0].ID: s.a, c.Criteria[1].ID: s.b}, ""); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := svc.Competition(ctx, c.ID)
			id := domain.ScoreID(other.ID, e1.ID)
			b, _ := json.Marshal(domain.Score{ID: id, Juror: other.ID, Entry: e1.ID, Points: map[string]int{c.Criteria[0].ID: 9, c.Criteria[1].ID: 5}})
			op := &changeset.Op{Device: bakyt, Seq: 1, HLC: hlc.New(got.Meta.UpdatedAt.UnixMilli()+1000, 0), Kind: domain.KindCompetition,
				Record: c.ID, Action: changeset.ActionUpdate, Author: other.Name, Fields: map[string]changeset.Change{"scores/" + id: {Value: b}}}
			st, _ := svc.SyncState(ctx)
			if _, err := svc.ApplyRemote(ctx, []*changeset.Op{op}, st.Cursor+1); err != nil {
				t.Fatal(err)
			}
			h.waitFor("the ranking complete", func() bool {
				d = h.u.shell.top().(*competitionDetail)
				return len(d.c.Scores) == 3
			})
			test.Tap(d.actions["publish"])
			h.drain()
			h.tap(h.T("competition.publish_yes"))
			h.waitFor("published", func() bool {
				d = h.u.shell.top().(*competitionDetail)
				return d.actions["withdraw"] != nil
			})
			if pub, ok := d.c.Public(); !ok || len(pub.Categories) != 1 || pub.Categories[0].Winners[0].Title != "Айылдагы суу" {
				t.Fatalf("the public winners: %+v %v", pub, ok)
			}
			h.mustShow(h.T("competition.published_on", "date", d.c.PublishedOn))

			// Taken off the public site, then edited: the terms change; the
			// entries (one that came while the form was open too) and the
			// scores stay.
			test.Tap(d.actions["withdraw"])
			h.drain()
			d = h.u.shell.top().(*competitionDetail)
			if d.c.PublishedOn.Year() > 1 || d.actions["publish"] == nil {
				t.Fatal("still published")
			}
			test.Tap(d.actions["edit"])
			h.drain()
			f = h.u.shell.top().(*competitionForm)
			f.rules.SetText("Иштер 2026-жылы жарыяланган болушу керек.")
			if _, _, err := svc.AddEntry(ctx, c.ID, domain.Entry{Author: "Эмил Садыков", Title: "Мектептин чатыры", Category: c.Categories[0].ID}); err != nil {
				t.Fatal(err)
			}
			test.Tap(f.save)
			h.drain()
			after, _ := svc.Competition(ctx, c.ID)
			if after.Rules == "" || len(after.Entries) != 3 || len(after.Scores) != 3 || after.Criteria[0].ID != c.Criteria[0].ID {
				t.Fatalf("after the edit: %+v", after)
			}
		})
	}
}

// bakyt is the laptop the second juror scores on.
const bakyt = "0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9d0e"

// A juror's laptop named by a word in a competition that came by sync
// (set up before the rule of domain.LaptopID): an edit of something else
// saves, the juror kept as it was, as the server takes it; the juror
// changed is refused beside them until given a laptop's id.
func TestJurorDeviceKeptFromElsewhere(t *testing.T) {
	h := unlocked(t, "en", 0, 0, 0)
	ctx := context.Background()
	svc := h.u.sess.Records()
	h.enrollAs(domain.RoleCentral, "")
	old := domain.Competition{ID: domain.NewID(), Title: "Best reporting 2026", Audience: domain.AudienceJournalists,
		Deadline: svc.Today().AddDays(10), Criteria: []domain.Criterion{{ID: domain.NewID(), Name: "Relevance", Max: 10}},
		Jurors: []domain.Juror{{ID: domain.NewID(), Name: "Aigul", Device: svc.Device().ID}, {ID: domain.NewID(), Name: "Bakyt", Device: "laptop-of-bakyt"}}}
	fields, err := policy.CompetitionSchema.ToFields(&old, domain.NotFields...)
	if err != nil {
		t.Fatal(err)
	}
	op := &changeset.Op{Device: domain.NewID(), Seq: 1, HLC: hlc.New(time.Now().UnixMilli()-60_000, 0), Kind: domain.KindCompetition,
		Record: old.ID, Action: changeset.ActionCreate, Author: "Central", Fields: map[string]changeset.Change{}}
	for k, v := range fields {
		op.Fields[k] = changeset.Change{Value: v}
	}
	st, _ := svc.SyncState(ctx)
	if _, err := svc.ApplyRemote(ctx, []*changeset.Op{op}, st.Cursor+1); err != nil {
		t.Fatal(err)
	}
	f := newCompetitionForm(h.u, old.ID)
	h.u.shell.push(f)
	h.drain()
	f.rules.SetText("Published in 2026.")
	test.Tap(f.save)
	h.drain()
	if got, _ := svc.Competition(ctx, old.ID); got.Rules == "" || got.Jurors[1].Device != "laptop-of-bakyt" {
		t.Fatalf("the edit beside a juror's laptop named by a word: %+v; on the form %q", got, f.jurors.rows[1].f.err.Text)
	}
	f = newCompetitionForm(h.u, old.ID)
	h.u.shell.push(f)
	h.drain()
	f.jurors.rows[1].a.SetText("Bakyt Asanov")
	test.Tap(f.save)
	h.drain()
	if got := f.jurors.rows[1].f.err.Text; got != h.T("field.device")+": "+h.T("err.format.device") {
		t.Fatalf("the juror named by a word, changed: %q", got)
	}
	f.jurors.rows[1].b.SetText(strings.ToUpper(bakyt))
	test.Tap(f.save)
	h.drain()
	if got, _ := svc.Competition(ctx, old.ID); got.Jurors[1].Name != "Bakyt Asanov" || got.Jurors[1].Device != bakyt {
		t.Fatalf("the juror given a laptop's id: %+v; on the form %q", got.Jurors[1], f.jurors.rows[1].f.err.Text)
	}
}

// A council's laptop reads competitions and scores as a juror, but is
// offered nothing of setting one up (shared/policy.MaySetUpCompetition).
func TestCompetitionSetUpNotOffered(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	ctx := context.Background()
	svc := h.u.sess.Records()
	c, err := svc.SaveCompetition(ctx, domain.Competition{Title: "Мыкты кеңеш", Audience: domain.AudienceCouncils,
		Deadline: svc.Today(), Criteria: []domain.Criterion{{Name: "Натыйжа", Max: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	cn := h.firstCouncil()
	if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", ServerID: "test", Token: "t",
		Role: domain.RoleSecretary, Council: cn.Code, Name: "Секретарь", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.rebuild()
	h.u.shell.show()
	p := newCompetitionsPage(h.u)
	d := newCompetitionDetail(h.u, c.ID)
	if p.add != nil || len(d.actions) != 0 {
		t.Fatalf("a council's laptop is offered setting up: %v %v", p.add != nil, d.actions)
	}
}

// TestCompetitionDraftKeptAndOffered: a competition's terms and rows
// typed and not saved are kept as a draft; the next unlock offers them
// over the Competitions page, each row with its id, and saving drops the
// draft.
func TestCompetitionDraftKeptAndOffered(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	ctx := context.Background()
	svc := h.u.sess.Records()
	h.enrollAs(domain.RoleCentral, "")
	h.u.shell.push(newCompetitionsPage(h.u))
	h.drain()
	h.tap(h.T("competition.new"))
	f := h.u.shell.top().(*competitionForm)
	test.Type(f.name, "Мыкты журналисттик иш 2026")
	test.Type(f.deadline, h.u.tr.DateInput(svc.Today().AddDays(10)))
	test.Type(f.rules, "Иштер 2026-жылы жарыяланган болушу керек.")
	test.Type(f.criteria.rows[0].a, "Маанилүүлүгү")
	test.Type(f.criteria.rows[0].b, "10")
	test.Tap(f.jurors.add)
	test.Type(f.jurors.rows[0].a, "Айгүл Токтогулова")
	test.Type(f.jurors.rows[0].b, bakyt)
	criterion, juror := f.criteria.rows[0].id, f.jurors.rows[0].id
	h.waitFor("the draft", func() bool {
		d, err := svc.Draft(ctx)
		return err == nil && d != nil && d.Kind == domain.KindCompetition && d.Inputs["jurors/"+juror+".b"] == bakyt
	})
	h.mustShow(h.T("draft.saved", "time", h.u.cfg.Now()))
	dir := h.dir
	h.u.Close()

	h2 := newHarness(t, dir, "ky", false)
	h2.u.UnlockWith(testPass)
	h2.waitFor("the offer", func() bool { return h2.shows(h2.T("draft.found_title")) })
	h2.tap(h2.T("draft.continue"))
	f2, ok := h2.u.shell.top().(*competitionForm)
	if !ok {
		t.Fatalf("continuing opened %T", h2.u.shell.top())
	}
	if _, ok := h2.u.shell.stack[len(h2.u.shell.stack)-2].(*competitionsPage); !ok {
		t.Fatalf("under the form: %T, want the Competitions page", h2.u.shell.stack[len(h2.u.shell.stack)-2])
	}
	if f2.name.Text != "Мыкты журналисттик иш 2026" || f2.rules.Text != "Иштер 2026-жылы жарыяланган болушу керек." ||
		len(f2.criteria.rows) != 1 || f2.criteria.rows[0].id != criterion || f2.criteria.rows[0].b.Text != "10" ||
		len(f2.jurors.rows) != 1 || f2.jurors.rows[0].id != juror || f2.jurors.rows[0].b.Text != bakyt || !f2.dirty() {
		t.Fatalf("the form after continuing: %q %q, %d criteria, %d jurors, dirty %v", f2.name.Text, f2.rules.Text,
			len(f2.criteria.rows), len(f2.jurors.rows), f2.dirty())
	}
	test.Tap(f2.save)
	h2.drain()
	d, ok := h2.u.shell.top().(*competitionDetail)
	if !ok {
		t.Fatalf("saved, the competition's page is not shown: %T; on top %q", h2.u.shell.top(), f2.fs.top.Text)
	}
	if dr, err := h2.u.sess.Records().Draft(ctx); err != nil || dr != nil {
		t.Fatalf("the draft outlived the save: %+v %v", dr, err)
	}
	if len(d.c.Jurors) != 1 || d.c.Jurors[0].ID != juror || d.c.Criteria[0].ID != criterion {
		t.Fatalf("saved %+v", d.c)
	}

	// An edit kept as a draft; a juror added on another laptop meanwhile
	// is still there when it is continued (saving would remove them).
	test.Tap(d.actions["edit"])
	h2.drain()
	f3 := h2.u.shell.top().(*competitionForm)
	f3.jurors.rows[0].a.SetText("Айгүл Токтогулова-Асанова")
	h2.u.keepDraft()
	elsewhere := *d.c
	elsewhere.Jurors = append(slices.Clone(elsewhere.Jurors), domain.Juror{Name: "Бакыт Асанов", Device: "0193f2a4-7c1e-7d2a-9b3e-000000000002"})
	if _, err := h2.u.sess.Records().SaveCompetition(ctx, elsewhere); err != nil {
		t.Fatal(err)
	}
	h2.u.Close()

	h3 := newHarness(t, dir, "ky", false)
	h3.u.UnlockWith(testPass)
	h3.waitFor("the offer", func() bool { return h3.shows(h3.T("draft.found_title")) })
	h3.tap(h3.T("draft.continue"))
	f4, ok := h3.u.shell.top().(*competitionForm)
	if !ok || f4.id != d.c.ID {
		t.Fatalf("continuing the edit opened %T", h3.u.shell.top())
	}
	if len(f4.jurors.rows) != 2 || f4.jurors.rows[0].a.Text != "Айгүл Токтогулова-Асанова" || f4.jurors.rows[1].a.Text != "Бакыт Асанов" {
		t.Fatalf("the edit after continuing: %d jurors", len(f4.jurors.rows))
	}
}
