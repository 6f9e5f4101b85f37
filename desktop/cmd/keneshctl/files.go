package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
)

func init() {
	register(command{Name: "files", Summary: "files that travel: files status (JSON: chunks and bytes waiting to go up and to come down), files sweep (drop what no record names)", Run: runFiles})
}

func runFiles(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "sweep" {
		if _, err := parse(flags(e, "files sweep"), args[1:], 0, ""); err != nil {
			return err
		}
		return e.withCore(ctx, func(c *app.Core) error {
			r, err := c.Files.Sweep(ctx)
			if err != nil {
				return err
			}
			return e.print(r)
		})
	}
	if len(args) == 0 || args[0] != "status" {
		return usagef("usage: keneshctl files {status|sweep}")
	}
	if _, err := parse(flags(e, "files status"), args[1:], 0, ""); err != nil {
		return err
	}
	return e.withCore(ctx, func(c *app.Core) error {
		st, err := c.Files.Status(ctx)
		if err != nil {
			return err
		}
		auto, err := c.Files.AutoMax(ctx)
		if err != nil {
			return err
		}
		return e.print(map[string]any{"up": map[string]any{"chunks": st.UpChunks, "bytes": st.UpBytes},
			"down":      map[string]any{"chunks": st.DownChunks, "bytes": st.DownBytes},
			"on_demand": map[string]any{"chunks": st.OnDemandChunks, "bytes": st.OnDemandBytes},
			"records":   st.Records, "auto_download_max": auto})
	})
}

// fetched returns a reader of a file, fetching it from the server first
// (in a sync) when it has not all arrived and the laptop is enrolled:
// what central staff and a laptop on a slow link fetch on demand.
func fetched(ctx context.Context, e *env, c *app.Core, kind, id string, open func() (io.Reader, error)) (io.Reader, error) {
	r, err := open()
	if !errors.Is(err, files.ErrNotDownloaded) {
		return r, err
	}
	if _, eerr := c.Records.Enrollment(ctx); errors.Is(eerr, records.ErrNotEnrolled) {
		return nil, err
	}
	c.Files.Want(kind, id)
	if isTerminal(e.stderr) {
		c.Sync.FilesProgress = filesProgress(e.stderr)
	}
	if _, serr := c.Sync.SyncOnce(ctx); serr != nil {
		return nil, fmt.Errorf("%w; fetching it failed: %w", err, explain(serr))
	}
	return open()
}

// filesProgress draws "files: 1.2 of 20.0 MB down, 3 min left" on a
// terminal, at most twice a second.
func filesProgress(w io.Writer) func(syncer.FilesProgress) {
	var last time.Time
	return func(p syncer.FilesProgress) {
		done, total := p.UpDone+p.DownDone, p.UpTotal+p.DownTotal
		if total == 0 || time.Since(last) < 500*time.Millisecond && done < total {
			return
		}
		last = time.Now()
		way := "up"
		if p.DownTotal > 0 {
			way = "down"
			if p.UpTotal > 0 {
				way = "up and down"
			}
		}
		left := ""
		if d := p.Left(); d > 0 {
			left = fmt.Sprintf(", %s left", d.Round(time.Second))
		}
		fmt.Fprintf(w, "\rfiles: %.1f of %.1f MB %s%s   ", float64(done)/1e6, float64(total)/1e6, way, left)
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}
