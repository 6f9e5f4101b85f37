package main

import (
	"context"
	"encoding/json"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/jsonin"
)

func init() {
	register(command{Name: "appeal", Summary: "citizens' appeals: appeal {add|edit|move|consult|list|show|history|attach|attachment|detach|delete|restore}", Run: runAppeal})
}

// decodeAppeal reads one appeal from JSON input; exported to the fuzz test.
func decodeAppeal(data []byte) (domain.Appeal, error) {
	var a domain.Appeal
	err := jsonin.Decode("appeal", data, &a)
	return a, err
}

func runAppeal(ctx context.Context, e *env, args []string) error {
	subs := attachCommands(ctx, e, domain.KindAppeal)
	for name, f := range map[string]func([]string) error{
		"add": func(args []string) error {
			if _, err := parse(flags(e, "appeal add"), args, 0, "< appeal.json"); err != nil {
				return err
			}
			data, err := e.readAll()
			if err != nil {
				return err
			}
			a, err := decodeAppeal(data)
			if err != nil {
				return err
			}
			return e.withCore(ctx, func(c *app.Core) error {
				out, err := c.Records.CreateAppeal(ctx, a)
				if err != nil {
					return err
				}
				return e.print(out)
			})
		},
		"edit": func(args []string) error {
			pos, err := parse(flags(e, "appeal edit"), args, 1, "ID < changes.json")
			if err != nil {
				return err
			}
			patch, err := readPatch(e, "appeal changes", &domain.Appeal{})
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindAppeal, pos[0], func(c *app.Core, id string) (any, error) {
				return c.Records.EditAppeal(ctx, id, patch)
			})
		},
		"move": func(args []string) error {
			fs := flags(e, "appeal move")
			note := fs.String("note", "", "why (required to reject)")
			target := fs.String("to", "", "referred: to whom (authority, Ombudsman's office, lawyer)")
			answer := fs.String("answer", "", "answered: what the authority answered (required)")
			var on caldate.Date
			fs.TextVar(&on, "on", caldate.Date{}, "the day it happened (YYYY-MM-DD, default today)")
			pos, err := parse(fs, args, 2, "ID STATUS [--note TEXT] [--to WHOM] [--answer TEXT] [--on DATE]")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindAppeal, pos[0], func(c *app.Core, id string) (any, error) {
				return c.Records.MoveAppeal(ctx, id, domain.Step{To: domain.Status(pos[1]), Note: *note, Target: *target, Answer: *answer, On: on})
			})
		},
		"consult": func(args []string) error {
			fs := flags(e, "appeal consult")
			by := fs.String("by", "", "who gave the consultation (required)")
			summary := fs.String("summary", "", "what advice was given (required)")
			var on caldate.Date
			fs.TextVar(&on, "on", caldate.Date{}, "the day (YYYY-MM-DD, default today)")
			pos, err := parse(fs, args, 1, "ID --by NAME --summary TEXT [--on DATE]")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindAppeal, pos[0], func(c *app.Core, id string) (any, error) {
				return c.Records.AddConsultation(ctx, id, domain.Consultation{On: on, Consultant: *by, Summary: *summary})
			})
		},
		"list": func(args []string) error { return runList(ctx, e, domain.KindAppeal, args) },
		"show": func(args []string) error {
			pos, err := parse(flags(e, "appeal show"), args, 1, "ID|REG-NO")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, domain.KindAppeal, pos[0], func(c *app.Core, id string) (any, error) {
				return c.Records.Appeal(ctx, id)
			})
		},
		"history": func(args []string) error { return runHistory(ctx, e, domain.KindAppeal, args) },
		"delete":  func(args []string) error { return runDelete(ctx, e, domain.KindAppeal, args, true) },
		"restore": func(args []string) error { return runDelete(ctx, e, domain.KindAppeal, args, false) },
	} {
		subs[name] = f
	}
	return subcommand(e, "appeal", args, subs)
}

// resolveAppeal accepts an id or a registration number.
func resolveAppeal(c *app.Core, ref string) (string, error) {
	if _, _, _, _, err := domain.ParseRegNo(ref); err == nil {
		return c.Records.AppealByRegNo(ref)
	}
	return ref, nil
}

// readPatch reads a JSON object of fields to change. It is decoded once into
// an empty record of the right type (shape) so that unknown fields and wrong
// types are reported at their line in what the user typed.
func readPatch(e *env, what string, shape any) (json.RawMessage, error) {
	data, err := e.readAll()
	if err != nil {
		return nil, err
	}
	if err := jsonin.Decode(what, data, shape); err != nil {
		return nil, err
	}
	var patch map[string]json.RawMessage
	if err := jsonin.Decode(what, data, &patch); err != nil {
		return nil, err
	}
	return json.Marshal(patch)
}

func runHistory(ctx context.Context, e *env, kind string, args []string) error {
	pos, err := parse(flags(e, kind+" history"), args, 1, "ID")
	if err != nil {
		return err
	}
	return e.withRecord(ctx, kind, pos[0], func(c *app.Core, id string) (any, error) {
		return c.Records.History(ctx, kind, id)
	})
}

func runDelete(ctx context.Context, e *env, kind string, args []string, del bool) error {
	pos, err := parse(flags(e, kind+" delete"), args, 1, "ID")
	if err != nil {
		return err
	}
	return e.withRecord(ctx, kind, pos[0], func(c *app.Core, id string) (any, error) {
		var err error
		if del {
			err = c.Records.Delete(ctx, kind, id)
		} else {
			err = c.Records.Restore(ctx, kind, id)
		}
		return map[string]any{"kind": kind, "id": id, "deleted": del}, err
	})
}
