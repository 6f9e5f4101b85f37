package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/internal/cli"
	"github.com/kenesh/kenesh/shared/domain"
)

func init() {
	register(command{Name: "export", Summary: "records or a report to a file, anonymised unless asked, recorded in the history: export --format xlsx|csv|json|pdf --out FILE [--from --to --council --oblast --district --as-of] [--kind appeal|event|grant] [--with-personal-data] [--lang ky|ru|en]; export history lists the exports recorded", Run: runExport})
}

func runExport(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "history" {
		if _, err := parse(flags(e, "export history"), args[1:], 0, ""); err != nil {
			return err
		}
		return e.withCore(ctx, func(c *app.Core) error {
			xs, err := c.Records.Exports(ctx)
			if err != nil {
				return err
			}
			return e.print(xs)
		})
	}
	fs := flags(e, "export")
	var o export.Options
	fs.StringVar(&o.Format, "format", "", "xlsx (a summary of the figures and a sheet per kind; a grant's milestones and disbursements on sheets of their own), csv (one file per kind and per grants' table; a zip of them for several), json (an array of records; an object of arrays for several kinds) or pdf (the report)")
	out := fs.String("out", "", "the new file to write (never over an existing one; readable only by you)")
	kind := fs.String("kind", "", "only this kind of record: appeal, event or grant (default all three)")
	fs.BoolVar(&o.Personal, "with-personal-data", false, "include appellants' names, contacts, addresses, PINs, villages and the free texts (only a secretary's or central staff's laptop)")
	fs.StringVar(&o.Language, "lang", "", "the language of the heads and words: ky, ru or en (default ky)")
	addReportFlags(fs, &o.Filter)
	if _, err := parse(fs, args, 0, "--format xlsx|csv|json|pdf --out FILE [filters]"); err != nil {
		return err
	}
	switch {
	case o.Format == "":
		return cli.Usagef("--format is required: xlsx, csv, json or pdf")
	case *out == "":
		return cli.Usagef("--out FILE is required: every export is a file, recorded in the history")
	case *kind != "" && *kind != domain.KindAppeal && *kind != domain.KindEvent && *kind != domain.KindGrant:
		return cli.Usagef("--kind %q: use appeal, event or grant", *kind)
	case o.Language != "" && !l10n.Valid(o.Language):
		return cli.Usagef("--lang %q: use ky, ru or en", o.Language)
	}
	if *kind != "" {
		o.Kinds = []string{*kind}
	}
	if isTerminal(e.stderr) {
		o.Progress = progressBar(e.stderr)
	}
	return e.withCore(ctx, func(c *app.Core) error {
		res, x, err := export.ToFile(ctx, c.Records, *out, o)
		if err != nil {
			var oe *export.OptionsError
			if errors.As(err, &oe) {
				return cli.UsageError{Msg: err.Error()}
			}
			return reportErr(err)
		}
		return e.print(map[string]any{"file": *out, "format": x.Format, "kinds": x.Kinds, "records": res.Records, "by_kind": res.ByKind,
			"personal_data": x.PersonalData, "language": x.Language, "export_id": x.ID, "log_point": x.LogPoint, "digest": x.Digest})
	})
}

// progressBar draws "exporting 1 500 of 100 000 [=====     ] 15%" on a
// terminal, at most five times a second.
func progressBar(w io.Writer) func(done, total int) {
	var last time.Time
	return func(done, total int) {
		now := time.Now()
		end := total > 0 && done >= total
		if !end && now.Sub(last) < 200*time.Millisecond {
			return
		}
		last = now
		if total <= 0 {
			fmt.Fprintf(w, "\rexporting: %d records", done)
			return
		}
		const width = 30
		n := done * width / total
		fmt.Fprintf(w, "\rexporting: %d of %d [%s%s] %3d%%", done, total, strings.Repeat("=", n), strings.Repeat(" ", width-n), done*100/total)
		if end {
			fmt.Fprintln(w)
		}
	}
}
