package public

import (
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// populateCompetition makes a competition judged by the secretaries of
// NRN-ATB and OSH-ARA (their laptops), with three entries (one losing,
// one a juror is related to), every score in, and published by central
// staff; it returns a func that withdraws a juror's score. What the
// public must never see is marked with the private strings.
func (w *world) populateCompetition() (withdraw func()) {
	w.t.Helper()
	id := domain.NewID()
	crit := domain.NewID()
	j1, j2 := domain.NewID(), domain.NewID()
	e1, e2, e3 := domain.NewID(), domain.NewID(), domain.NewID()
	today := caldate.Of(time.Now().In(bishkek))
	w.central.push(domain.KindCompetition, id, "", "create", map[string]any{
		"title": "Мыкты журналисттик иш 2026", "audience": "journalists", "deadline": today.AddDays(-10).String(), "places": 2,
		"rules":            "Жашыруун эреже",
		"criteria/" + crit: map[string]any{"id": crit, "name": "Маанилүүлүгү", "max": 10},
		"jurors/" + j1:     map[string]any{"id": j1, "name": "Жашыруун калыс", "device": w.sec["NRN-ATB"].dev.ID},
		"jurors/" + j2:     map[string]any{"id": j2, "name": "Тайна-айылы калысы", "device": w.sec["OSH-ARA"].dev.ID},
		"entries/" + e1:    map[string]any{"id": e1, "author": "Айжан Осмонова", "title": "Айылдагы суу", "link": "https://kaktus.example.kg/suu"},
		"entries/" + e2:    map[string]any{"id": e2, "author": "Нурлан Токтоматов", "title": "Жер үлүшү кимде?", "related": []string{j2}},
		"entries/" + e3:    map[string]any{"id": e3, "author": "PRIVATE author", "title": "PRIVATE losing entry"},
	})
	score := func(sec, juror, entry string, p int) {
		sid := domain.ScoreID(juror, entry)
		w.sec[sec].push(domain.KindCompetition, id, "", "update", map[string]any{"scores/" + sid: map[string]any{
			"id": sid, "juror": juror, "entry": entry, "points": map[string]int{crit: p}, "note": "Жашыруун эскертүү"}})
	}
	// Entry 1: (8+6)/2 = 7; entry 2: 7/1 = 7 (a tie for first); entry 3: 2.
	score("NRN-ATB", j1, e1, 8)
	score("OSH-ARA", j2, e1, 6)
	score("NRN-ATB", j1, e2, 7)
	score("NRN-ATB", j1, e3, 2)
	if strings.Contains(w.get(Prefix+"ky/competitions").body, "Айылдагы суу") {
		w.t.Fatal("winners on the public site before they are published (and before every juror scored)")
	}
	score("OSH-ARA", j2, e3, 2)
	w.central.push(domain.KindCompetition, id, "", "update", map[string]any{"published_on": today.String()})
	return func() {
		w.sec["NRN-ATB"].push(domain.KindCompetition, id, "", "update", map[string]any{"scores/" + domain.ScoreID(j1, e3): nil})
	}
}

// The winners' page in each language: every published competition's
// winners by category, a tie shown as one, links to the works; never the
// jury, the scores, the notes, the rules or the entries that did not win.
// A score withdrawn after the publication takes the competition off until
// the ranking is complete again.
func TestCompetitionWinners(t *testing.T) {
	w := newWorld(t, GuardConfig{})
	if a := w.get(Prefix + "en/competitions"); a.status != 200 || !strings.Contains(a.body, "No winners have been published yet.") {
		t.Fatalf("before any competition: %d\n%s", a.status, a.body)
	}
	withdraw := w.populateCompetition()
	for lang, want := range map[string][]string{
		"ky": {"Сынактардын жеңүүчүлөрү", "Журналисттер үчүн сынак", "1-орун (бөлүшүлгөн)", "Айылдагы суу", "Жер үлүшү кимде?"},
		"ru": {"Победители конкурсов", "1-е место (разделённое)", "Айжан Осмонова"},
		"en": {"Competition winners", "Place 1 (shared)", `<a href="https://kaktus.example.kg/suu" rel="nofollow">Айылдагы суу</a>`, "Нурлан Токтоматов"},
	} {
		a := w.get(Prefix + lang + "/competitions")
		for _, s := range want {
			if a.status != 200 || !strings.Contains(a.body, s) {
				t.Fatalf("%s: %d, want %q in\n%s", lang, a.status, s, a.body)
			}
		}
		for _, s := range append(private, "7.00", "Маанилүүлүгү", "Place 3") {
			if strings.Contains(a.body, s) {
				t.Fatalf("%s: the winners' page shows %q", lang, s)
			}
		}
	}
	if a := w.get(Prefix + "ky/"); !strings.Contains(a.body, `href="/public/ky/competitions"`) {
		t.Fatalf("the navigation has no link to the winners:\n%s", a.body)
	}
	// A juror withdraws a score: the ranking is no longer complete.
	withdraw()
	if a := w.get(Prefix + "en/competitions"); !strings.Contains(a.body, "No winners have been published yet.") || strings.Contains(a.body, "Айылдагы суу") {
		t.Fatalf("after a score withdrawn:\n%s", a.body)
	}
}
