package main

import (
	"context"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/backup"
)

func init() {
	register(command{Name: "backup", Summary: "write an encrypted backup of the store to FILE", Run: runBackup})
	register(command{Name: "restore", Summary: "restore a backup FILE into an empty --data directory (same passphrase)", Run: runRestore})
	register(command{Name: "passwd", Summary: "change the passphrase (the database is not rewritten)", Run: runPasswd})
}

func runBackup(ctx context.Context, e *env, args []string) error {
	pos, err := parse(flags(e, "backup"), args, 1, "FILE")
	if err != nil {
		return err
	}
	pass, err := e.passphrase("Passphrase: ")
	if err != nil {
		return err
	}
	core, err := app.Open(ctx, e.data, pass, e.options())
	if err != nil {
		return err
	}
	defer core.Close()
	h, err := backup.Write(ctx, core, pass, pos[0])
	if err != nil {
		return err
	}
	return e.print(map[string]any{"file": pos[0], "backup": h})
}

func runRestore(ctx context.Context, e *env, args []string) error {
	pos, err := parse(flags(e, "restore"), args, 1, "FILE")
	if err != nil {
		return err
	}
	pass, err := e.passphrase("Passphrase of the backup: ")
	if err != nil {
		return err
	}
	core, h, err := backup.Restore(ctx, pos[0], e.data, pass, e.options())
	if err != nil {
		return err
	}
	defer core.Close()
	appeals, _ := core.Records.Count(listAll("appeal"))
	events, _ := core.Records.Count(listAll("event"))
	return e.print(map[string]any{"data": e.data, "backup": h, "appeals": appeals, "events": events})
}

func runPasswd(ctx context.Context, e *env, args []string) error {
	if _, err := parse(flags(e, "passwd"), args, 0, ""); err != nil {
		return err
	}
	old, err := e.passphrase("Current passphrase: ")
	if err != nil {
		return err
	}
	next, err := e.newPassphrase(e.cfg.newPassphrase, "KENESH_NEW_PASSPHRASE")
	if err != nil {
		return err
	}
	if err := app.ChangePassphrase(e.data, old, next, keyParams(e)); err != nil {
		return err
	}
	return e.print(map[string]any{"data": e.data, "passphrase_changed": true})
}
