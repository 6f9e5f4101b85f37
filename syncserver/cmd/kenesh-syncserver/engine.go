package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/kenesh/kenesh/internal/cli"
	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/blobstore"
	"github.com/kenesh/kenesh/syncserver/internal/files"
	"github.com/kenesh/kenesh/syncserver/internal/ingest"
	"github.com/kenesh/kenesh/syncserver/internal/server"
	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
	"github.com/kenesh/kenesh/syncserver/internal/store/pgstore"
)

// envPostgres holds the PostgreSQL URL when --postgres is not given (a URL
// with a password is better kept out of the process list; PGPASSWORD and
// ~/.pgpass work too).
const envPostgres = "KENESH_SERVER_POSTGRES"

// envConfig names the configuration file when --config is not given.
const envConfig = "KENESH_SERVER_CONFIG"

// where is the store a command works on: the embedded store's directory
// (--data) or a PostgreSQL database (--postgres), one of the two; and the
// configuration file the command's other flags may come from.
type where struct {
	data, postgres, keyFile, config *string
	// files is the files' directory (serve's --files), for the commands
	// that add it (admin); nil for the others.
	files *string
	fs    *flag.FlagSet
	// strictConfig: a setting of the file that is none of the command's
	// flags is an error (serve, whose flags are every setting), not one
	// left for another command.
	strictConfig bool
}

// storeFlags adds --data, --postgres, --key-file and --config to fs.
func storeFlags(e *env, fs *flag.FlagSet) *where {
	return &where{
		data:     fs.String("data", e.getenv("KENESH_SERVER_DATA"), "the embedded store's data directory (default $KENESH_SERVER_DATA)"),
		postgres: fs.String("postgres", e.getenv(envPostgres), "a PostgreSQL database instead of --data: postgres://USER@HOST/DB?sslmode=verify-full (default $"+envPostgres+"; the password from $PGPASSWORD or ~/.pgpass)"),
		keyFile:  keyFlag(fs),
		config: fs.String("config", e.getenv(envConfig), "a configuration file (TOML) of settings named as these flags, e.g. /etc/kenesh/syncserver.conf; "+
			"a flag on the command line wins over it (default $"+envConfig+")"),
		fs: fs,
	}
}

// check applies the configuration file to the flags the command line did
// not set, then says what is wrong with the flags, or nothing; usage is
// the command's usage, shown with the error.
func (w *where) check(usage string) error {
	if *w.config != "" {
		c, err := cli.LoadConfig(*w.config)
		if err != nil {
			return err
		}
		if err := c.Apply(w.fs, w.strictConfig); err != nil {
			return err
		}
	}
	switch {
	case *w.data == "" && *w.postgres == "":
		return usagef("--data DIR or --postgres URL is required\n%s", usage)
	case *w.data != "" && *w.postgres != "":
		// $KENESH_SERVER_DATA set in the environment and --postgres on
		// the command line is the likely case: say which is which.
		return usagef("--data %s and --postgres both given: one store at a time (unset $KENESH_SERVER_DATA for PostgreSQL)\n%s", *w.data, usage)
	case *w.postgres != "" && *w.keyFile != "":
		return usagef("--key-file is the embedded store's: a PostgreSQL deployment keeps its data key in its database\n%s", usage)
	}
	return nil
}

// withService runs fn against the server's store: for the embedded store,
// through the running server's control socket, or on the store opened
// here when none runs; for PostgreSQL, on the database itself (its server
// processes keep nothing that administration must go through).
func withService(ctx context.Context, e *env, w *where, fn func(admin.Service) error) error {
	if *w.postgres != "" {
		st, key, err := server.OpenPostgres(ctx, *w.postgres, pgstore.Options{MaxConns: 2})
		if err != nil {
			return err
		}
		defer st.Close()
		return withLocal(ctx, st, key, w.filesDir(""), fn)
	}
	loc, err := serverkey.Locate(*w.data, *w.keyFile, e.getenv)
	if err != nil {
		return err
	}
	dataDir := *w.data
	c, err := admin.Dial(ctx, dataDir)
	if err == nil {
		defer c.Close()
		return fn(c)
	}
	if !errors.Is(err, admin.ErrNoServer) {
		return err
	}
	st, key, err := server.OpenStore(ctx, dataDir, loc, storeOptions())
	if errors.Is(err, badgerstore.ErrLocked) {
		return fmt.Errorf("%w, but its control socket %s does not answer: is the server starting or stopping? try again", err, admin.SocketPath(dataDir))
	}
	if err != nil {
		return err
	}
	defer st.Close()
	return withLocal(ctx, st, key, w.filesDir(dataDir), fn)
}

// filesDir is where the files' chunks are, for a command on the store:
// as given, else DATA/files beside an embedded store (serve's default),
// else none.
func (w *where) filesDir(dataDir string) string {
	if w.files != nil && *w.files != "" {
		return *w.files
	}
	if dataDir != "" {
		return filepath.Join(dataDir, "files")
	}
	return ""
}

// withLocal runs fn on a store opened by this command.
func withLocal(ctx context.Context, st store.Store, key []byte, filesDir string, fn func(admin.Service) error) error {
	ing, err := ingest.Open(ctx, st, ingest.Options{})
	if err != nil {
		return err
	}
	a := auth.New(st, nil)
	a.Reserve(ing.ServerDevice())
	loc := &admin.Local{Store: st, Ingest: ing, Auth: a, Key: key}
	if filesDir != "" {
		// With the quotas' defaults: only what a sweep releases is done
		// here, and what the usage shows beside each council.
		blobs, err := blobstore.OpenDir(filesDir, blobstore.DirOptions{})
		if err != nil {
			return err
		}
		defer blobs.Close()
		if loc.Files, err = files.New(files.Config{Store: st, Blobs: blobs, Key: key}); err != nil {
			return err
		}
	}
	return fn(loc)
}

// storeOptions open the store for a command that runs beside no server:
// small caches, it is a short job.
func storeOptions() badgerstore.Options { return badgerstore.Options{Small: true} }
