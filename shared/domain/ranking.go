package domain

import (
	"fmt"
	"sort"
	"strings"
)

// The ranking of a competition, in one place (the laptops, keneshctl and
// the public site all call Competition.Ranking). The rule:
//
//   - Entries are ranked within their category (all together when the
//     competition has no categories).
//   - A juror's total for an entry is the sum of their points on every
//     criterion. An entry's score is the mean of the totals of the jurors
//     who may score it: every juror but those marked as related to it (a
//     conflict of interest), so an entry is neither helped nor hurt by a
//     juror who stood aside. A score that is incomplete, out of bounds or
//     by a juror related to the entry counts for nothing.
//   - A category's ranking is complete once every juror who may score
//     each of its entries has scored it; until then it lists who is still
//     missing, and which entries. An entry no juror may score (every juror
//     related to it) cannot be ranked: it is named, and the category is
//     not complete until the jury changes.
//   - Entries with equal means (compared exactly, as fractions, never as
//     rounded decimals) are tied: they share a place, and the next place
//     is skipped (1, 2, 2, 4: "standard competition ranking"). Tied
//     entries are listed by title.
//   - The winners are the entries placed within the competition's Places
//     (so a tie for the last place awarded wins for every tied entry).

// Standing is an entry's place in its category's ranking.
type Standing struct {
	Entry Entry
	// Place counts from 1; tied entries share it.
	Place int
	Tied  bool
	// Sum is the sum of the counted jurors' totals, Jurors how many were
	// counted: the entry's score is Sum/Jurors.
	Sum    int
	Jurors int
	// Max is the most an entry can score (the criteria's maxima summed).
	Max int
}

// Mean is the entry's score, the mean of its jurors' totals.
func (s Standing) Mean() float64 {
	if s.Jurors == 0 {
		return 0
	}
	return float64(s.Sum) / float64(s.Jurors)
}

// PlaceText is the place as printed: "2" or "=2" for a tie.
func (s Standing) PlaceText() string {
	if s.Tied {
		return fmt.Sprintf("=%d", s.Place)
	}
	return fmt.Sprint(s.Place)
}

// Missing is a juror who still has entries of a category to score.
type Missing struct {
	Juror   Juror
	Entries []Entry
}

// CategoryRanking is one category's ranking, or what it still waits for.
type CategoryRanking struct {
	Category Category
	// Missing are the jurors who have not scored every entry they may
	// score; Unjudged the entries no juror may score.
	Missing  []Missing
	Unjudged []Entry
	// Standings rank the category's entries (empty until Complete).
	Standings []Standing
	// Winners are the standings within the places awarded.
	Winners []Standing
}

// Complete reports whether every juror who may score has scored every
// entry of the category and each entry has a juror.
func (r CategoryRanking) Complete() bool { return len(r.Missing) == 0 && len(r.Unjudged) == 0 }

// MissingText says in English what the ranking waits for, for logs and
// the command line.
func (r CategoryRanking) MissingText() string {
	var parts []string
	for _, m := range r.Missing {
		parts = append(parts, fmt.Sprintf("%s has %d of its entries to score", m.Juror.Name, len(m.Entries)))
	}
	for _, e := range r.Unjudged {
		parts = append(parts, fmt.Sprintf("no juror may score %q (every juror is related to it)", e.Title))
	}
	return strings.Join(parts, "; ")
}

// Ranking ranks the competition's entries, one CategoryRanking a
// category in the competition's order (one for all entries when it has
// no categories); see the rule above.
func (c *Competition) Ranking() []CategoryRanking {
	cats := c.Categories
	if len(cats) == 0 {
		cats = []Category{{}}
	}
	maxTotal := 0
	for _, cr := range c.Criteria {
		maxTotal += cr.Max
	}
	out := make([]CategoryRanking, 0, len(cats))
	for _, cat := range cats {
		r := CategoryRanking{Category: cat}
		missing := map[string][]Entry{}
		var standings []Standing
		for _, e := range c.Entries {
			if len(c.Categories) > 0 && e.Category != cat.ID {
				continue
			}
			st := Standing{Entry: e, Max: maxTotal}
			eligible := 0
			for _, j := range c.Jurors {
				if e.RelatedTo(j.ID) {
					continue
				}
				eligible++
				s, ok := c.Score(j.ID, e.ID)
				if !ok || !c.complete(s) {
					missing[j.ID] = append(missing[j.ID], e)
					continue
				}
				st.Sum += c.total(s)
				st.Jurors++
			}
			if eligible == 0 {
				r.Unjudged = append(r.Unjudged, e)
			}
			standings = append(standings, st)
		}
		for _, j := range c.Jurors {
			if es := missing[j.ID]; len(es) > 0 {
				r.Missing = append(r.Missing, Missing{Juror: j, Entries: es})
			}
		}
		if r.Complete() {
			r.Standings = rank(standings)
			for _, s := range r.Standings {
				if s.Place <= c.PlacesAwarded() {
					r.Winners = append(r.Winners, s)
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// rank orders standings by mean (highest first), compared exactly
// (a.Sum/a.Jurors against b.Sum/b.Jurors as a.Sum*b.Jurors against
// b.Sum*a.Jurors), and gives places, tied entries sharing one.
func rank(st []Standing) []Standing {
	cmp := func(a, b Standing) int {
		x, y := a.Sum*b.Jurors, b.Sum*a.Jurors
		switch {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return 0
	}
	sort.SliceStable(st, func(i, j int) bool {
		if c := cmp(st[i], st[j]); c != 0 {
			return c < 0
		}
		if st[i].Entry.Title != st[j].Entry.Title {
			return st[i].Entry.Title < st[j].Entry.Title
		}
		return st[i].Entry.ID < st[j].Entry.ID
	})
	for i := range st {
		if i > 0 && cmp(st[i-1], st[i]) == 0 {
			st[i].Place = st[i-1].Place
			st[i].Tied, st[i-1].Tied = true, true
		} else {
			st[i].Place = i + 1
		}
	}
	return st
}
