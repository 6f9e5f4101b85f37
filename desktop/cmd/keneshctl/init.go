package main

import (
	"context"

	"github.com/kenesh/kenesh/desktop/internal/app"
)

func init() {
	register(command{Name: "init", Summary: "create an encrypted store: init --device-name NAME", Run: runInit})
}

func runInit(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "init")
	name := fs.String("device-name", "", "a name for this laptop, shown in record histories (required)")
	if _, err := parse(fs, args, 0, "--device-name NAME"); err != nil {
		return err
	}
	if *name == "" {
		return usagef("--device-name is required, for example --device-name \"Naryn council laptop\"")
	}
	pass, err := e.newPassphrase(e.cfg.passphrase, "KENESH_PASSPHRASE")
	if err != nil {
		return err
	}
	core, err := app.Init(ctx, e.data, pass, *name, e.options())
	if err != nil {
		return err
	}
	defer core.Close()
	return e.print(map[string]any{"data": e.data, "device": core.Records.Device()})
}
