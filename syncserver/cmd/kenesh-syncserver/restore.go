package main

import (
	"context"
	"errors"
	"os"

	"filippo.io/age"

	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/server"
	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

func init() {
	register(command{Name: "restore", Summary: "restore a backup into a new data directory: restore --data NEWDIR [--key-file F] [--identity F] FILE", Run: runRestore})
}

// runRestore restores a backup into a new data directory, encrypted with
// the key at --key-file (made if there is none). The backup is opened with
// that key (the server's own backups), an age identity file (--identity,
// for backups made to a recipient) or $KENESH_BACKUP_PASSPHRASE.
func runRestore(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "restore")
	data := fs.String("data", "", "a new or empty data directory")
	keyFile := keyFlag(fs)
	identity := fs.String("identity", "", "an age identity file (as age-keygen writes) for a backup made to its recipient")
	pg := fs.String("postgres", "", "(refused: a PostgreSQL database is restored with pg_restore)")
	pos, err := parse(fs, args, 1, "--data NEWDIR [--key-file FILE] [--identity FILE] FILE")
	if *pg != "" {
		return ErrRestorePostgres
	}
	if err != nil {
		return err
	}
	if *data == "" {
		return usagef("--data NEWDIR is required")
	}
	loc, err := serverkey.Locate(*data, *keyFile, e.getenv)
	if err != nil {
		return err
	}
	var ids []age.Identity
	if *identity != "" {
		f, err := os.Open(*identity)
		if err != nil {
			return err
		}
		more, err := age.ParseIdentities(f)
		f.Close()
		if err != nil {
			return err
		}
		ids = append(ids, more...)
	}
	if p := e.getenv(envBackupPassphrase); p != "" {
		id, err := age.NewScryptIdentity(p)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	key, err := serverkey.Load(loc.Path)
	switch {
	case err == nil:
		id, err := serverkey.BackupIdentity(key)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	case errors.Is(err, serverkey.ErrMissing) && len(ids) > 0:
		// A backup made to a recipient or a passphrase goes into a store
		// with a new key.
		if key, err = server.DataKey(*data, loc, nil); err != nil {
			return err
		}
	case errors.Is(err, serverkey.ErrMissing):
		return errors.Join(err, admin.ErrNoIdentity)
	default:
		return err
	}
	if err := admin.RestoreFile(ctx, *data, pos[0], ids, badgerstore.Options{Key: key}); err != nil {
		return err
	}
	return printJSON(e, map[string]any{"restored": pos[0], "data": *data, "key_file": loc.Path})
}

// ErrRestorePostgres is restore asked to write a PostgreSQL database.
var ErrRestorePostgres = errors.New("restore writes an embedded store's backup into a new data directory (--data); a PostgreSQL deployment is restored with PostgreSQL's own tools: pg_restore -d NEWDB kenesh.dump (a pg_dump -Fc copy), or from pg_basebackup and its WAL archive to a point in time; then point --postgres at it (README, the PostgreSQL section)")
