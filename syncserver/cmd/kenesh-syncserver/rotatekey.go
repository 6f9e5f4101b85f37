package main

import (
	"context"
	"errors"

	"github.com/kenesh/kenesh/syncserver/internal/server"
	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
)

func init() {
	register(command{Name: "rotate-key", Summary: "give a stopped server's data a new key: rotate-key --data DIR [--key-file F]", Run: runRotateKey})
}

// runRotateKey re-keys a stopped server's store: a new key replaces the
// key file, the old one is kept beside it (KEY.old-DATE) for backups made
// to it.
func runRotateKey(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "rotate-key")
	data := fs.String("data", e.getenv("KENESH_SERVER_DATA"), "the server's data directory (default $KENESH_SERVER_DATA); the server must be stopped")
	keyFile := keyFlag(fs)
	pg := fs.String("postgres", "", "(refused: a PostgreSQL deployment's key is in its database)")
	_, err := parse(fs, args, 0, "--data DIR [--key-file FILE]")
	if *pg != "" {
		return ErrRotatePostgres
	}
	if err != nil {
		return err
	}
	if *data == "" {
		return usagef("--data DIR is required")
	}
	loc, err := serverkey.Locate(*data, *keyFile, e.getenv)
	if err != nil {
		return err
	}
	// Open and close the store first: it must not be in use, and an
	// interrupted encryption or rotation is finished before this one.
	st, _, err := server.OpenStore(ctx, *data, loc, storeOptions())
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	old, err := server.RotateKey(*data, loc)
	if err != nil {
		return err
	}
	return printJSON(e, map[string]any{"key_file": loc.Path, "old_key_file": old,
		"note": "the old key opens backups made to the server's own recipient before now: move it offline, or delete it once no backup needs it"})
}

// ErrRotatePostgres is rotate-key asked of a PostgreSQL deployment.
var ErrRotatePostgres = errors.New("rotate-key re-encrypts an embedded store under a new key file (--data); a PostgreSQL deployment keeps no key file: its data key, which seals the files, is in the database, and rotating it is not supported; guard the database's access, its dumps and the files directory instead")
