package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/shared/domain"
)

func init() {
	register(command{Name: "material", Summary: "trainers' materials: material publish FILE --title T --lang ky|ru|en [--topic T] [--audience A] [--replaces ID] | material list | material get ID --out FILE | material read ID", Run: runMaterial})
}

func runMaterial(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("usage: keneshctl material publish|list|get|read ...")
	}
	switch args[0] {
	case "publish":
		return materialPublish(ctx, e, args[1:])
	case "list":
		if _, err := parse(flags(e, "material list"), args[1:], 0, ""); err != nil {
			return err
		}
		return e.withCore(ctx, func(c *app.Core) error { return materialList(ctx, e, c) })
	case "get":
		fs := flags(e, "material get")
		out := fs.String("out", "", "write the material's file here (required)")
		pos, err := parse(fs, args[1:], 1, "ID --out FILE")
		if err != nil {
			return err
		}
		if *out == "" {
			return usagef("--out FILE is required")
		}
		return e.withCore(ctx, func(c *app.Core) error {
			var m *domain.Material
			r, err := fetched(ctx, e, c, domain.KindMaterial, pos[0], func() (io.Reader, error) {
				var r io.Reader
				var err error
				m, r, err = c.Files.OpenMaterial(ctx, pos[0])
				return r, err
			})
			if err != nil {
				return err
			}
			if err := writeFileAtomic(*out, r, m.File.Size); err != nil {
				return err
			}
			return e.print(map[string]any{"id": m.ID, "title": m.Title, "version": m.Version, "file": *out, "size": m.File.Size, "sha256": m.File.SHA256})
		})
	case "read":
		pos, err := parse(flags(e, "material read"), args[1:], 1, "ID")
		if err != nil {
			return err
		}
		return e.withCore(ctx, func(c *app.Core) error {
			m, err := c.Records.Material(ctx, pos[0])
			if err != nil {
				return err
			}
			if err := c.Records.NoteMaterial(ctx, m.ID, 0, m.Version); err != nil {
				return err
			}
			return e.print(map[string]any{"id": m.ID, "read": m.Version})
		})
	}
	return usagef("usage: keneshctl material publish|list|get|read ...")
}

func materialPublish(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "material publish")
	var in files.MaterialInput
	fs.StringVar(&in.Title, "title", "", "the title, as the catalogue shows it (required for a new material)")
	fs.StringVar(&in.Language, "lang", "", "the material's language: ky, ru or en (required for a new material)")
	fs.StringVar(&in.Topic, "topic", "", "its topic")
	fs.StringVar(&in.Audience, "audience", "", "whom it is for")
	fs.StringVar(&in.Description, "description", "", "what it is")
	fs.StringVar(&in.Notes, "notes", "", "what this version changes")
	fs.StringVar(&in.Replaces, "replaces", "", "the material this is a new version of (its id)")
	pos, err := parse(fs, args, 1, "FILE --title T --lang ky|ru|en [--topic T] [--audience A] [--replaces ID]")
	if err != nil {
		return err
	}
	if in.Replaces == "" && (in.Title == "" || in.Language == "") {
		return usagef("--title and --lang are required for a new material")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	in.File = files.Input{Name: filepath.Base(pos[0])}
	return e.withCore(ctx, func(c *app.Core) error {
		m, err := c.Files.Publish(ctx, in, f)
		if err != nil {
			return err
		}
		return e.print(materialLine(m, true))
	})
}

func materialLine(m *domain.Material, downloaded bool) map[string]any {
	return map[string]any{"id": m.ID, "title": m.Title, "language": m.Language, "topic": m.Topic, "audience": m.Audience,
		"version": m.Version, "published_on": m.PublishedOn, "file": m.File.Name, "size": m.File.Size, "sha256": m.File.SHA256,
		"downloaded": downloaded}
}

func materialList(ctx context.Context, e *env, c *app.Core) error {
	list, err := c.Records.Materials(ctx)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(list))
	for i := range list {
		m := &list[i]
		done, total, err := c.Files.Local(ctx, &m.File)
		if err != nil {
			return fmt.Errorf("material %s: %w", m.ID, err)
		}
		line := materialLine(m, done == total)
		cp, err := c.Records.MaterialCopy(ctx, m.ID)
		if err != nil {
			return err
		}
		line["read"] = cp.Read >= m.Version
		out = append(out, line)
	}
	return e.print(out)
}
