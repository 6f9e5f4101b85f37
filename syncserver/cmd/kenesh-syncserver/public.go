package main

import (
	"context"
	"fmt"
	"io"

	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/public"
)

func init() {
	register(command{Name: "public", Summary: "the public register as static files: public export {--data DIR | --postgres URL} --out DIR2 [--base /path/] [--server https://...]", Run: runPublic})
}

const publicUsage = "usage: kenesh-syncserver public export {--data DIR | --postgres URL} --out DIR2 [--base /path/] [--server https://ADDRESS] [--licence TEXT]"

// runPublic writes the register as a static site, for hosting anywhere:
// from the running server through its control socket, or from the store
// when none runs, as admin does.
func runPublic(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		return usagef("%s", publicUsage)
	}
	fs := flags(e, "public export")
	w := storeFlags(e, fs)
	out := fs.String("out", "", "a new or empty directory for the site (required)")
	var o public.ExportOptions
	fs.StringVar(&o.Base, "base", "/", "the path the site is served under, e.g. /register/")
	fs.StringVar(&o.Server, "server", "", "the sync server's public address (https://...): the pages link to its form and tracking; default: no form")
	fs.StringVar(&o.Licence, "licence", "", "licence of the open data (default "+public.DefaultLicence+")")
	if _, err := parse(fs, args[1:], 0, "{--data DIR | --postgres URL} --out DIR2 [--base /path/] [--server https://ADDRESS]"); err != nil {
		return err
	}
	if err := w.check(publicUsage); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out DIR2 is required\n%s", publicUsage)
	}
	return withService(ctx, e, w, func(svc admin.Service) error {
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			err := public.Untar(pr, *out)
			pr.CloseWithError(err) // a refused directory stops the export, too
			done <- err
		}()
		err := svc.PublicExport(ctx, pw, o)
		pw.CloseWithError(err)
		if uerr := <-done; err == nil {
			err = uerr
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "the public register is in %s\n", *out)
		return nil
	})
}
