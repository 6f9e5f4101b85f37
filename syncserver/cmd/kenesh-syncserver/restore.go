package main

import (
	"context"

	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

func init() {
	register(command{Name: "restore", Summary: "restore a backup into a new data directory: restore --data NEWDIR FILE", Run: runRestore})
}

func runRestore(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "restore")
	data := fs.String("data", "", "a new or empty data directory")
	pos, err := parse(fs, args, 1, "--data NEWDIR FILE")
	if err != nil {
		return err
	}
	if *data == "" {
		return usagef("--data NEWDIR is required")
	}
	if err := admin.RestoreFile(ctx, *data, pos[0], store.Options{}); err != nil {
		return err
	}
	return printJSON(e, map[string]any{"restored": pos[0], "data": *data})
}
