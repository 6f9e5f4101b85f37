package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kenesh/kenesh/syncserver/internal/server"
	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
	"github.com/kenesh/kenesh/syncserver/internal/store/pgstore"
	"github.com/kenesh/kenesh/syncserver/internal/store/storecmp"
)

func init() {
	register(command{Name: "migrate", Summary: "move an embedded deployment to PostgreSQL, checked: migrate --from-data DIR --to-postgres URL [--key-file F]", Run: runMigrate})
}

const migrateUsage = "usage: kenesh-syncserver migrate --from-data DIR --to-postgres URL [--key-file FILE]"

// runMigrate moves everything an embedded store holds into an empty
// PostgreSQL database in one transaction, then reads both through the
// storage contract and compares them (every operation, device,
// acknowledgement, refusal, record state, conflict, the projection and the
// account of files): it says the move is done only when they are the
// same. The embedded store is only read; its server must be stopped.
func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "migrate")
	from := fs.String("from-data", "", "the embedded store's data directory (its server stopped)")
	to := fs.String("to-postgres", e.getenv(envPostgres), "the PostgreSQL database to move it to, new and empty (default $"+envPostgres+")")
	keyFile := keyFlag(fs)
	if _, err := parse(fs, args, 0, "--from-data DIR --to-postgres URL [--key-file FILE]"); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return usagef("--from-data DIR and --to-postgres URL are required\n%s", migrateUsage)
	}
	if _, err := os.Stat(filepath.Join(*from, badgerstore.DataDir)); err != nil {
		return fmt.Errorf("--from-data %s holds no embedded store (%v)", *from, err)
	}
	loc, err := serverkey.Locate(*from, *keyFile, e.getenv)
	if err != nil {
		return err
	}
	src, key, err := server.OpenStore(ctx, *from, loc, storeOptions())
	if errors.Is(err, badgerstore.ErrLocked) {
		return fmt.Errorf("%w: stop the server on %s first; migrate reads a store nothing writes", err, *from)
	}
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := pgstore.Open(ctx, *to, pgstore.Options{MaxConns: 4})
	if err != nil {
		return err
	}
	defer dst.Close()
	n, err := dst.Import(ctx, src, key)
	if err != nil {
		return fmt.Errorf("migrate: %w (nothing was written to PostgreSQL; the embedded store is unchanged)", err)
	}
	checked, err := storecmp.Compare(ctx, src, dst)
	if err != nil {
		return fmt.Errorf("migrate: the import committed, but the check failed: %w\nDo not serve from PostgreSQL: drop its database (or its tables) and report this; the embedded store is unchanged", err)
	}
	files := filepath.Join(*from, "files")
	return printJSON(e, map[string]any{
		"imported": n,
		"checked":  checked,
		"next": fmt.Sprintf("serve --postgres URL --files DIR, with DIR the files of the old deployment (%s, or where --files pointed), "+
			"on a mount every server process reaches; keep %s until the new deployment has served a while", files, *from),
	})
}
