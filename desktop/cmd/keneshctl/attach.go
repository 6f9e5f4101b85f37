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

// attachCommands are the file subcommands of "appeal" and "event":
//
//	attach ID FILE [--caption T] [--mime M]   store FILE and attach it
//	attachment ID ATTACHMENT [--out FILE]      write an attachment's content (stdout by default)
//	detach ID ATTACHMENT                       remove an attachment from the record
func attachCommands(ctx context.Context, e *env, kind string) map[string]func([]string) error {
	return map[string]func([]string) error{
		"attach": func(args []string) error {
			fs := flags(e, kind+" attach")
			caption := fs.String("caption", "", "what the file shows")
			mimeType := fs.String("mime", "", "content type (detected if empty)")
			name := fs.String("name", "", "file name to record (default: the file's own; required when FILE is -)")
			pos, err := parse(fs, args, 2, "ID FILE|- [--caption TEXT]")
			if err != nil {
				return err
			}
			var r io.Reader = e.stdin
			fileName := *name
			if pos[1] != "-" {
				f, err := os.Open(pos[1])
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
				if fileName == "" {
					fileName = filepath.Base(pos[1])
				}
			}
			if fileName == "" {
				return usagef("--name is required when the file comes from stdin")
			}
			return e.withRecord(ctx, kind, pos[0], func(c *app.Core, id string) (any, error) {
				return c.Files.Attach(ctx, kind, id, files.Input{Name: fileName, MIME: *mimeType, Caption: *caption}, r)
			})
		},
		"attachment": func(args []string) error {
			fs := flags(e, kind+" attachment")
			out := fs.String("out", "", "write to this file instead of stdout")
			pos, err := parse(fs, args, 2, "ID ATTACHMENT-ID|NAME [--out FILE]")
			if err != nil {
				return err
			}
			return e.withCore(ctx, func(c *app.Core) error {
				id := pos[0]
				if kind == domain.KindAppeal {
					if id, err = resolveAppeal(c, id); err != nil {
						return err
					}
				}
				var att *domain.Attachment
				r, err := fetched(ctx, e, c, kind, id, func() (io.Reader, error) {
					var r io.Reader
					var err error
					att, r, err = c.Files.Open(ctx, kind, id, pos[1])
					return r, err
				})
				if err != nil {
					return err
				}
				if *out == "" {
					_, err = io.Copy(e.stdout, r)
					return err
				}
				return writeFileAtomic(*out, r, att.Size)
			})
		},
		"detach": func(args []string) error {
			pos, err := parse(flags(e, kind+" detach"), args, 2, "ID ATTACHMENT-ID|NAME")
			if err != nil {
				return err
			}
			return e.withRecord(ctx, kind, pos[0], func(c *app.Core, id string) (any, error) {
				return map[string]any{"kind": kind, "id": id, "detached": pos[1]}, c.Files.Detach(ctx, kind, id, pos[1])
			})
		},
	}
}

// writeFileAtomic writes r to path through a temporary file, so a damaged
// attachment never leaves a half file under the real name.
func writeFileAtomic(path string, r io.Reader, size int64) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.part")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, r)
	if err == nil && n != size {
		err = fmt.Errorf("wrote %d bytes, the attachment has %d", n, size)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
