package ui

import (
	"context"
	"encoding/json"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

// A competition in each language, on the laptop of one of its two
// jurors: the home screen counts the entries waiting for this juror's
// score (not the one the juror is related to); the Competitions page and
// the competition's page list them; the scoring form names a criterion
// not chosen, then saves the points chosen with the mouse; the related
// entry offers no form; the ranking waits for the other juror until that
// juror's scores arrive with a sync, and then ranks the entries, a tie
// shown as one.
func TestCompetitionPage(t *testing.T) {
	for _, lang := range []string{"ky", "ru", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := unlocked(t, lang, 0, 0, 0)
			svc := h.u.sess.Records()
			ctx := context.Background()
			today := svc.Today()
			if h.shows(h.T("home.competitions_all")) {
				t.Fatal("a competitions panel with no competition here")
			}
			c, err := svc.SaveCompetition(ctx, domain.Competition{Title: "Мыкты журналисттик иш 2026", Audience: domain.AudienceJournalists,
				Deadline: today.AddDays(-3), Places: 1,
				Criteria: []domain.Criterion{{Name: "Маанилүүлүгү", Max: 10}, {Name: "Сапаты", Max: 5}},
				Jurors:   []domain.Juror{{Name: "Айгүл Токтогулова", Device: svc.Device().ID}, {Name: "Бакыт Асанов", Device: bakyt}}})
			if err != nil {
				t.Fatal(err)
			}
			me, other := c.Jurors[0], c.Jurors[1]
			var entries []domain.Entry
			for _, e := range []domain.Entry{{Author: "Нурлан Токтоматов", Title: "Жер үлүшү кимде?", Link: "https://kaktus.example.kg/jer"},
				{Author: "Айжан Осмонова", Title: "Айылдагы суу"}, {Author: "Эмил Садыков", Title: "Мектептин чатыры", Related: []string{me.ID}}} {
				var added *domain.Entry
				if c, added, err = svc.AddEntry(ctx, c.ID, e); err != nil {
					t.Fatal(err)
				}
				entries = append(entries, *added)
			}
			h.waitFor("entries to score on the home screen", func() bool { return h.shows(h.T("home.competitions", "n", 2)) })
			h.tap(h.T("home.competitions_all"))
			cp, ok := h.u.shell.top().(*competitionsPage)
			if !ok || cp.links[c.ID] == nil {
				t.Fatalf("the Competitions page lists the competition: %v", ok)
			}
			h.mustShow(h.T("competitions.to_score", "n", 2))
			test.Tap(cp.links[c.ID])
			h.drain()
			d, ok := h.u.shell.top().(*competitionDetail)
			if !ok {
				t.Fatalf("the competition's page is not shown: %T", h.u.shell.top())
			}
			h.mustShow(h.T("competition.you_are", "name", me.Name))
			h.mustShow(h.T("competition.related"))
			h.mustShow(h.T("competition.missing", "name", me.Name, "n", 2))
			h.mustShow(h.T("competition.missing", "name", other.Name, "n", 3))
			if d.scoreButtons[entries[2].ID] != nil || d.scoreButtons[entries[0].ID] == nil {
				t.Fatal("a Score button for the related entry, or none for the others")
			}

			test.Tap(d.scoreButtons[entries[0].ID])
			h.drain()
			f, ok := h.u.shell.top().(*scoreForm)
			if !ok {
				t.Fatalf("the scoring form is not shown: %T", h.u.shell.top())
			}
			f.choices[c.Criteria[0].ID].SetSelected("8")
			h.tap(h.T("score.save"))
			h.mustShow(h.T("score.missing", "names", "Сапаты"))
			f.choices[c.Criteria[1].ID].SetSelected("4")
			f.note.SetText("Күчтүү иликтөө")
			if lang == "ky" {
				shot(t, h, "ky-12e-competition-scoring.png")
			}
			h.tap(h.T("score.save"))
			h.waitFor("back on the competition's page with the score", func() bool {
				return h.shows(h.T("competition.your_score", "points", 12, "max", 15))
			})
			// The second entry, scored from the page.
			d = h.u.shell.top().(*competitionDetail)
			test.Tap(d.scoreButtons[entries[1].ID])
			h.drain()
			f = h.u.shell.top().(*scoreForm)
			f.choices[c.Criteria[0].ID].SetSelected("7")
			f.choices[c.Criteria[1].ID].SetSelected("3")
			h.tap(h.T("score.save"))
			h.waitFor("my scores in", func() bool {
				return !h.shows(h.T("competition.missing", "name", me.Name, "n", 1)) && h.shows(h.T("competition.your_score", "points", 10, "max", 15))
			})
			h.mustShow(h.T("competition.missing", "name", other.Name, "n", 3))
			got, err := svc.Competition(ctx, c.ID)
			if err != nil || len(got.Scores) != 2 || got.Scores[0].Juror != me.ID {
				t.Fatalf("saved scores: %+v %v", got, err)
			}

			// The related entry: no form.
			h.u.shell.push(newScoreForm(h.u, c.ID, entries[2].ID))
			h.drain()
			h.mustShow(h.T("score.related", "name", me.Name))
			h.u.shell.popNow()

			// The other juror's scores arrive with a sync: 10+12 over 2 for
			// entry 1 (11), 10+... for entry 2, entry 3 by Бакыт alone.
			op := &changeset.Op{Device: bakyt, Seq: 1, HLC: hlc.New(got.Meta.UpdatedAt.UnixMilli()+1000, 0), Kind: domain.KindCompetition,
				Record: c.ID, Action: changeset.ActionUpdate, Author: other.Name, Fields: map[string]changeset.Change{}}
			for _, s := range []struct {
				e      domain.Entry
				p1, p2 int
			}{{entries[0], 6, 4}, {entries[1], 9, 5}, {entries[2], 9, 2}} {
				id := domain.ScoreID(other.ID, s.e.ID)
				b, _ := json.Marshal(domain.Score{ID: id, Juror: other.ID, Entry: s.e.ID, Points: map[string]int{c.Criteria[0].ID: s.p1, c.Criteria[1].ID: s.p2}})
				op.Fields["scores/"+id] = changeset.Change{Value: b}
			}
			st, _ := svc.SyncState(ctx)
			if _, err := svc.ApplyRemote(ctx, []*changeset.Op{op}, st.Cursor+1); err != nil {
				t.Fatal(err)
			}
			// Entry 1: (12+10)/2 = 11; entry 2: (10+14)/2 = 12; entry 3: 11/1 = 11: a tie for second.
			h.waitFor("the ranking", func() bool {
				return h.shows(h.T("competition.standing", "place", "1", "title", "Айылдагы суу", "author", "Айжан Осмонова", "mean", "12.00", "jurors", 2))
			})
			h.mustShow(h.T("competition.standing", "place", "=2", "title", "Жер үлүшү кимде?", "author", "Нурлан Токтоматов", "mean", "11.00", "jurors", 2))
			h.mustShow(h.T("competition.standing", "place", "=2", "title", "Мектептин чатыры", "author", "Эмил Садыков", "mean", "11.00", "jurors", 1))
			if h.shows(h.T("competition.missing", "name", other.Name, "n", 3)) {
				t.Fatal("still waiting for Бакыт")
			}
			if lang == "ky" {
				shot(t, h, "ky-12f-competition-ranking.png")
			}
			h.u.shell.navigate(secHome)
			h.waitFor("nothing to score on the home screen", func() bool { return h.shows(h.T("home.competitions_none_to_score")) })
		})
	}
}
