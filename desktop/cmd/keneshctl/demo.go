package main

import (
	"context"
	"fmt"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/demo"
)

func init() {
	register(command{Name: "demo", Summary: "fill the store with realistic demo records: demo --appeals N --events M", Run: runDemo})
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "demo")
	appeals := fs.Int("appeals", 200, "how many appeals to make")
	events := fs.Int("events", 50, "how many events to make")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "random seed (the same seed makes the same kind of data)")
	quiet := fs.Bool("q", false, "no progress on stderr")
	if _, err := parse(fs, args, 0, "[--appeals N] [--events M] [--seed S]"); err != nil {
		return err
	}
	if *appeals < 0 || *events < 0 {
		return usagef("--appeals and --events cannot be negative")
	}
	return e.withCore(ctx, func(c *app.Core) error {
		start := time.Now()
		last := start
		res, err := demo.Generate(ctx, c.Records, demo.Options{Appeals: *appeals, Events: *events, Seed: *seed,
			Progress: func(a, ev int) {
				if !*quiet && time.Since(last) > 2*time.Second {
					last = time.Now()
					fmt.Fprintf(e.stderr, "demo: %d/%d appeals, %d/%d events\n", a, *appeals, ev, *events)
				}
			}})
		if err != nil {
			return err
		}
		return e.print(map[string]any{"made": res, "seconds": time.Since(start).Seconds()})
	})
}
