package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/subjectaccess"
	"github.com/kenesh/kenesh/internal/cli"
	"github.com/kenesh/kenesh/shared/caldate"
)

func init() {
	register(command{Name: "person", Summary: "everything held about one person (a subject access request): person QUERY [--out FILE] [--format json|pdf] [--lang ky|ru|en] [--requested-on DATE] [--exclude REF,...]", Run: runPerson})
}

func runPerson(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "person")
	out := fs.String("out", "", "write the export to this new file (readable only by you) instead of stdout")
	format := fs.String("format", "", "the answer for the person: json (the document, machine-readable, values in words and codes) or pdf (a letter to print); without it, the records as they are stored")
	lang := fs.String("lang", "", "the document's language: ky, ru or en (default: the language of the person's latest appeal, else ky)")
	requested := fs.String("requested-on", "", "the day the request was received, YYYY-MM-DD (default today); the answer is due a week later")
	exclude := fs.String("exclude", "", "leave out these records found, comma-separated appeal ids or registration numbers and event ids: a namesake's are not this person's")
	pos, err := parse(fs, args, 1, "NAME|PHONE|E-MAIL|PIN [--out FILE] [--format json|pdf] [--lang ky|ru|en]")
	if err != nil {
		return err
	}
	var reqOn caldate.Date
	switch {
	case *format != "" && *format != "json" && *format != "pdf":
		return cli.Usagef("--format %q: use json or pdf", *format)
	case *lang != "" && !l10n.Valid(*lang):
		return cli.Usagef("--lang %q: use ky, ru or en", *lang)
	case *format == "" && (*lang != "" || *requested != "" || *exclude != ""):
		return cli.Usagef("--lang, --requested-on and --exclude shape the document: add --format json or --format pdf")
	case *requested != "":
		if reqOn, err = caldate.Parse(*requested); err != nil {
			return cli.Usagef("--requested-on %q: write the day as YYYY-MM-DD", *requested)
		}
	}
	if *format == "pdf" && *out == "" && isTerminal(e.stdout) {
		return cli.Usagef("a PDF is not for the terminal: give --out FILE, or redirect stdout to a file")
	}
	return e.withCore(ctx, func(c *app.Core) error {
		if *format == "" {
			return personRecords(ctx, e, c, pos[0], *out)
		}
		found, err := subjectaccess.Find(ctx, c.Records, pos[0])
		if err != nil {
			return err
		}
		if *exclude != "" {
			if found, err = found.Without(strings.Split(*exclude, ",")); err != nil {
				return err
			}
		}
		if *lang == "" {
			*lang = found.Language()
		}
		doc, err := subjectaccess.Build(found, subjectaccess.Options{Language: *lang, RequestedOn: reqOn, Catalog: c.Records.Catalog()})
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if *format == "pdf" {
			err = subjectaccess.WritePDF(&buf, doc)
		} else {
			err = subjectaccess.WriteJSON(&buf, doc)
		}
		if err != nil {
			return err
		}
		if found.Withheld > 0 {
			fmt.Fprintf(e.stderr, "keneshctl person: %d more matching records belong to other councils; those councils answer for them\n", found.Withheld)
		}
		if *out == "" {
			_, err := e.stdout.Write(buf.Bytes())
			return err
		}
		if err := writeNew(*out, buf.Bytes()); err != nil {
			return err
		}
		published := 0
		for _, p := range doc.Published {
			if p.Published {
				published++
			}
		}
		return e.print(map[string]any{"file": *out, "format": *format, "language": doc.Language,
			"appeals": len(doc.Appeals), "events": len(doc.Events), "published": published, "withheld": found.Withheld})
	})
}

// personRecords prints the records as they are stored: what scripts read
// since keneshctl's first version.
func personRecords(ctx context.Context, e *env, c *app.Core, query, out string) error {
	data, err := c.Records.Person(ctx, query)
	if err != nil {
		return err
	}
	if out == "" {
		return e.print(data)
	}
	var buf bytes.Buffer
	if err := (&env{stdout: &buf}).print(data); err != nil {
		return err
	}
	if err := writeNew(out, buf.Bytes()); err != nil {
		return err
	}
	return e.print(map[string]any{"file": out, "appeals": len(data.Appeals), "events_as_speaker": len(data.Speaking), "events_as_attendee": len(data.Attending)})
}

// writeNew writes b to a file that must not exist yet, readable only by its
// owner: personal data is never left where others read it, and nothing is
// overwritten. A failed write leaves no file behind.
func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists: choose another file name (nothing is overwritten)", path)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
