package main

import (
	"context"
	"errors"
	"flag"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/internal/cli"
	"github.com/kenesh/kenesh/shared/caldate"
)

func init() {
	register(command{Name: "report", Summary: "the figures central staff report, as JSON: report [--from DATE] [--to DATE] [--council CODE] [--oblast KG-X] [--district KG-X-YYY] [--as-of DATE] [--by council|oblast|month|quarter]", Run: runReport})
}

// addReportFlags adds the filter of a report (and of an export) to fs.
func addReportFlags(fs *flag.FlagSet, f *reports.Filter) {
	fs.TextVar(&f.From, "from", caldate.Date{}, "the period's first day, YYYY-MM-DD (appeals by the day they were received, events by the day they were held)")
	fs.TextVar(&f.To, "to", caldate.Date{}, "the period's last day, YYYY-MM-DD")
	fs.StringVar(&f.Council, "council", "", "only this council (code)")
	fs.StringVar(&f.Oblast, "oblast", "", "only this oblast or city (ISO 3166-2:KG code, e.g. KG-N)")
	fs.StringVar(&f.District, "district", "", "only this district (its code, e.g. KG-N-ATB)")
	fs.TextVar(&f.AsOf, "as-of", caldate.Date{}, "as the operation log stood at the end of this day in Bishkek (what had been recorded, on any laptop, by then)")
}

func runReport(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "report")
	var f reports.Filter
	addReportFlags(fs, &f)
	fs.StringVar(&f.By, "by", "", "also the figures side by side: council, oblast, month or quarter")
	if _, err := parse(fs, args, 0, "[--from DATE] [--to DATE] [--council CODE] [--oblast KG-X] [--district KG-X-YYY] [--as-of DATE] [--by council|oblast|month|quarter]"); err != nil {
		return err
	}
	return e.withCore(ctx, func(c *app.Core) error {
		r, err := reports.Make(ctx, c.Records, f)
		if err != nil {
			return reportErr(err)
		}
		return e.print(r)
	})
}

// reportErr makes a filter the report cannot answer a usage error (exit 2).
func reportErr(err error) error {
	var fe *reports.FilterError
	if errors.As(err, &fe) {
		return cli.UsageError{Msg: err.Error()}
	}
	return err
}
