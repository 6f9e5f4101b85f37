package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/syncproto"
)

func init() {
	register(command{Name: "enroll", Summary: "bind this store to a sync server: enroll --server URL --code CODE", Run: runEnroll})
	register(command{Name: "sync", Summary: "push pending changes and pull new ones once; prints a JSON summary", Run: runSync})
	register(command{Name: "status", Summary: "pending changes, last sync, last error and open conflicts, as JSON", Run: runStatus})
	register(command{Name: "conflicts", Summary: "concurrent edits kept for a person: conflicts [list] | conflicts resolve KIND ID FIELD --keep winner|loser|--value JSON", Run: runConflicts})
	register(command{Name: "refused", Summary: "changes the server refused, still held here: refused [list] | refused take-centre SEQ", Run: runRefused})
}

func runEnroll(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "enroll")
	server := fs.String("server", "", "the sync server's address, e.g. https://kenesh.example.kg")
	code := fs.String("code", "", "the one-time enrollment code from the administrator")
	if _, err := parse(fs, args, 0, "--server URL --code CODE"); err != nil {
		return err
	}
	if *server == "" || *code == "" {
		return usagef("--server and --code are both required")
	}
	return e.withCore(ctx, func(c *app.Core) error {
		enr, sum, err := c.Sync.Enroll(ctx, *server, *code)
		if enr == nil {
			return err
		}
		out := map[string]any{"server": enr.Server, "council": enr.Council, "role": enr.Role, "name": enr.Name, "first_sync": sum}
		if err != nil {
			out["first_sync_error"] = err.Error()
		}
		if perr := e.print(out); perr != nil {
			return perr
		}
		return err
	})
}

func runSync(ctx context.Context, e *env, args []string) error {
	if _, err := parse(flags(e, "sync"), args, 0, ""); err != nil {
		return err
	}
	return e.withCore(ctx, func(c *app.Core) error {
		if isTerminal(e.stderr) {
			c.Sync.FilesProgress = filesProgress(e.stderr)
		}
		sum, err := c.Sync.SyncOnce(ctx)
		if err != nil {
			if sum != nil {
				_ = e.print(sum) // what got through before the failure
			}
			return explain(err)
		}
		return e.print(sum)
	})
}

// explain says what a person should do about a sync error.
func explain(err error) error {
	switch {
	case errors.Is(err, syncproto.ErrRevoked):
		return fmt.Errorf("this laptop was revoked by the administrator and can no longer sync; its records stay here; ask the administrator (%w)", err)
	case errors.Is(err, syncproto.ErrUnauthorized):
		return fmt.Errorf("the server does not know this laptop; ask the administrator for a new enrollment code (%w)", err)
	case errors.Is(err, syncproto.ErrUnreachable):
		return fmt.Errorf("the server cannot be reached; nothing is lost, try again when online (%w)", err)
	case errors.Is(err, records.ErrHeldBack):
		return fmt.Errorf("everything was synced, but the server also sent changes this laptop does not accept (for another council, stamped far in the future, claiming to be this laptop's, or damaged): they were set aside, not applied; 'keneshctl status' lists them; tell the administrator (%w)", err)
	case errors.Is(err, syncproto.ErrQuota):
		return fmt.Errorf("the records were synced, but the council's room for files on the server is full, so some files stay on this laptop; ask the administrator to raise the quota (%w)", err)
	case errors.Is(err, files.ErrNoRoom):
		return fmt.Errorf("the records were synced, but this laptop's disk has too little free space to download files; free some space and sync again (%w)", err)
	case errors.Is(err, syncer.ErrBadAnswer):
		return fmt.Errorf("the server gave an impossible answer, so none of it was believed: every change stays pending here and is sent at the next sync; if it keeps happening, check the server address and tell the administrator (%w)", err)
	}
	return err
}

func runStatus(ctx context.Context, e *env, args []string) error {
	if _, err := parse(flags(e, "status"), args, 0, ""); err != nil {
		return err
	}
	return e.withCore(ctx, func(c *app.Core) error {
		st, err := c.Records.SyncState(ctx)
		if err != nil {
			return err
		}
		conflicts, err := c.Records.Conflicts(ctx)
		if err != nil {
			return err
		}
		out := map[string]any{"device": c.Records.Device(), "pending": st.Pending, "acked": st.Acked, "cursor": st.Cursor,
			"last_sync": st.LastOK, "last_attempt": st.LastAttempt, "last_error": st.LastError, "conflicts": len(conflicts), "refused": len(st.Refused), "refusals": append([]records.Refusal{}, st.Refused...),
			"held_back": st.Held}
		// The refusals still open on a record (records.Refusals): added
		// beside "refused" and "refusals", which keep their meaning.
		open, err := c.Records.Refusals(ctx)
		if err != nil {
			return err
		}
		out["refused_open"], out["refusals_open"] = len(open), append([]records.RefusalView{}, open...)
		if st.Held > 0 {
			held, err := c.Records.HeldOps(ctx)
			if err != nil {
				return err
			}
			out["held"] = held
		}
		if st.LastOK.IsZero() {
			out["last_sync"] = nil
		}
		enr, err := c.Records.Enrollment(ctx)
		switch {
		case errors.Is(err, records.ErrNotEnrolled):
			out["enrolled"] = false
		case err != nil:
			return err
		default:
			out["enrolled"], out["server"], out["council"], out["role"] = true, enr.Server, enr.Council, enr.Role
		}
		return e.print(out)
	})
}

// runRefused lists the refused changes a record still holds, or gives a
// record back the centre's values (records.TakeCentre).
func runRefused(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "list" {
		if len(args) > 0 {
			args = args[1:]
		}
		if _, err := parse(flags(e, "refused list"), args, 0, ""); err != nil {
			return err
		}
		return e.withCore(ctx, func(c *app.Core) error {
			list, err := c.Records.Refusals(ctx)
			if err != nil {
				return err
			}
			return e.print(append([]records.RefusalView{}, list...))
		})
	}
	if args[0] != "take-centre" {
		return usagef("usage: keneshctl refused [list] | refused take-centre SEQ")
	}
	pos, err := parse(flags(e, "refused take-centre"), args[1:], 1, "SEQ")
	if err != nil {
		return err
	}
	seq, err := strconv.ParseUint(pos[0], 10, 64)
	if err != nil {
		return usagef("SEQ is the refused change's number (\"seq\" in keneshctl refused)")
	}
	return e.withCore(ctx, func(c *app.Core) error {
		if err := c.Records.TakeCentre(ctx, seq); err != nil {
			return err
		}
		return e.print(map[string]any{"settled": seq})
	})
}

func runConflicts(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "list" {
		if len(args) > 0 {
			args = args[1:]
		}
		if _, err := parse(flags(e, "conflicts list"), args, 0, ""); err != nil {
			return err
		}
		return e.withCore(ctx, func(c *app.Core) error {
			list, err := c.Records.Conflicts(ctx)
			if err != nil {
				return err
			}
			if list == nil {
				list = []changeset.Conflict{}
			}
			return e.print(list)
		})
	}
	if args[0] != "resolve" {
		return usagef("usage: keneshctl conflicts [list] | conflicts resolve KIND ID FIELD --keep winner|loser | --value JSON")
	}
	fs := flags(e, "conflicts resolve")
	keep := fs.String("keep", "", "winner (the value in the record now) or loser (the value that lost)")
	value := fs.String("value", "", "a JSON value merged by hand, e.g. '\"new text\"'")
	pos, err := parse(fs, args[1:], 3, "KIND ID FIELD --keep winner|loser | --value JSON")
	if err != nil {
		return err
	}
	if (*keep == "") == (*value == "") {
		return usagef("give exactly one of --keep winner|loser or --value JSON")
	}
	return e.withCore(ctx, func(c *app.Core) error {
		kind, id, field := pos[0], pos[1], pos[2]
		var chosen []byte
		if *value != "" {
			if !json.Valid([]byte(*value)) {
				return usagef("--value is not valid JSON (a text needs quotes: '\"text\"')")
			}
			chosen = []byte(*value)
		} else {
			list, err := c.Records.ConflictViews(ctx)
			if err != nil {
				return err
			}
			for _, k := range list {
				if k.Kind == kind && k.Record == id && k.Field == field {
					switch *keep {
					case "winner": // the value the record holds now
						chosen = k.Current.Value
					case "loser":
						chosen = k.Other.Value
					default:
						return usagef("--keep takes winner or loser")
					}
				}
			}
			if chosen == nil {
				return fmt.Errorf("no open conflict on %s of %s %s (see keneshctl conflicts)", field, kind, id)
			}
		}
		if err := c.Records.Resolve(ctx, kind, id, field, chosen); err != nil {
			return err
		}
		return e.print(map[string]any{"kind": kind, "id": id, "field": field, "value": json.RawMessage(chosen)})
	})
}
