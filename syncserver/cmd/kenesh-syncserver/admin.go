package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/jsonin"
	"github.com/kenesh/kenesh/shared/refdata"
	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
)

func init() {
	register(command{Name: "admin", Summary: "administer a server, running or not: admin --data DIR {council|enroll|devices|revoke|backup|public-challenge|release|files} ...", Run: runAdmin})
}

const adminUsage = `usage: kenesh-syncserver admin {--data DIR | --postgres URL} COMMAND
  council add --code CODE --name NAME --oblast KG-X [--district KG-X-ABC]
  council list
  council import FILE     (a JSON array of councils, as council list prints them)
  enroll --role secretary|central|trainer|admin --name NAME [--council CODE] [--ttl 72h]
  enroll --device ID [--ttl 72h]   (a code to enroll that laptop again)
  devices
  revoke DEVICE-ID
  public-challenge [on|off]   (the citizens' form's challenge on the running server, until it stops;
         with --postgres, every process's within 5 s, kept in the database until switched again)
  backup [--recipient AGE1...]... [--recipients-file FILE] [--passphrase] FILE   (--data only:
         a PostgreSQL database is backed up with pg_dump or pg_basebackup)
  release publish [--releases DIR] [--sig FILE.sig] [--trust KEY]... FILE   (an app release and its
         signature made offline with keneshctl release sign; laptops fetch it with their syncs)
  release list [--releases DIR]
  files [--files DIR]         (what each council, and the materials, hold of files on the server, and
         what no record names any more: released by the next sweep, serve --files-sweep-every)
  files sweep [--files DIR]   (release now the chunks no record names: their room comes back)`

func runAdmin(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "admin")
	w := storeFlags(e, fs)
	// serve's setting, so that admin on the service's configuration file
	// publishes where serve serves from.
	releases := fs.String("releases", "", "the app releases' directory, as serve's --releases (default DATA/releases)")
	w.files = fs.String("files", "", "the files' directory, as serve's --files (default DATA/files; with --postgres, required for the files commands)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if err := w.check(adminUsage); err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("%s", adminUsage)
	}
	if rest[0] == "release" {
		return adminRelease(e, w, *releases, rest[1:])
	}
	if rest[0] == "backup" && *w.postgres != "" {
		return ErrBackupPostgres
	}
	return withService(ctx, e, w, func(svc admin.Service) error {
		switch rest[0] {
		case "council":
			return adminCouncil(ctx, e, svc, rest[1:])
		case "enroll":
			return adminEnroll(ctx, e, svc, rest[1:])
		case "devices":
			if _, err := parse(flags(e, "admin devices"), rest[1:], 0, ""); err != nil {
				return err
			}
			ds, err := svc.Devices(ctx)
			if err != nil {
				return err
			}
			return printJSON(e, ds)
		case "revoke":
			pos, err := parse(flags(e, "admin revoke"), rest[1:], 1, "DEVICE-ID")
			if err != nil {
				return err
			}
			d, err := svc.Revoke(ctx, pos[0])
			if err != nil {
				return err
			}
			return printJSON(e, d)
		case "backup":
			return adminBackup(ctx, e, svc, rest[1:])
		case "files":
			switch pos := rest[1:]; {
			case len(pos) == 0:
				u, err := svc.FilesUsage(ctx)
				if err != nil {
					return err
				}
				return printJSON(e, u)
			case len(pos) == 1 && pos[0] == "sweep":
				rs, err := svc.SweepFiles(ctx)
				if err != nil {
					return err
				}
				return printJSON(e, rs)
			}
			return usagef("usage: kenesh-syncserver admin {--data DIR | --postgres URL --files DIR} files [sweep]")
		case "public-challenge":
			var set *bool
			switch pos := rest[1:]; {
			case len(pos) == 1 && (pos[0] == "on" || pos[0] == "off"):
				on := pos[0] == "on"
				set = &on
			case len(pos) != 0:
				return usagef("usage: kenesh-syncserver admin {--data DIR | --postgres URL} public-challenge [on|off]")
			}
			on, err := svc.PublicChallenge(ctx, set)
			if err != nil {
				return err
			}
			return printJSON(e, map[string]bool{"challenge": on})
		}
		return usagef("unknown admin command %q\n%s", rest[0], adminUsage)
	})
}

func adminCouncil(ctx context.Context, e *env, svc admin.Service, args []string) error {
	if len(args) == 0 {
		return usagef("usage: kenesh-syncserver admin --data DIR council {add|list}")
	}
	switch args[0] {
	case "list":
		if _, err := parse(flags(e, "admin council list"), args[1:], 0, ""); err != nil {
			return err
		}
		cs, err := svc.Councils(ctx)
		if err != nil {
			return err
		}
		return printJSON(e, cs)
	case "import":
		pos, err := parse(flags(e, "admin council import"), args[1:], 1, "FILE")
		if err != nil {
			return err
		}
		return importCouncils(ctx, e, svc, pos[0])
	case "add":
		fs := flags(e, "admin council add")
		var c domain.Council
		fs.StringVar(&c.Code, "code", "", "the council's code, e.g. NRN-ATB")
		fs.StringVar(&c.Name, "name", "", "the council's name")
		fs.StringVar(&c.Oblast, "oblast", "", "ISO 3166-2:KG code of its oblast or city: KG-B, KG-C, KG-GB, KG-GO, KG-J, KG-N, KG-O, KG-T, KG-Y")
		fs.StringVar(&c.District, "district", "", "its district's code, optional")
		if _, err := parse(fs, args[1:], 0, "--code CODE --name NAME --oblast KG-X [--district CODE]"); err != nil {
			return err
		}
		out, err := svc.AddCouncil(ctx, c)
		if err != nil {
			return err
		}
		return printJSON(e, out)
	}
	return usagef("unknown council command %q: want add, list or import", args[0])
}

// importCouncils adds or updates every council of a JSON file: the
// programme's 21 councils set up in one step. The file is checked whole
// before anything is saved.
func importCouncils(ctx context.Context, e *env, svc admin.Service, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var cs []domain.Council
	if err := jsonin.Read(path, f, &cs); err != nil {
		return err
	}
	if len(cs) == 0 {
		return fmt.Errorf("%s holds no councils: want a JSON array like [{\"code\":\"NRN-ATB\",\"name\":\"...\",\"oblast\":\"KG-N\"}]", path)
	}
	cat, err := refdata.Load()
	if err != nil {
		return err
	}
	for i, c := range cs {
		if err := c.Validate(cat); err != nil {
			return fmt.Errorf("%s: council %d (%s): %w", path, i+1, c.Code, err)
		}
	}
	out := make([]*domain.Council, 0, len(cs))
	for _, c := range cs {
		saved, err := svc.AddCouncil(ctx, c)
		if err != nil {
			return fmt.Errorf("council %s: %w", c.Code, err)
		}
		out = append(out, saved)
	}
	return printJSON(e, out)
}

func adminEnroll(ctx context.Context, e *env, svc admin.Service, args []string) error {
	fs := flags(e, "admin enroll")
	var req auth.IssueRequest
	fs.StringVar(&req.Device, "device", "", "an enrolled laptop's id, to enroll it again (reinstalled, token lost); role, council and name default to its own")
	fs.StringVar(&req.Council, "council", "", "the council of the laptop (required for a secretary)")
	fs.StringVar(&req.Role, "role", "", "secretary, central, trainer or admin")
	fs.StringVar(&req.Name, "name", "", "who or which laptop the code is for")
	fs.DurationVar(&req.TTL, "ttl", auth.DefaultCodeTTL, "how long the code stays valid")
	if _, err := parse(fs, args, 0, "--role ROLE --name NAME [--council CODE] [--ttl 72h], or --device ID"); err != nil {
		return err
	}
	is, err := svc.Enroll(ctx, req)
	if err != nil {
		return err
	}
	who := is.Role
	if is.Council != "" {
		who += " of " + is.Council
	}
	if is.Device != "" {
		who += ", only for the enrolled laptop " + is.Device
	}
	// The code is alone on the last line, so a script takes `tail -n 1`.
	fmt.Fprintf(e.stdout, "One-time enrollment code for %q (%s), valid until %s.\n", is.Name, who, is.Expires.Local().Format(time.DateTime+" MST"))
	fmt.Fprintf(e.stdout, "On the laptop: keneshctl enroll --server URL --code CODE, or Settings > Server in Kenesh.\n")
	fmt.Fprintln(e.stdout, is.Code)
	return nil
}

func printJSON(e *env, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, strings.TrimRight(string(b), "\n"))
	return err
}

// adminBackup writes an encrypted backup: to the recipients named, to the
// passphrase in $KENESH_BACKUP_PASSPHRASE, or else to the server's own
// backup recipient (its key file restores it).
func adminBackup(ctx context.Context, e *env, svc admin.Service, args []string) error {
	fs := flags(e, "admin backup")
	var named []string
	fs.Func("recipient", "an age recipient (age1...) to encrypt the backup to; may be repeated", func(s string) error {
		named = append(named, s)
		return nil
	})
	file := fs.String("recipients-file", "", "a file of age recipients, one a line (as age -R reads)")
	pass := fs.Bool("passphrase", false, "encrypt to the passphrase in $"+envBackupPassphrase)
	pos, err := parse(fs, args, 1, "[--recipient AGE1...]... [--recipients-file FILE] [--passphrase] FILE")
	if err != nil {
		return err
	}
	var rs []age.Recipient
	for _, s := range named {
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return usagef("--recipient %q: %v", s, err)
		}
		rs = append(rs, r)
	}
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		more, err := age.ParseRecipients(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("--recipients-file %s: %w", *file, err)
		}
		rs = append(rs, more...)
	}
	if *pass {
		p := e.getenv(envBackupPassphrase)
		if p == "" || len(rs) > 0 {
			return usagef("--passphrase takes the passphrase from $%s, and no --recipient with it", envBackupPassphrase)
		}
		r, err := age.NewScryptRecipient(p)
		if err != nil {
			return err
		}
		rs = append(rs, r)
	}
	n, err := admin.WriteBackupFile(ctx, svc, pos[0], rs)
	if err != nil {
		return err
	}
	to := "the server's own backup recipient (its key file restores it)"
	switch {
	case *pass:
		to = "the passphrase"
	case len(rs) > 0:
		to = fmt.Sprintf("%d recipient(s)", len(rs))
	}
	return printJSON(e, map[string]any{"file": pos[0], "bytes": n, "encrypted_to": to})
}

// ErrBackupPostgres is admin backup asked of a PostgreSQL deployment.
var ErrBackupPostgres = errors.New("admin backup writes the embedded store's backups (--data); a PostgreSQL deployment is backed up with PostgreSQL's own tools: pg_dump -Fc (a consistent copy while the servers serve) or pg_basebackup with WAL archiving (to a point in time), and restored with pg_restore; see the README's PostgreSQL section")

// envBackupPassphrase holds a backup's passphrase (never a flag: flags show
// in the process list).
const envBackupPassphrase = "KENESH_BACKUP_PASSPHRASE"
