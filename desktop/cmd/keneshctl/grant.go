package main

import (
	"context"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/jsonin"
)

func init() {
	register(command{Name: "grant", Summary: "small grants to councils: grant add < grant.json | disburse ID --amount N [--on DATE] (central staff) | milestone ID N|MILESTONE-ID [--not-met] [--on DATE] [--note TEXT] (the council) | list [--council C] [--late] | show|history|delete|restore ID", Run: runGrant})
}

func runGrant(ctx context.Context, e *env, args []string) error {
	subs := map[string]func([]string) error{
		"add": func(args []string) error {
			if _, err := parse(flags(e, "grant add"), args, 0, "< grant.json"); err != nil {
				return err
			}
			data, err := e.readAll()
			if err != nil {
				return err
			}
			var g domain.Grant
			if err := jsonin.Decode("grant", data, &g); err != nil {
				return err
			}
			if g.ID != "" {
				return usagef("a new grant has no id (it is given one); to pay out use 'keneshctl grant disburse'")
			}
			return e.withCore(ctx, func(c *app.Core) error {
				out, err := c.Records.SaveGrant(ctx, g)
				if err != nil {
					return err
				}
				return e.print(grantView(out, c.Records.Today()))
			})
		},
		"disburse": func(args []string) error {
			fs := flags(e, "grant disburse")
			amount := fs.Int64("amount", 0, "the amount paid out, in whole som (required)")
			on := fs.String("on", "", "the day it was paid, YYYY-MM-DD (default: today)")
			note := fs.String("note", "", "a note (the payment order's number)")
			pos, err := parse(fs, args, 1, "ID --amount N [--on DATE] [--note TEXT]")
			if err != nil {
				return err
			}
			day, err := optionalDate("--on", *on)
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindGrant, pos[0], func(c *app.Core, id string) (any, error) {
				g, err := c.Records.Grant(ctx, id)
				if err != nil {
					return nil, err
				}
				if day.IsZero() {
					day = c.Records.Today()
				}
				g.Disbursements = append(g.Disbursements, domain.Disbursement{On: day, Amount: *amount, Note: *note})
				out, err := c.Records.SaveGrant(ctx, *g)
				if err != nil {
					return nil, err
				}
				return grantView(out, c.Records.Today()), nil
			})
		},
		"milestone": func(args []string) error {
			fs := flags(e, "grant milestone")
			notMet := fs.Bool("not-met", false, "withdraw a report made by mistake")
			on := fs.String("on", "", "the day it was met, YYYY-MM-DD (default: today)")
			note := fs.String("note", "", "what was done")
			pos, err := parse(fs, args, 2, "ID N|MILESTONE-ID [--not-met] [--on DATE] [--note TEXT]")
			if err != nil {
				return err
			}
			day, err := optionalDate("--on", *on)
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindGrant, pos[0], func(c *app.Core, id string) (any, error) {
				out, err := c.Records.ReportMilestone(ctx, id, pos[1], !*notMet, day, *note)
				if err != nil {
					return nil, err
				}
				return grantView(out, c.Records.Today()), nil
			})
		},
		"list": func(args []string) error {
			fs := flags(e, "grant list")
			council := fs.String("council", "", "only this council's grants")
			late := fs.Bool("late", false, "only grants with a milestone past its due day and not reported met")
			if _, err := parse(fs, args, 0, "[--council C] [--late]"); err != nil {
				return err
			}
			return e.withCore(ctx, func(c *app.Core) error {
				list, err := c.Records.Grants(ctx, *council)
				if err != nil {
					return err
				}
				today := c.Records.Today()
				out := make([]map[string]any, 0, len(list))
				for i := range list {
					v := grantView(&list[i], today)
					if *late && v["late_milestones"].(int) == 0 {
						continue
					}
					delete(v, "milestones")
					delete(v, "disbursements")
					out = append(out, v)
				}
				return e.print(out)
			})
		},
		"show": func(args []string) error {
			pos, err := parse(flags(e, "grant show"), args, 1, "ID")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindGrant, pos[0], func(c *app.Core, id string) (any, error) {
				g, err := c.Records.Grant(ctx, id)
				if err != nil {
					return nil, err
				}
				return grantView(g, c.Records.Today()), nil
			})
		},
		"history": func(args []string) error { return runHistory(ctx, e, domain.KindGrant, args) },
		"delete":  func(args []string) error { return runDelete(ctx, e, domain.KindGrant, args, true) },
		"restore": func(args []string) error { return runDelete(ctx, e, domain.KindGrant, args, false) },
	}
	return subcommand(e, "grant", args, subs)
}

func optionalDate(flag, s string) (caldate.Date, error) {
	if s == "" {
		return caldate.Date{}, nil
	}
	d, err := caldate.Parse(s)
	if err != nil {
		return d, usagef("%s %q is not a date written YYYY-MM-DD", flag, s)
	}
	return d, nil
}

// grantView is a grant as scripts read it: its milestones numbered in due
// order with their reports beside them, and what was paid out and what is late.
func grantView(g *domain.Grant, today caldate.Date) map[string]any {
	type milestone struct {
		N     int          `json:"n"`
		ID    string       `json:"id"`
		Title string       `json:"title"`
		Due   caldate.Date `json:"due"`
		Met   bool         `json:"met"`
		MetOn caldate.Date `json:"met_on,omitzero"`
		Note  string       `json:"note,omitempty"`
		Late  bool         `json:"late,omitempty"`
	}
	ms := []milestone{}
	late := 0
	for i, m := range g.MilestonesByDue() {
		r, _ := g.Report(m.ID)
		l := !r.Met && m.Due.Before(today)
		if l {
			late++
		}
		ms = append(ms, milestone{N: i + 1, ID: m.ID, Title: m.Title, Due: m.Due, Met: r.Met, MetOn: r.MetOn, Note: r.Note, Late: l})
	}
	v := map[string]any{"id": g.ID, "council": g.Council, "purpose": g.Purpose, "amount": g.Amount, "currency": g.Currency,
		"start_on": g.StartOn, "end_on": g.EndOn, "disbursed": g.Disbursed(), "milestones": ms,
		"milestones_met": g.MetCount(), "milestones_total": len(g.Milestones), "late_milestones": late,
		"disbursements": g.Disbursements}
	if g.Notes != "" {
		v["notes"] = g.Notes
	}
	if g.Meta != nil && len(g.Meta.Unreadable) > 0 {
		v["unreadable"] = g.Meta.Unreadable
	}
	return v
}
