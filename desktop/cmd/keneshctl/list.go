package main

import (
	"github.com/kenesh/kenesh/internal/cli"

	"context"
	"flag"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
)

type listFlags struct {
	council, status, category, oblast, district, text string
	from, to                                          caldate.Date
	overdue, deleted, full                            bool
	dueSoon, limit                                    int
}

func addListFlags(fs *flag.FlagSet, kind string) *listFlags {
	l := &listFlags{}
	fs.StringVar(&l.council, "council", "", "only this council (code)")
	fs.StringVar(&l.category, "category", "", "only this category (appeals: right at stake; events: event kind)")
	fs.StringVar(&l.oblast, "oblast", "", "only this oblast or city (ISO 3166-2:KG code)")
	fs.StringVar(&l.district, "district", "", "only this district (code)")
	fs.TextVar(&l.from, "from", caldate.Date{}, "only on or after this day (YYYY-MM-DD)")
	fs.TextVar(&l.to, "to", caldate.Date{}, "only on or before this day (YYYY-MM-DD)")
	fs.StringVar(&l.text, "text", "", "only records containing these words (any case; ң ө ү may be typed as н о у)")
	fs.BoolVar(&l.deleted, "deleted", false, "include deleted records")
	fs.BoolVar(&l.full, "full", false, "print whole records instead of list lines")
	fs.IntVar(&l.limit, "limit", 0, "print at most this many (0: all)")
	if kind == "appeal" {
		fs.StringVar(&l.status, "status", "", "only this status")
		fs.BoolVar(&l.overdue, "overdue", false, "only appeals past their answer deadline")
	} else {
		fs.StringVar(&l.category, "kind", "", "only this event kind (same as --category)")
		fs.IntVar(&l.dueSoon, "due-within", 0, "only events with an open follow-up action due within N days")
	}
	return l
}

func (l *listFlags) filter(kind string) records.Filter {
	return records.Filter{Kind: kind, Council: l.council, Status: l.status, Category: l.category, Oblast: l.oblast,
		District: l.district, From: l.from, To: l.to, Overdue: l.overdue, DueSoon: l.dueSoon, Text: l.text, Deleted: l.deleted}
}

func runList(ctx context.Context, e *env, kind string, args []string) error {
	fs := flags(e, kind+" list")
	l := addListFlags(fs, kind)
	if _, err := parse(fs, args, 0, "[filters]"); err != nil {
		return err
	}
	return e.withCore(ctx, func(c *app.Core) error {
		rows, err := c.Records.List(l.filter(kind))
		if err != nil {
			return cli.UsageError{Msg: err.Error()}
		}
		if l.limit > 0 && len(rows) > l.limit {
			rows = rows[:l.limit]
		}
		if !l.full {
			return e.print(rows)
		}
		out := make([]any, 0, len(rows))
		for _, r := range rows {
			var rec any
			var err error
			if kind == "appeal" {
				rec, err = c.Records.Appeal(ctx, r.ID)
			} else {
				rec, err = c.Records.Event(ctx, r.ID)
			}
			if err != nil {
				return err
			}
			out = append(out, rec)
		}
		return e.print(out)
	})
}
