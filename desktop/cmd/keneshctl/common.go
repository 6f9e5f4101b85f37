package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/internal/cli"
	"github.com/kenesh/kenesh/shared/domain"
)

// open unlocks the data directory.
func (e *env) open(ctx context.Context) (*app.Core, error) {
	pass, err := e.passphrase("Passphrase: ")
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, e.data, pass, e.options())
}

// withCore opens the store, runs fn and closes the store.
func (e *env) withCore(ctx context.Context, fn func(*app.Core) error) error {
	core, err := e.open(ctx)
	if err != nil {
		return err
	}
	ferr := fn(core)
	if cerr := core.Close(); ferr == nil {
		ferr = cerr
	}
	return ferr
}

func (e *env) print(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func (e *env) readAll() ([]byte, error) { return io.ReadAll(io.LimitReader(e.stdin, 8<<20)) }

func flags(e *env, name string) *flag.FlagSet { return cli.Flags("keneshctl", name, e.stderr) }

// parse parses flags, which may follow the positional arguments ("appeal
// move ID STATUS --note x"), and requires exactly nargs of those.
func parse(fs *flag.FlagSet, args []string, nargs int, names string) ([]string, error) {
	return cli.Parse(fs, args, nargs, names)
}

func listAll(kind string) records.Filter { return records.Filter{Kind: kind} }

// keyParams are the Argon2id costs for a new key file. KENESH_KDF=test picks
// cheap ones so that test suites can create many stores; never use it for
// real data.
func keyParams(e *env) keyfile.Params {
	if e.cfg.cheapKDF {
		return keyfile.TestParams
	}
	return keyfile.DefaultParams
}

func (e *env) options() app.Options { return app.Options{Logger: e.log, KDF: keyParams(e)} }

// withRecord opens the store, resolves ref (an id, or for appeals a
// registration number), runs fn and prints what it returns.
func (e *env) withRecord(ctx context.Context, kind, ref string, fn func(c *app.Core, id string) (any, error)) error {
	return e.withCore(ctx, func(c *app.Core) error {
		id := ref
		if kind == domain.KindAppeal {
			var err error
			if id, err = resolveAppeal(c, ref); err != nil {
				return err
			}
		}
		out, err := fn(c, id)
		if err != nil {
			return err
		}
		return e.print(out)
	})
}
