package main

import (
	"context"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/shared/domain"
)

func init() {
	register(command{Name: "council", Summary: "councils of this installation: council {add|list|home}", Run: runCouncil})
}

func runCouncil(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "council", args, map[string]func([]string) error{
		"add": func(args []string) error {
			fs := flags(e, "council add")
			code := fs.String("code", "", "council code, e.g. NRN-ATB")
			name := fs.String("name", "", "council name")
			oblast := fs.String("oblast", "", "oblast or city (ISO 3166-2:KG code, e.g. KG-N)")
			district := fs.String("district", "", "district code (optional)")
			if _, err := parse(fs, args, 0, "--code CODE --name NAME --oblast KG-X [--district CODE]"); err != nil {
				return err
			}
			return e.withCore(ctx, func(c *app.Core) error {
				out, err := c.Records.AddCouncil(ctx, domain.Council{Code: *code, Name: *name, Oblast: *oblast, District: *district})
				if err != nil {
					return err
				}
				return e.print(out)
			})
		},
		"list": func(args []string) error {
			if _, err := parse(flags(e, "council list"), args, 0, ""); err != nil {
				return err
			}
			return e.withCore(ctx, func(c *app.Core) error {
				out, err := c.Records.Councils(ctx)
				if err != nil {
					return err
				}
				return e.print(out)
			})
		},
		"home": func(args []string) error {
			pos, err := parse(flags(e, "council home"), args, 1, "CODE")
			if err != nil {
				return err
			}
			return e.withCore(ctx, func(c *app.Core) error {
				if err := c.Records.SetHomeCouncil(ctx, pos[0]); err != nil {
					return err
				}
				return e.print(map[string]string{"home_council": pos[0]})
			})
		},
	})
}
