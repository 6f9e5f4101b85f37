package domain

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
)

// Fixed ids, so that a case names the field it expects.
const (
	tcCatA  = "0190e0b2-0000-7000-8000-00000000ca01"
	tcCatB  = "0190e0b2-0000-7000-8000-00000000ca02"
	tcCrit1 = "0190e0b2-0000-7000-8000-00000000c001"
	tcCrit2 = "0190e0b2-0000-7000-8000-00000000c002"
	tcJ1    = "0190e0b2-0000-7000-8000-00000000a001"
	tcJ2    = "0190e0b2-0000-7000-8000-00000000a002"
	tcJ3    = "0190e0b2-0000-7000-8000-00000000a003"
	tcE1    = "0190e0b2-0000-7000-8000-00000000e001"
	tcE2    = "0190e0b2-0000-7000-8000-00000000e002"
	tcE3    = "0190e0b2-0000-7000-8000-00000000e003"
	tcDev1  = "0190e0b2-0000-7000-8000-00000000d001"
)

func score(j, e string, p1, p2 int) Score {
	return Score{ID: ScoreID(j, e), Juror: j, Entry: e, Points: map[string]int{tcCrit1: p1, tcCrit2: p2}}
}

// validCompetition: two categories, two criteria (out of 10 and 5), three
// jurors; juror 3 is related to entry 1; every score in.
func validCompetition() Competition {
	return Competition{
		ID: NewID(), Title: "Мыкты журналисттик иликтөө 2026", Audience: AudienceJournalists,
		Deadline:   caldate.MustParse("2026-05-01"),
		Categories: []Category{{ID: tcCatA, Name: "Иликтөө"}, {ID: tcCatB, Name: "Видео"}},
		Criteria:   []Criterion{{ID: tcCrit1, Name: "Маанилүүлүгү", Max: 10}, {ID: tcCrit2, Name: "Сапаты", Max: 5}},
		Jurors: []Juror{{ID: tcJ1, Name: "Айгүл", Device: tcDev1}, {ID: tcJ2, Name: "Бакыт", Device: "0190e0b2-0000-7000-8000-00000000d002"},
			{ID: tcJ3, Name: "Гүлнара", Device: "0190e0b2-0000-7000-8000-00000000d003"}},
		Entries: []Entry{
			{ID: tcE1, Author: "Нурлан Токтоматов", Title: "Жер тууралуу", Category: tcCatA, SubmittedOn: caldate.MustParse("2026-04-20"), Related: []string{tcJ3}},
			{ID: tcE2, Author: "Айжан Осмонова", Title: "Суу", Category: tcCatA, Link: "https://example.kg/suu"},
			{ID: tcE3, Author: "Эмил Садыков", Title: "Мектеп", Category: tcCatB},
		},
		Scores: []Score{
			score(tcJ1, tcE1, 8, 4), score(tcJ2, tcE1, 6, 4),
			score(tcJ1, tcE2, 7, 3), score(tcJ2, tcE2, 9, 5), score(tcJ3, tcE2, 5, 2),
			score(tcJ1, tcE3, 1, 1), score(tcJ2, tcE3, 1, 1), score(tcJ3, tcE3, 1, 1),
		},
	}
}

func TestCompetitionValidate(t *testing.T) {
	today := caldate.MustParse("2026-06-01")
	s12 := "scores/" + ScoreID(tcJ1, tcE2)
	cases := []struct {
		name   string
		change func(c *Competition)
		field  string // "" valid
		code   string
		words  string
	}{
		{"valid", func(*Competition) {}, "", "", ""},
		{"no title", func(c *Competition) { c.Title = "" }, "title", CodeRequired, "required"},
		{"no audience", func(c *Competition) { c.Audience = "" }, "audience", CodeRequired, "journalists or councils"},
		{"unknown audience", func(c *Competition) { c.Audience = "bloggers" }, "audience", CodeUnknown, "for journalists or for councils"},
		{"no deadline", func(c *Competition) { c.Deadline = caldate.Date{} }, "deadline", CodeRequired, "required"},
		{"too many places", func(c *Competition) { c.Places = 51 }, "places", CodeRange, "1 to 50"},
		{"criterion out of nothing", func(c *Competition) { c.Criteria[0].Max = 0 }, "criteria/" + tcCrit1 + ".max", CodeRange, "1 to 1000"},
		{"criterion without a name", func(c *Competition) { c.Criteria[1].Name = " " }, "criteria/" + tcCrit2 + ".name", CodeRequired, "required"},
		{"juror without a device", func(c *Competition) { c.Jurors[1].Device = "" }, "jurors/" + tcJ2 + ".device", CodeRequired, "required"},
		{"two jurors on one device", func(c *Competition) { c.Jurors[1].Device = tcDev1 }, "jurors/" + tcJ2 + ".device", CodeMismatch, "already scores as Айгүл"},
		{"juror on a laptop named by a word", func(c *Competition) { c.Jurors[1].Device = "laptop-of-bakyt" }, "jurors/" + tcJ2 + ".device", CodeFormat, "\"laptop-of-bakyt\" is not a laptop's id"},
		{"juror on a laptop id mistyped", func(c *Competition) { c.Jurors[1].Device = "0190e0b2-0000-7000-8000-00000000dOO2" }, "jurors/" + tcJ2 + ".device", CodeFormat, "is not a laptop's id"},
		{"juror on a laptop id in capitals", func(c *Competition) { c.Jurors[1].Device = "0190E0B2-0000-7000-8000-00000000D002" }, "jurors/" + tcJ2 + ".device", CodeFormat, "is not a laptop's id"},
		{"juror on a laptop named at length", func(c *Competition) { c.Jurors[1].Device = strings.Repeat("ы", MaxShort+1) }, "jurors/" + tcJ2 + ".device", CodeTooLong, ""},
		{"entry without author", func(c *Competition) { c.Entries[0].Author = "" }, "entries/" + tcE1 + ".author", CodeRequired, "required"},
		{"entry without category", func(c *Competition) { c.Entries[0].Category = "" }, "entries/" + tcE1 + ".category", CodeRequired, "ranked in one"},
		{"entry in no category", func(c *Competition) { c.Entries[0].Category = tcCrit1 }, "entries/" + tcE1 + ".category", CodeUnknown, "not a category"},
		{"entry after the deadline", func(c *Competition) { c.Entries[0].SubmittedOn = caldate.MustParse("2026-05-02") }, "entries/" + tcE1 + ".submitted_on", CodeRange, "after the deadline of 2026-05-01"},
		{"entry with a bad link", func(c *Competition) { c.Entries[1].Link = "suu" }, "entries/" + tcE2 + ".link", CodeFormat, ""},
		{"related to no juror", func(c *Competition) { c.Entries[0].Related = []string{tcE2} }, "entries/" + tcE1 + ".related", CodeUnknown, "not a member of the jury"},
		{"a related juror scores", func(c *Competition) { c.Scores = append(c.Scores, score(tcJ3, tcE1, 1, 1)) },
			"scores/" + ScoreID(tcJ3, tcE1), CodeForbidden, "Гүлнара is marked as related to the entry \"Жер тууралуу\" by Нурлан Токтоматов (a conflict of interest)"},
		{"score over the maximum", func(c *Competition) { c.Scores[2].Points[tcCrit1] = 11 }, s12 + ".points", CodeRange, "11 points for \"Маанилүүлүгү\", which is scored from 0 to 10"},
		{"negative score", func(c *Competition) { c.Scores[2].Points[tcCrit2] = -1 }, s12 + ".points", CodeRange, "0 to 5"},
		{"score missing a criterion", func(c *Competition) { delete(c.Scores[2].Points, tcCrit2) }, s12 + ".points", CodeRequired, "no points for \"Сапаты\""},
		{"score of no criterion", func(c *Competition) { c.Scores[2].Points[tcE1] = 1 }, s12 + ".points", CodeUnknown, "not a criterion"},
		{"score under another's id", func(c *Competition) { c.Scores[2].Juror = tcJ2 }, s12, CodeMismatch, "not the score of juror"},
		{"score by no juror", func(c *Competition) {
			c.Scores = append(c.Scores, Score{ID: ScoreID(tcE1, tcE2), Juror: tcE1, Entry: tcE2, Points: map[string]int{}})
		}, "scores/" + ScoreID(tcE1, tcE2), CodeForbidden, "not a member of the jury"},
		{"published complete", func(c *Competition) { c.PublishedOn = today }, "", "", ""},
		{"published in the future", func(c *Competition) { c.PublishedOn = caldate.MustParse("2026-06-02") }, "published_on", CodeRange, "future"},
		{"published before every juror scored", func(c *Competition) { c.PublishedOn = today; c.Scores = c.Scores[1:] },
			"published_on", CodeMismatch, "the ranking of category \"Иликтөө\" is not complete (Айгүл has 1 of its entries to score)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			comp := validCompetition()
			c.change(&comp)
			err := comp.Validate(today)
			if c.field == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a ValidationError on %s, got %v", c.field, err)
			}
			for _, fe := range ve.Fields {
				if fe.Field == c.field && fe.Code == c.code && strings.Contains(fe.Message, c.words) {
					return
				}
			}
			t.Fatalf("want %s (%s, %q), got %v", c.field, c.code, c.words, err)
		})
	}
}

// standingsText prints a category's ranking as "place title mean/jurors".
func standingsText(r CategoryRanking) string {
	var b strings.Builder
	for _, s := range r.Standings {
		fmt.Fprintf(&b, "%s %s %d/%d; ", s.PlaceText(), s.Entry.Title, s.Sum, s.Jurors)
	}
	return b.String()
}

func TestRanking(t *testing.T) {
	cases := []struct {
		name    string
		change  func(c *Competition)
		want    []string // per category: standings, or "missing: ..." while not complete
		winners []int    // per category: how many win
	}{
		{
			// Entry 1: Гүлнара is related, so the mean of two: (12+10)/2 = 11;
			// entry 2: (10+14+7)/3 = 10.33: entry 1 first although its sum is lower.
			name: "conflict of interest: mean over the jurors who may score",
			want: []string{"1 Жер тууралуу 22/2; 2 Суу 31/3; ", "1 Мектеп 6/3; "}, winners: []int{2, 1},
		},
		{
			name: "an exact tie of means over different juror counts (22/2 = 33/3)",
			change: func(c *Competition) {
				c.Scores[2] = score(tcJ1, tcE2, 8, 3)
				c.Scores[3] = score(tcJ2, tcE2, 8, 3)
				c.Scores[4] = score(tcJ3, tcE2, 8, 3)
			},
			want: []string{"=1 Жер тууралуу 22/2; =1 Суу 33/3; ", "1 Мектеп 6/3; "}, winners: []int{2, 1},
		},
		{
			name:   "a juror still missing",
			change: func(c *Competition) { c.Scores = c.Scores[1:] },
			want:   []string{"missing: Айгүл: Жер тууралуу", "1 Мектеп 6/3; "}, winners: []int{0, 1},
		},
		{
			name:   "an incomplete score counts as missing",
			change: func(c *Competition) { delete(c.Scores[4].Points, tcCrit1) },
			want:   []string{"missing: Гүлнара: Суу", "1 Мектеп 6/3; "}, winners: []int{0, 1},
		},
		{
			name:   "a related juror's score is not counted, and not awaited",
			change: func(c *Competition) { c.Scores = append(c.Scores, score(tcJ3, tcE1, 0, 0)) },
			want:   []string{"1 Жер тууралуу 22/2; 2 Суу 31/3; ", "1 Мектеп 6/3; "}, winners: []int{2, 1},
		},
		{
			name:   "every juror related: the entry is not judged",
			change: func(c *Competition) { c.Entries[2].Related = []string{tcJ1, tcJ2, tcJ3} },
			want:   []string{"1 Жер тууралуу 22/2; 2 Суу 31/3; ", "unjudged: Мектеп"}, winners: []int{2, 0},
		},
		{
			name: "one place awarded: a tie for it wins for both",
			change: func(c *Competition) {
				c.Places = 1
				c.Scores[0] = score(tcJ1, tcE1, 10, 5)
				c.Scores[1] = score(tcJ2, tcE1, 3, 3)
			},
			// entry 1: (15+6)/2 = 10.5; entry 2: 31/3 = 10.33
			want: []string{"1 Жер тууралуу 21/2; 2 Суу 31/3; ", "1 Мектеп 6/3; "}, winners: []int{1, 1},
		},
		{
			name: "no categories: one ranking of every entry",
			change: func(c *Competition) {
				c.Categories = nil
				for i := range c.Entries {
					c.Entries[i].Category = ""
				}
			},
			want: []string{"1 Жер тууралуу 22/2; 2 Суу 31/3; 3 Мектеп 6/3; "}, winners: []int{3},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			comp := validCompetition()
			if c.change != nil {
				c.change(&comp)
			}
			got := comp.Ranking()
			if len(got) != len(c.want) {
				t.Fatalf("%d rankings, want %d", len(got), len(c.want))
			}
			for i, r := range got {
				var text string
				switch {
				case len(r.Missing) > 0:
					var parts []string
					for _, m := range r.Missing {
						var titles []string
						for _, e := range m.Entries {
							titles = append(titles, e.Title)
						}
						parts = append(parts, m.Juror.Name+": "+strings.Join(titles, ", "))
					}
					text = "missing: " + strings.Join(parts, "; ")
				case len(r.Unjudged) > 0:
					text = "unjudged: " + r.Unjudged[0].Title
				default:
					text = standingsText(r)
				}
				if text != c.want[i] {
					t.Errorf("category %d: %q, want %q", i, text, c.want[i])
				}
				if r.Complete() != (len(r.Standings) > 0) {
					t.Errorf("category %d: complete %v with %d standings", i, r.Complete(), len(r.Standings))
				}
				if len(r.Winners) != c.winners[i] {
					t.Errorf("category %d: %d winners, want %d", i, len(r.Winners), c.winners[i])
				}
			}
		})
	}
}

func TestScoreID(t *testing.T) {
	a, b := ScoreID(tcJ1, tcE1), ScoreID(tcJ2, tcE1)
	if a == b || a != ScoreID(tcJ1, tcE1) || !ValidID(a) {
		t.Fatalf("ScoreID: %s %s", a, b)
	}
	c := validCompetition()
	if err := c.MayScore(tcJ3, tcE1); err == nil || !strings.Contains(err.Error(), "conflict of interest") {
		t.Fatalf("related juror: %v", err)
	}
	if err := c.MayScore(tcJ3, tcE2); err != nil {
		t.Fatal(err)
	}
}

// What the public site shows of a competition: the winners alone, once
// published and complete.
func TestCompetitionPublic(t *testing.T) {
	c := validCompetition()
	if _, ok := c.Public(); ok {
		t.Fatal("public before it is published")
	}
	c.PublishedOn = caldate.MustParse("2026-06-01")
	c.Places = 1
	p, ok := c.Public()
	if !ok || len(p.Categories) != 2 || p.Categories[0].Name != "Иликтөө" || len(p.Categories[0].Winners) != 1 {
		t.Fatalf("public: %+v %v", p, ok)
	}
	if w := p.Categories[0].Winners[0]; w != (PublicWinner{Place: 1, Title: "Жер тууралуу", Author: "Нурлан Токтоматов"}) {
		t.Fatalf("winner: %+v", w)
	}
	c.Scores = c.Scores[1:]
	if _, ok := c.Public(); ok {
		t.Fatal("public while a juror's score is missing")
	}
	c = validCompetition()
	c.PublishedOn = caldate.MustParse("2026-06-01")
	c.Meta = &Meta{Deleted: true}
	if _, ok := c.Public(); ok {
		t.Fatal("public once deleted")
	}
}

// A laptop's id typed or pasted in any common spelling is put as every
// laptop writes it (Normalize), so it names the laptop; anything else is
// kept as typed, for Validate to refuse by name.
func TestLaptopID(t *testing.T) {
	const id = "0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9d0e"
	for in, want := range map[string]string{
		id:                                       id,
		" 0193F2A4-7C1E-7D2A-9B3E-5F6A7B8C9D0E ": id,
		"{0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9d0e}": id,
		"urn:uuid:0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9d0e": id,
		"0193f2a47c1e7d2a9b3e5f6a7b8c9d0e":              id,
		" laptop-of-bakyt ":                             "laptop-of-bakyt",
		"0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9dOe":          "0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9dOe",
	} {
		if got := LaptopID(in); got != want {
			t.Errorf("LaptopID(%q) = %q, want %q", in, got, want)
		}
	}
	c := validCompetition()
	c.Jurors[1].Device = "{0190E0B2-0000-7000-8000-00000000D002}"
	c.Normalize()
	if err := c.Validate(caldate.MustParse("2026-06-01")); err != nil || c.Jurors[1].Device != "0190e0b2-0000-7000-8000-00000000d002" {
		t.Fatalf("a braced capital laptop id: %q, %v", c.Jurors[1].Device, err)
	}
	if j, ok := c.JurorByRef("0190E0B2-0000-7000-8000-00000000D002"); !ok || j.ID != tcJ2 {
		t.Fatalf("a juror by their laptop's id in capitals: %+v %v", j, ok)
	}
}
