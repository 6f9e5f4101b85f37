package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/importer"
	"github.com/kenesh/kenesh/internal/cli"
	"github.com/kenesh/kenesh/shared/domain"
)

func init() {
	register(command{Name: "import", Summary: "a legacy spreadsheet (CSV or XLSX) of appeals or events, all or nothing: import --kind appeal|event FILE [--dry-run] [--mapping FILE]", Run: runImport})
}

// errRefused makes keneshctl exit 1 after printing the summary.
var errRefused = errors.New("rows were refused: nothing was imported (see \"refused\"; --dry-run lists them without importing)")

func runImport(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "import")
	kind := fs.String("kind", "", "what the file holds: appeal or event")
	dry := fs.Bool("dry-run", false, "read and check every row and list those that would be refused, saving nothing")
	mappingFile := fs.String("mapping", "", "a JSON file naming the fields of columns Kenesh does not know, words for codes, and defaults (see README)")
	pos, err := parse(fs, args, 1, "--kind appeal|event FILE [--dry-run] [--mapping FILE]")
	if err != nil {
		return err
	}
	if *kind != domain.KindAppeal && *kind != domain.KindEvent {
		return cli.Usagef("--kind is required: appeal or event")
	}
	data, err := readFile(pos[0], importer.MaxFileSize)
	if err != nil {
		return err
	}
	o := importer.Options{Kind: *kind, DryRun: *dry}
	if *mappingFile != "" {
		b, err := readFile(*mappingFile, 1<<20)
		if err != nil {
			return err
		}
		if o.Mapping, err = importer.ReadMapping(*mappingFile, b); err != nil {
			return cli.UsageError{Msg: err.Error()}
		}
	}
	if isTerminal(e.stderr) {
		o.Progress = progressBar(e.stderr)
	}
	return e.withCore(ctx, func(c *app.Core) error {
		res, err := importer.Run(ctx, c.Records, pos[0], data, o)
		if err != nil {
			if res != nil {
				e.print(res)
			}
			return err
		}
		if err := e.print(res); err != nil {
			return err
		}
		if len(res.Refused) > 0 && !*dry {
			return errRefused
		}
		return nil
	})
}

// readFile reads a whole file of at most limit bytes.
func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB: split it", path, limit>>20)
	}
	return b, nil
}
