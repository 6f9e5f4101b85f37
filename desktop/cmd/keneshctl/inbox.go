package main

import (
	"context"
	"encoding/json"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/internal/cli"
	"github.com/kenesh/kenesh/shared/domain"
)

func init() {
	register(command{Name: "inbox", Summary: "web submissions from the public form: inbox {list|show|register|merge|refuse}", Run: runInbox})
}

// runInbox handles the council's inbox: the appeals citizens sent through
// the public form, pulled from the server with the last sync.
func runInbox(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "inbox", args, map[string]func([]string) error{
		"list": func(args []string) error {
			fs := flags(e, "inbox list")
			status := fs.String("status", string(domain.SubmissionWaiting), "waiting, registered, merged, refused, or all")
			overdue := fs.Bool("overdue", false, "only those past their registration deadline (one working day from receipt)")
			full := fs.Bool("full", false, "whole web submissions, with what the citizen wrote and their contacts")
			if _, err := parse(fs, args, 0, "[--status S] [--overdue] [--full]"); err != nil {
				return err
			}
			f := records.Filter{Kind: domain.KindSubmission, Status: *status, Overdue: *overdue}
			if *status == "all" {
				f.Status = ""
			}
			return e.withCore(ctx, func(c *app.Core) error {
				rows, err := c.Records.List(f)
				if err != nil {
					return cli.UsageError{Msg: err.Error()}
				}
				if !*full {
					return e.print(rows)
				}
				out := make([]*domain.Submission, 0, len(rows))
				for _, r := range rows {
					s, err := c.Records.Submission(ctx, r.ID)
					if err != nil {
						return err
					}
					out = append(out, s)
				}
				return e.print(out)
			})
		},
		"show": func(args []string) error {
			pos, err := parse(flags(e, "inbox show"), args, 1, "ID")
			if err != nil {
				return err
			}
			return e.withCore(ctx, func(c *app.Core) error {
				s, err := c.Records.Submission(ctx, pos[0])
				if err != nil {
					return err
				}
				return e.print(s)
			})
		},
		"register": func(args []string) error {
			fs := flags(e, "inbox register")
			patch := map[string]string{}
			for _, f := range []struct{ name, usage string }{
				{"category", "the right at stake, when the citizen did not say or said otherwise"},
				{"authority", "the responsible authority (a code)"},
				{"oblast", "the region (a code)"},
				{"district", "the district (a code)"},
				{"summary", "the appeal's summary (default: the first line of what the citizen wrote)"},
			} {
				fs.Func(f.name, f.usage, func(v string) error { patch[f.name] = v; return nil })
			}
			pos, err := parse(fs, args, 1, "ID [--category C] [--authority A] [--oblast O] [--district D] [--summary TEXT]")
			if err != nil {
				return err
			}
			var raw json.RawMessage
			if len(patch) > 0 {
				raw, _ = json.Marshal(patch)
			}
			return e.withCore(ctx, func(c *app.Core) error {
				a, s, err := c.Records.RegisterSubmission(ctx, pos[0], raw)
				if err != nil {
					return err
				}
				return e.print(map[string]any{"appeal": a, "submission": s})
			})
		},
		"merge": func(args []string) error {
			pos, err := parse(flags(e, "inbox merge"), args, 2, "ID APPEAL-ID|REG-NO")
			if err != nil {
				return err
			}
			return e.withCore(ctx, func(c *app.Core) error {
				s, err := c.Records.MergeSubmission(ctx, pos[0], pos[1])
				if err != nil {
					return err
				}
				return e.print(s)
			})
		},
		"refuse": func(args []string) error {
			fs := flags(e, "inbox refuse")
			reason := fs.String("reason", domain.RefusalSpam, "spam (not an appeal) or out_of_scope (not what councils take up)")
			note := fs.String("note", "", "the council's own note (never shown to the public)")
			pos, err := parse(fs, args, 1, "ID [--reason spam|out_of_scope] [--note TEXT]")
			if err != nil {
				return err
			}
			return e.withCore(ctx, func(c *app.Core) error {
				s, err := c.Records.RefuseSubmission(ctx, pos[0], *reason, *note)
				if err != nil {
					return err
				}
				return e.print(s)
			})
		},
	})
}
