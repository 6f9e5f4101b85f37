package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/jsonin"
)

func init() {
	register(command{Name: "competition", Summary: "competitions with a jury: competition add < competition.json | entry add ID < entry.json [--file PATH] | related ID ENTRY JUROR [--remove] | publish ID [--withdraw] (central staff) | score ID ENTRY CRITERION=POINTS... [--note TEXT] [--withdraw] (a juror, on their own laptop) | ranking ID | list | show|history|delete|restore ID", Run: runCompetition})
}

func runCompetition(ctx context.Context, e *env, args []string) error {
	subs := map[string]func([]string) error{
		"add": func(args []string) error {
			if _, err := parse(flags(e, "competition add"), args, 0, "< competition.json"); err != nil {
				return err
			}
			data, err := e.readAll()
			if err != nil {
				return err
			}
			c, err := decodeCompetition(data)
			if err != nil {
				return err
			}
			if c.ID != "" {
				return usagef("a new competition has no id (it is given one); to add an entry use 'keneshctl competition entry add'")
			}
			if len(c.Scores) > 0 {
				return usagef("a new competition has no scores: each juror scores on their own laptop ('keneshctl competition score')")
			}
			return e.withCore(ctx, func(c2 *app.Core) error {
				out, err := c2.Records.SaveCompetition(ctx, c)
				if err != nil {
					return err
				}
				return e.print(competitionView(out))
			})
		},
		"entry": func(args []string) error {
			fs := flags(e, "competition entry add")
			file := fs.String("file", "", "the work itself, as a file (travels to every laptop like an attachment)")
			pos, err := parse(fs, args, 2, "add ID < entry.json [--file PATH]")
			if err != nil {
				return err
			}
			if pos[0] != "add" {
				return usagef("competition entry add ID < entry.json: %q is not a subcommand of entry", pos[0])
			}
			data, err := e.readAll()
			if err != nil {
				return err
			}
			en, err := decodeEntry(data)
			if err != nil {
				return err
			}
			if en.ID != "" || en.File != nil {
				return usagef("a new entry has no id (it is given one), and its file is given with --file PATH")
			}
			var r io.Reader
			if *file != "" {
				f, err := os.Open(*file)
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			return e.withRecord(ctx, domain.KindCompetition, pos[1], func(c *app.Core, id string) (any, error) {
				out, added, err := c.Files.AddEntry(ctx, id, en, files.Input{Name: filepath.Base(*file)}, r)
				if err != nil {
					return nil, err
				}
				v := competitionView(out)
				v["added"] = added.ID
				return v, nil
			})
		},
		"score": func(args []string) error {
			fs := flags(e, "competition score")
			note := fs.String("note", "", "the juror's note on the entry")
			withdraw := fs.Bool("withdraw", false, "withdraw this juror's score of the entry")
			if len(args) < 2 {
				return usagef("competition score ID ENTRY CRITERION=POINTS... [--note TEXT] [--withdraw]")
			}
			// Flags may come after the points: parse them from the rest.
			var rest []string
			for i := 0; i < len(args); i++ {
				if strings.HasPrefix(args[i], "-") {
					rest = args[i:]
					args = args[:i]
					break
				}
			}
			if err := fs.Parse(rest); err != nil {
				return usagef("%v", err)
			}
			if len(args) < 2 || (len(args) == 2 && !*withdraw) || fs.NArg() > 0 {
				return usagef("competition score ID ENTRY CRITERION=POINTS... [--note TEXT] [--withdraw]: give the points of every criterion (by its number, id or name)")
			}
			return e.withRecord(ctx, domain.KindCompetition, args[0], func(c *app.Core, id string) (any, error) {
				comp, err := c.Records.Competition(ctx, id)
				if err != nil {
					return nil, err
				}
				var points map[string]int
				if !*withdraw {
					if points, err = parsePoints(comp, args[2:]); err != nil {
						return nil, usagef("%v", err)
					}
				}
				out, err := c.Records.ScoreEntry(ctx, id, args[1], points, *note)
				if err != nil {
					return nil, err
				}
				return competitionView(out), nil
			})
		},
		"related": func(args []string) error {
			fs := flags(e, "competition related")
			remove := fs.Bool("remove", false, "take the mark off")
			pos, err := parse(fs, args, 3, "ID ENTRY JUROR [--remove]")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindCompetition, pos[0], func(c *app.Core, id string) (any, error) {
				out, err := c.Records.MarkRelated(ctx, id, pos[1], pos[2], !*remove)
				if err != nil {
					return nil, err
				}
				return competitionView(out), nil
			})
		},
		"ranking": func(args []string) error {
			pos, err := parse(flags(e, "competition ranking"), args, 1, "ID")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindCompetition, pos[0], func(c *app.Core, id string) (any, error) {
				comp, err := c.Records.Competition(ctx, id)
				if err != nil {
					return nil, err
				}
				return rankingView(comp), nil
			})
		},
		"publish": func(args []string) error {
			fs := flags(e, "competition publish")
			withdraw := fs.Bool("withdraw", false, "take the winners off the public site")
			pos, err := parse(fs, args, 1, "ID [--withdraw]")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindCompetition, pos[0], func(c *app.Core, id string) (any, error) {
				out, err := c.Records.PublishWinners(ctx, id, !*withdraw)
				if err != nil {
					return nil, err
				}
				return rankingView(out), nil
			})
		},
		"list": func(args []string) error {
			if _, err := parse(flags(e, "competition list"), args, 0, ""); err != nil {
				return err
			}
			return e.withCore(ctx, func(c *app.Core) error {
				list, err := c.Records.Competitions(ctx)
				if err != nil {
					return err
				}
				out := make([]map[string]any, 0, len(list))
				for i := range list {
					v := competitionView(&list[i])
					for _, k := range []string{"rules", "categories", "criteria", "jurors", "entries", "scores", "ranking"} {
						delete(v, k)
					}
					out = append(out, v)
				}
				return e.print(out)
			})
		},
		"show": func(args []string) error {
			pos, err := parse(flags(e, "competition show"), args, 1, "ID")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindCompetition, pos[0], func(c *app.Core, id string) (any, error) {
				comp, err := c.Records.Competition(ctx, id)
				if err != nil {
					return nil, err
				}
				return competitionView(comp), nil
			})
		},
		"history": func(args []string) error { return runHistory(ctx, e, domain.KindCompetition, args) },
		"delete":  func(args []string) error { return runDelete(ctx, e, domain.KindCompetition, args, true) },
		"restore": func(args []string) error { return runDelete(ctx, e, domain.KindCompetition, args, false) },
	}
	return subcommand(e, "competition", args, subs)
}

// decodeCompetition reads the competition piped into 'competition add'.
func decodeCompetition(data []byte) (domain.Competition, error) {
	var c domain.Competition
	err := jsonin.Decode("competition", data, &c)
	return c, err
}

// decodeEntry reads the entry piped into 'competition entry add'.
func decodeEntry(data []byte) (domain.Entry, error) {
	var e domain.Entry
	err := jsonin.Decode("entry", data, &e)
	return e, err
}

// parsePoints reads a juror's points as a person types them:
// "CRITERION=POINTS", the criterion by its number (from 1), id or name.
func parsePoints(c *domain.Competition, args []string) (map[string]int, error) {
	out := map[string]int{}
	for _, a := range args {
		ref, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("%q: give points as CRITERION=POINTS (the criterion by its number, id or name: %s)", a, c.CriteriaText())
		}
		cr, ok := c.CriterionByRef(strings.TrimSpace(ref))
		if !ok {
			return nil, fmt.Errorf("%q is not a criterion of %q (%s)", ref, c.Title, c.CriteriaText())
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("%s=%q: points are a whole number from 0 to %d", cr.Name, v, cr.Max)
		}
		out[cr.ID] = n
	}
	return out, nil
}

// competitionView is a competition as scripts read it: entries numbered
// as 'score' takes them, with their category's name and the names of the
// jurors related to them; scores with their juror's and entry's names;
// the ranking.
func competitionView(c *domain.Competition) map[string]any {
	type entry struct {
		N           int                `json:"n"`
		ID          string             `json:"id"`
		Author      string             `json:"author"`
		Title       string             `json:"title"`
		Category    string             `json:"category,omitempty"`
		Link        string             `json:"link,omitempty"`
		File        *domain.Attachment `json:"file,omitempty"`
		SubmittedOn caldate.Date       `json:"submitted_on,omitzero"`
		Related     []string           `json:"related,omitempty"`
	}
	entries := []entry{}
	for i, e := range c.Entries {
		var related []string
		for _, j := range e.Related {
			if jr, ok := c.Juror(j); ok {
				related = append(related, jr.Name)
			}
		}
		cat := c.CategoryByRef(e.Category)
		entries = append(entries, entry{N: i + 1, ID: e.ID, Author: e.Author, Title: e.Title, Category: cat.Name, Link: e.Link, File: e.File, SubmittedOn: e.SubmittedOn, Related: related})
	}
	type score struct {
		Juror  string         `json:"juror"`
		Entry  string         `json:"entry"`
		Points map[string]int `json:"points"`
		On     caldate.Date   `json:"on,omitzero"`
		Note   string         `json:"note,omitempty"`
	}
	scores := []score{}
	for _, s := range c.Scores {
		j, _ := c.Juror(s.Juror)
		e, _ := c.Entry(s.Entry)
		pts := map[string]int{}
		for id, p := range s.Points {
			if cr, ok := c.CriterionByRef(id); ok {
				pts[cr.Name] = p
			}
		}
		scores = append(scores, score{Juror: j.Name, Entry: e.Title, Points: pts, On: s.On, Note: s.Note})
	}
	v := map[string]any{"id": c.ID, "title": c.Title, "audience": c.Audience, "rules": c.Rules, "deadline": c.Deadline,
		"places": c.PlacesAwarded(), "categories": c.Categories, "criteria": c.Criteria, "jurors": c.Jurors,
		"entries": entries, "scores": scores, "ranking": rankingView(c)["categories"], "complete": rankingView(c)["complete"]}
	if !c.PublishedOn.IsZero() {
		v["published_on"] = c.PublishedOn
	}
	if c.Notes != "" {
		v["notes"] = c.Notes
	}
	if c.Meta != nil && len(c.Meta.Unreadable) > 0 {
		v["unreadable"] = c.Meta.Unreadable
	}
	return v
}

// rankingView is the ranking as scripts read it, per category: the
// standings (place "=2" for a tie, mean to two decimals) once complete,
// else who is still missing and which entries.
func rankingView(c *domain.Competition) map[string]any {
	type standing struct {
		Place  string `json:"place"`
		Entry  string `json:"entry"`
		Author string `json:"author"`
		Mean   string `json:"mean"`
		Jurors int    `json:"jurors"`
		Winner bool   `json:"winner,omitempty"`
	}
	type missing struct {
		Juror   string   `json:"juror"`
		Entries []string `json:"entries"`
	}
	type category struct {
		Category  string     `json:"category,omitempty"`
		Complete  bool       `json:"complete"`
		Standings []standing `json:"standings,omitempty"`
		Missing   []missing  `json:"missing,omitempty"`
		Unjudged  []string   `json:"unjudged,omitempty"`
	}
	all := true
	cats := []category{}
	for _, r := range c.Ranking() {
		x := category{Category: r.Category.Name, Complete: r.Complete()}
		all = all && r.Complete()
		for _, s := range r.Standings {
			x.Standings = append(x.Standings, standing{Place: s.PlaceText(), Entry: s.Entry.Title, Author: s.Entry.Author,
				Mean: fmt.Sprintf("%.2f", s.Mean()), Jurors: s.Jurors, Winner: s.Place <= c.PlacesAwarded()})
		}
		for _, m := range r.Missing {
			var titles []string
			for _, e := range m.Entries {
				titles = append(titles, e.Title)
			}
			x.Missing = append(x.Missing, missing{Juror: m.Juror.Name, Entries: titles})
		}
		for _, e := range r.Unjudged {
			x.Unjudged = append(x.Unjudged, e.Title)
		}
		cats = append(cats, x)
	}
	v := map[string]any{"id": c.ID, "title": c.Title, "complete": all, "categories": cats}
	if !c.PublishedOn.IsZero() {
		v["published_on"] = c.PublishedOn
	}
	return v
}
