package main

import (
	"context"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/jsonin"
)

func init() {
	register(command{Name: "event", Summary: "hearings and other events: event {add|edit|list|show|history|attach|attachment|detach|delete|restore}", Run: runEvent})
}

func decodeEvent(data []byte) (domain.Event, error) {
	var ev domain.Event
	err := jsonin.Decode("event", data, &ev)
	return ev, err
}

func runEvent(ctx context.Context, e *env, args []string) error {
	subs := attachCommands(ctx, e, domain.KindEvent)
	for name, f := range map[string]func([]string) error{
		"add": func(args []string) error {
			if _, err := parse(flags(e, "event add"), args, 0, "< event.json"); err != nil {
				return err
			}
			data, err := e.readAll()
			if err != nil {
				return err
			}
			ev, err := decodeEvent(data)
			if err != nil {
				return err
			}
			return e.withCore(ctx, func(c *app.Core) error {
				out, err := c.Records.CreateEvent(ctx, ev)
				if err != nil {
					return err
				}
				return e.print(out)
			})
		},
		"edit": func(args []string) error {
			pos, err := parse(flags(e, "event edit"), args, 1, "ID < changes.json")
			if err != nil {
				return err
			}
			patch, err := readPatch(e, "event changes", &domain.Event{})
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindEvent, pos[0], func(c *app.Core, id string) (any, error) {
				return c.Records.EditEvent(ctx, id, patch)
			})
		},
		"list": func(args []string) error { return runList(ctx, e, domain.KindEvent, args) },
		"show": func(args []string) error {
			pos, err := parse(flags(e, "event show"), args, 1, "ID")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindEvent, pos[0], func(c *app.Core, id string) (any, error) {
				return c.Records.Event(ctx, id)
			})
		},
		"history": func(args []string) error { return runHistory(ctx, e, domain.KindEvent, args) },
		"delete":  func(args []string) error { return runDelete(ctx, e, domain.KindEvent, args, true) },
		"restore": func(args []string) error { return runDelete(ctx, e, domain.KindEvent, args, false) },
	} {
		subs[name] = f
	}
	return subcommand(e, "event", args, subs)
}
