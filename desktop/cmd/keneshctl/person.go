package main

import (
	"context"
	"os"

	"github.com/kenesh/kenesh/desktop/internal/app"
)

func init() {
	register(command{Name: "person", Summary: "everything held about one person (a subject access request): person QUERY [--out FILE]", Run: runPerson})
}

func runPerson(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "person")
	out := fs.String("out", "", "write the export to this file (readable only by you) instead of stdout")
	pos, err := parse(fs, args, 1, "NAME|PHONE|E-MAIL|PIN [--out FILE]")
	if err != nil {
		return err
	}
	return e.withCore(ctx, func(c *app.Core) error {
		data, err := c.Records.Person(ctx, pos[0])
		if err != nil {
			return err
		}
		if *out == "" {
			return e.print(data)
		}
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		w := &env{stdout: f}
		if err := w.print(data); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		return e.print(map[string]any{"file": *out, "appeals": len(data.Appeals), "events_as_speaker": len(data.Speaking)})
	})
}
