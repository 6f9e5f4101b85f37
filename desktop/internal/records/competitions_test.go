package records_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/policy"
)

// bakyt is the laptop the second juror scores on.
const bakyt = "0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9d0e"

// A competition set up with its jury, entries added by category name, this
// laptop's juror scoring (again: one score, replaced), a related entry and
// bad points refused with the reason, an edit by central staff keeping the
// scores, the ranking waiting for the other juror, publishing refused
// until then.
func TestCompetitions(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t) // today is 2026-03-10
	me := svc.Device().ID
	c := domain.Competition{Title: "Мыкты журналисттик иш 2026", Audience: domain.AudienceJournalists, Deadline: caldate.MustParse("2026-03-01"),
		Categories: []domain.Category{{Name: "Басма сөз"}, {Name: "Видео"}},
		Criteria:   []domain.Criterion{{Name: "Маанилүүлүгү", Max: 10}, {Name: "Сапаты", Max: 5}},
		Jurors:     []domain.Juror{{Name: "Айгүл Токтогулова", Device: me}, {Name: "Бакыт Асанов", Device: bakyt}}}
	saved, err := svc.SaveCompetition(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if !domain.ValidID(saved.ID) || len(saved.Criteria) != 2 || saved.Meta == nil {
		t.Fatalf("saved %+v", saved)
	}
	_, e1, err := svc.AddEntry(ctx, saved.ID, domain.Entry{Author: "Нурлан Токтоматов", Title: "Жер тууралуу", Category: "басма сөз", Link: "https://kaktus.example.kg/jer"})
	if err != nil {
		t.Fatal(err)
	}
	_, e2, err := svc.AddEntry(ctx, saved.ID, domain.Entry{Author: "Айжан Осмонова", Title: "Суу", Category: "Басма сөз", Related: []string{"Айгүл Токтогулова"}})
	if err != nil {
		t.Fatal(err)
	}
	if e1.Category != saved.Categories[0].ID || len(e2.Related) != 1 || e2.Related[0] != saved.Jurors[0].ID {
		t.Fatalf("entries by names: %+v %+v", e1, e2)
	}
	if _, _, err := svc.AddEntry(ctx, saved.ID, domain.Entry{Author: "Эмил", Title: "Кечиккен", Category: "Видео", SubmittedOn: caldate.MustParse("2026-03-05")}); err == nil ||
		!strings.Contains(err.Error(), "after the deadline of 2026-03-01") {
		t.Fatalf("an entry after the deadline: %v", err)
	}
	cr := saved.Criteria
	if _, err := svc.ScoreEntry(ctx, saved.ID, "1", map[string]int{cr[0].ID: 6, cr[1].ID: 2}, ""); err != nil {
		t.Fatal(err)
	}
	got, err := svc.ScoreEntry(ctx, saved.ID, e1.ID, map[string]int{cr[0].ID: 8, cr[1].ID: 4}, "Күчтүү иш")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Scores) != 1 || got.Scores[0].Points[cr[0].ID] != 8 || got.Scores[0].On != svc.Today() {
		t.Fatalf("scored again: %+v", got.Scores)
	}
	var ve *domain.ValidationError
	if _, err := svc.ScoreEntry(ctx, saved.ID, "2", map[string]int{cr[0].ID: 1, cr[1].ID: 1}, ""); !errors.As(err, &ve) ||
		ve.Fields[0].Code != domain.CodeForbidden || !strings.Contains(err.Error(), "Айгүл Токтогулова is marked as related to the entry \"Суу\" by Айжан Осмонова (a conflict of interest)") {
		t.Fatalf("a related entry: %v", err)
	}
	if _, err := svc.ScoreEntry(ctx, saved.ID, "1", map[string]int{cr[0].ID: 11}, ""); !errors.As(err, &ve) || len(ve.Fields) != 2 ||
		!strings.Contains(err.Error(), "11 points for \"Маанилүүлүгү\"") || !strings.Contains(err.Error(), "no points for \"Сапаты\"") {
		t.Fatalf("bad points: %v", err)
	}
	// Central staff rename a criterion: the score stays.
	got.Criteria[1].Name = "Журналисттик сапаты"
	edited, err := svc.SaveCompetition(ctx, *got)
	if err != nil {
		t.Fatal(err)
	}
	if len(edited.Scores) != 1 {
		t.Fatalf("the edit lost the score: %+v", edited.Scores)
	}
	r := edited.Ranking()
	if r[0].Complete() || len(r[0].Missing) != 1 || r[0].Missing[0].Juror.Name != "Бакыт Асанов" || len(r[0].Missing[0].Entries) != 2 {
		t.Fatalf("ranking waits for Бакыт: %+v", r[0])
	}
	if _, err := svc.PublishWinners(ctx, saved.ID, true); err == nil || !strings.Contains(err.Error(), "Бакыт Асанов has 2 of its entries to score") {
		t.Fatalf("publishing early: %v", err)
	}
	list, err := svc.Competitions(ctx)
	if err != nil || len(list) != 1 || list[0].Title != c.Title {
		t.Fatalf("list: %+v %v", list, err)
	}
	if n, err := svc.Count(records.Filter{Kind: domain.KindCompetition, Text: "Суу"}); err != nil || n != 1 {
		t.Fatalf("found by an entry's title: %d %v", n, err)
	}
	// A laptop not on the jury.
	other, _ := setup(t)
	if _, err := other.SaveCompetition(ctx, c); err != nil {
		t.Fatal(err)
	}
	cs, _ := other.Competitions(ctx)
	if _, err := other.ScoreEntry(ctx, cs[0].ID, "1", nil, ""); !errors.Is(err, records.ErrNotJuror) {
		t.Fatalf("not a juror: %v", err)
	}
}

// A juror's laptop is named by its id (domain.LaptopID): one pasted
// with braces and capitals is saved as every laptop writes it; a word
// is refused beside the juror, with what an id looks like. A
// competition that came by sync with a juror named by a word (set up
// before the rule) is still edited, as the server takes an edit that
// does not write that juror; the juror is refused once changed, until
// given a laptop's id.
func TestJurorLaptopID(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t)
	c := domain.Competition{Title: "Мыкты журналисттик иш 2026", Audience: domain.AudienceJournalists, Deadline: caldate.MustParse("2026-03-01"),
		Criteria: []domain.Criterion{{Name: "Маанилүүлүгү", Max: 10}},
		Jurors:   []domain.Juror{{Name: "Айгүл Токтогулова", Device: svc.Device().ID}, {Name: "Бакыт Асанов", Device: "laptop-of-bakyt"}}}
	var ve *domain.ValidationError
	if _, err := svc.SaveCompetition(ctx, c); !errors.As(err, &ve) || len(ve.Fields) != 1 || !strings.HasPrefix(ve.Fields[0].Field, "jurors/") ||
		!strings.HasSuffix(ve.Fields[0].Field, ".device") || ve.Fields[0].Code != domain.CodeFormat || !strings.Contains(err.Error(), `"laptop-of-bakyt" is not a laptop's id`) {
		t.Fatalf("a juror's laptop named by a word: %v", err)
	}
	c.Jurors[1].Device = " {" + strings.ToUpper(bakyt) + "}"
	saved, err := svc.SaveCompetition(ctx, c)
	if err != nil || saved.Jurors[1].Device != bakyt {
		t.Fatalf("a laptop's id with braces and capitals: %+v %v", saved, err)
	}

	old := domain.Competition{ID: domain.NewID(), Title: "Мыкты кеңеш 2025", Audience: domain.AudienceCouncils, Deadline: caldate.MustParse("2026-02-01"),
		Criteria: []domain.Criterion{{ID: domain.NewID(), Name: "Ачыктык", Max: 5}},
		Jurors:   []domain.Juror{{ID: domain.NewID(), Name: "Айгүл Токтогулова", Device: svc.Device().ID}, {ID: domain.NewID(), Name: "Бакыт Асанов", Device: "laptop-of-bakyt"}}}
	fields, err := policy.CompetitionSchema.ToFields(&old, domain.NotFields...)
	if err != nil {
		t.Fatal(err)
	}
	op := &changeset.Op{Device: domain.NewID(), Seq: 1, HLC: hlc.New(fixedNow.UnixMilli()-1000, 0), Kind: domain.KindCompetition, Record: old.ID,
		Action: changeset.ActionCreate, Author: "Борбор", Fields: map[string]changeset.Change{}}
	for k, v := range fields {
		op.Fields[k] = changeset.Change{Value: v}
	}
	if _, err := svc.ApplyRemote(ctx, []*changeset.Op{op}, 1); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Competition(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	got.Rules = "2025-жылдын иштери."
	if _, err := svc.SaveCompetition(ctx, *got); err != nil {
		t.Fatalf("an edit beside a juror named by a word before the rule: %v", err)
	}
	if _, _, err := svc.AddEntry(ctx, old.ID, domain.Entry{Author: "Ат-Башы", Title: "Ачык бюджет"}); err != nil {
		t.Fatalf("an entry added beside a juror named by a word before the rule: %v", err)
	}
	got, _ = svc.Competition(ctx, old.ID)
	got.Jurors[1].Name = "Бакыт Асанович"
	if _, err := svc.SaveCompetition(ctx, *got); !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "jurors/"+old.Jurors[1].ID+".device" {
		t.Fatalf("the juror named by a word, changed: %v", err)
	}
	got.Jurors[1].Device = strings.ReplaceAll(bakyt, "-", "")
	if out, err := svc.SaveCompetition(ctx, *got); err != nil || out.Jurors[1].Device != bakyt || out.Jurors[1].Name != "Бакыт Асанович" {
		t.Fatalf("the juror given a laptop's id: %+v %v", out, err)
	}
}
