package main

import (
	"github.com/kenesh/kenesh/internal/cli"

	"context"

	"github.com/kenesh/kenesh/desktop/internal/app"
)

func init() {
	register(command{Name: "stats", Summary: "counts by status, category, oblast and council: stats [appeal|event] [filters]", Run: runStats})
}

func runStats(ctx context.Context, e *env, args []string) error {
	kind := "appeal"
	if len(args) > 0 && (args[0] == "appeal" || args[0] == "event") {
		kind, args = args[0], args[1:]
	}
	fs := flags(e, "stats "+kind)
	l := addListFlags(fs, kind)
	if _, err := parse(fs, args, 0, "[appeal|event] [filters]"); err != nil {
		return err
	}
	return e.withCore(ctx, func(c *app.Core) error {
		st, err := c.Records.Stats(l.filter(kind))
		if err != nil {
			return cli.UsageError{Msg: err.Error()}
		}
		return e.print(st)
	})
}
