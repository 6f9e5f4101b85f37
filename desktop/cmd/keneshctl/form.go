package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/jsonin"
	"github.com/kenesh/kenesh/shared/xlsform"
)

func init() {
	register(command{Name: "form", Summary: "questionnaires from XLSForm: form publish FILE.xlsx (central staff) | form list | form show FORM-ID [--version V]", Run: runForm})
	register(command{Name: "response", Summary: "questionnaire responses: response add FORM-ID [--version V] [--council C] [--filled-on DATE] [--event ID] < answers.json | response list FORM-ID | response export FORM-ID --out FILE [--format xlsx|csv] [--version V] [--lang L] [--labels]", Run: runResponse})
}

func runForm(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("usage: keneshctl form publish|list|show ...")
	}
	switch args[0] {
	case "publish":
		pos, err := parse(flags(e, "form publish"), args[1:], 1, "FILE.xlsx")
		if err != nil {
			return err
		}
		data, err := os.ReadFile(pos[0])
		if err != nil {
			return err
		}
		f, err := xlsform.Read(data)
		if err != nil {
			return fmt.Errorf("%s: %w", pos[0], err)
		}
		return e.withCore(ctx, func(c *app.Core) error {
			q, err := c.Records.PublishQuestionnaire(ctx, f, filepath.Base(pos[0]))
			if err != nil {
				return err
			}
			return e.print(formLine(q, f))
		})
	case "list":
		if _, err := parse(flags(e, "form list"), args[1:], 0, ""); err != nil {
			return err
		}
		return e.withCore(ctx, func(c *app.Core) error {
			list, err := c.Records.Questionnaires(ctx)
			if err != nil {
				return err
			}
			out := make([]map[string]any, 0, len(list))
			for i := range list {
				_, f, err := c.Records.Questionnaire(ctx, list[i].FormID, list[i].Version)
				if err != nil {
					return err
				}
				out = append(out, formLine(&list[i], f))
			}
			return e.print(out)
		})
	case "show":
		fs := flags(e, "form show")
		version := fs.String("version", "", "the version (default: the newest here)")
		pos, err := parse(fs, args[1:], 1, "FORM-ID [--version V]")
		if err != nil {
			return err
		}
		return e.withCore(ctx, func(c *app.Core) error {
			q, f, err := c.Records.Questionnaire(ctx, pos[0], *version)
			if err != nil {
				return err
			}
			line := formLine(q, f)
			line["definition"] = f
			return e.print(line)
		})
	}
	return usagef("usage: keneshctl form publish|list|show ...")
}

func formLine(q *domain.Questionnaire, f *xlsform.Form) map[string]any {
	return map[string]any{"id": q.ID, "form_id": q.FormID, "version": q.Version, "title": q.Title,
		"published_on": q.PublishedOn, "source": q.Source, "questions": len(f.Fields())}
}

func runResponse(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("usage: keneshctl response add|list|export FORM-ID")
	}
	switch args[0] {
	case "add":
		fs := flags(e, "response add")
		version := fs.String("version", "", "the form's version (default: the newest here)")
		council := fs.String("council", "", "the council (default: this laptop's)")
		filledOn := fs.String("filled-on", "", "the day it was filled, YYYY-MM-DD (default: today)")
		event := fs.String("event", "", "the event (a training) it belongs to, by id")
		pos, err := parse(fs, args[1:], 1, "FORM-ID < answers.json")
		if err != nil {
			return err
		}
		r := domain.Response{FormID: pos[0], Version: *version, Council: *council, Event: *event}
		if *filledOn != "" {
			if r.FilledOn, err = caldate.Parse(*filledOn); err != nil {
				return usagef("--filled-on %q is not a date written YYYY-MM-DD", *filledOn)
			}
		}
		data, err := e.readAll()
		if err != nil {
			return err
		}
		var answers map[string]json.RawMessage
		if err := jsonin.Decode("answers", data, &answers); err != nil {
			return err
		}
		names := make([]string, 0, len(answers))
		for n := range answers {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			r.Answers = append(r.Answers, domain.Answer{ID: n, Value: answers[n]})
		}
		return e.withCore(ctx, func(c *app.Core) error {
			out, err := c.Records.SaveResponse(ctx, r)
			if err != nil {
				return err
			}
			return e.print(responseLine(out))
		})
	case "export":
		fs := flags(e, "response export")
		o := export.ResponsesOptions{}
		fs.StringVar(&o.Format, "format", "xlsx", "xlsx or csv")
		out := fs.String("out", "", "the new file to write (required; never overwritten)")
		fs.StringVar(&o.Version, "version", "", "only the responses to this version (default: every version)")
		fs.StringVar(&o.Language, "lang", "", "the language of labels: ky, ru or en (default ky)")
		fs.BoolVar(&o.Labels, "labels", false, "heads and choices as labels rather than names")
		pos, err := parse(fs, args[1:], 1, "FORM-ID --out FILE [--format xlsx|csv] [--version V] [--lang L] [--labels]")
		if err != nil {
			return err
		}
		if *out == "" {
			return usagef("--out FILE is required")
		}
		o.FormID = pos[0]
		return e.withCore(ctx, func(c *app.Core) error {
			res, x, err := export.ResponsesToFile(ctx, c.Records, *out, o)
			if err != nil {
				return err
			}
			return e.print(map[string]any{"file": *out, "format": o.Format, "responses": res.Records, "export": x.ID})
		})
	case "list":
		pos, err := parse(flags(e, "response list"), args[1:], 1, "FORM-ID")
		if err != nil {
			return err
		}
		return e.withCore(ctx, func(c *app.Core) error {
			list, err := c.Records.Responses(ctx, pos[0])
			if err != nil {
				return err
			}
			out := make([]map[string]any, 0, len(list))
			for i := range list {
				out = append(out, responseLine(&list[i]))
			}
			return e.print(out)
		})
	}
	return usagef("usage: keneshctl response add|list|export FORM-ID")
}

// responseLine is a response as scripts read it: its answers as one
// object by question name, as they were given.
func responseLine(r *domain.Response) map[string]any {
	line := map[string]any{"id": r.ID, "form_id": r.FormID, "version": r.Version, "council": r.Council,
		"filled_on": r.FilledOn, "answers": r.AnswerMap()}
	if r.Event != "" {
		line["event"] = r.Event
	}
	if r.Meta != nil {
		line["created_by"] = r.Meta.CreatedBy
	}
	return line
}
