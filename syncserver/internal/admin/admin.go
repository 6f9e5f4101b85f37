package admin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/files"
	"github.com/kenesh/kenesh/syncserver/internal/ingest"
	"github.com/kenesh/kenesh/syncserver/internal/public"
	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// Service is what an administrator can do. Local does it on an open store;
// Client asks the running server through its control socket. Both return
// errors a person can read.
type Service interface {
	// AddCouncil creates or changes a council (an operation of the
	// server's own device, which reaches every laptop).
	AddCouncil(ctx context.Context, c domain.Council) (*domain.Council, error)
	// Enroll makes a one-time enrollment code.
	Enroll(ctx context.Context, req auth.IssueRequest) (*auth.Issued, error)
	// Devices lists the enrolled devices.
	Devices(ctx context.Context) ([]store.Device, error)
	// Revoke revokes a device; revoking it again changes nothing.
	Revoke(ctx context.Context, id string) (*store.Device, error)
	// Councils lists the councils the server holds (deleted ones left out),
	// ordered by code.
	Councils(ctx context.Context) ([]domain.Council, error)
	// Backup writes a consistent, zstd-compressed backup of the store to w
	// (not encrypted: WriteBackupFile encrypts it where it is written).
	Backup(ctx context.Context, w io.Writer) error
	// BackupRecipient is the age recipient backups are encrypted to when
	// the operator names none: the server's own, derived from its data key
	// (serverkey.BackupIdentity), so that its key file restores them.
	BackupRecipient(ctx context.Context) (string, error)
	// PublicExport writes the public register as static files, a tar
	// stream (public.ExportTar), from the projection as committed now.
	PublicExport(ctx context.Context, w io.Writer, o public.ExportOptions) error
	// PublicChallenge says whether the citizens' form of the running
	// server asks its challenge, after switching it on or off when set is
	// not nil (until the server stops: serve --public-challenge keeps it
	// on from the start). Without a running server that serves the form
	// it is an input error that says so. On PostgreSQL the switch is the
	// database's, for every process, and lasts until switched again.
	PublicChallenge(ctx context.Context, set *bool) (bool, error)
	// FilesUsage lists what each council, and the materials, hold of
	// files on the server, with what no record names any more (released
	// at the next sweep).
	FilesUsage(ctx context.Context) ([]files.OwnerUsage, error)
	// SweepFiles releases now the chunks of files no record names (two
	// sweeps, files.Service.SweepNow) and says what each did.
	SweepFiles(ctx context.Context) ([]files.SweepReport, error)
}

// ErrNoFiles refuses the files commands where no file store was given.
var ErrNoFiles = fmt.Errorf("%w: no file store here: give the files' directory (admin --files DIR, as serve's --files)", auth.ErrInput)

// ErrNoPublicForm refuses PublicChallenge where no running server serves
// the citizens' form.
var ErrNoPublicForm = fmt.Errorf("%w: no running server serves the citizens' form here (the challenge is switched on a running server, or from its start with serve --public-challenge)", auth.ErrInput)

// Local is the Service on an open store: what the server runs behind its
// control socket, and what the admin command uses when no server runs.
type Local struct {
	Store    store.Store
	Ingest   *ingest.Ingester
	Auth     *auth.Authority
	Presence *auth.Presence  // nil when no server runs
	Key      []byte          // the store's data key
	Public   *public.Handler // the public side, nil when no server runs or it is off
	Files    *files.Service  // the files, nil when no file store was given
}

// FilesUsage implements Service.
func (l *Local) FilesUsage(ctx context.Context) ([]files.OwnerUsage, error) {
	if l.Files == nil {
		return nil, ErrNoFiles
	}
	return l.Files.Usage(ctx)
}

// SweepFiles implements Service.
func (l *Local) SweepFiles(ctx context.Context) ([]files.SweepReport, error) {
	if l.Files == nil {
		return nil, ErrNoFiles
	}
	return l.Files.SweepNow(ctx)
}

// BackupRecipient implements Service.
func (l *Local) BackupRecipient(context.Context) (string, error) {
	id, err := serverkey.BackupIdentity(l.Key)
	if err != nil {
		return "", err
	}
	return id.Recipient().String(), nil
}

// PublicExport implements Service.
func (l *Local) PublicExport(ctx context.Context, w io.Writer, o public.ExportOptions) error {
	return public.ExportTar(ctx, l.Store, o, w)
}

// PublicChallenge implements Service. On a store that keeps the switch
// for every process (store.ChallengeSwitch: PostgreSQL), it is turned
// there, with or without a server running here, and every process's form
// follows it within its Guard.ChallengeEvery (this one's at once).
func (l *Local) PublicChallenge(ctx context.Context, set *bool) (bool, error) {
	if sw, ok := l.Store.(store.ChallengeSwitch); ok {
		if set != nil {
			if err := sw.SetChallenge(ctx, *set); err != nil {
				return false, err
			}
		}
		on, err := sw.Challenge(ctx)
		if err == nil && l.Public != nil && l.Public.HasForm() {
			l.Public.SetChallenge(on)
		}
		return on, err
	}
	if l.Public == nil || !l.Public.HasForm() {
		return false, ErrNoPublicForm
	}
	if set != nil {
		l.Public.SetChallenge(*set)
	}
	return l.Public.Challenge(), nil
}

// AddCouncil implements Service.
func (l *Local) AddCouncil(ctx context.Context, c domain.Council) (*domain.Council, error) {
	return l.Ingest.AddCouncil(ctx, c)
}

// Enroll implements Service.
func (l *Local) Enroll(ctx context.Context, req auth.IssueRequest) (*auth.Issued, error) {
	return l.Auth.Issue(ctx, req)
}

// Devices implements Service, with the last-seen times the server holds in
// memory and has not written yet.
func (l *Local) Devices(ctx context.Context) ([]store.Device, error) {
	ds, err := l.Store.Devices(ctx)
	if err != nil || l.Presence == nil {
		return ds, err
	}
	seen := l.Presence.Snapshot()
	for i := range ds {
		if t, ok := seen[ds[i].ID]; ok && (ds[i].LastSeen == nil || t.After(*ds[i].LastSeen)) {
			t := t.UTC().Truncate(time.Millisecond)
			ds[i].LastSeen = &t
		}
	}
	return ds, nil
}

// Revoke implements Service.
func (l *Local) Revoke(ctx context.Context, id string) (*store.Device, error) {
	return l.Auth.Revoke(ctx, id)
}

// Councils implements Service.
func (l *Local) Councils(ctx context.Context) ([]domain.Council, error) {
	out := []domain.Council{}
	err := l.Store.EachState(ctx, domain.KindCouncil, func(st *changeset.State) error {
		if st.Deleted() {
			return nil
		}
		var c domain.Council
		if err := (changeset.Schema{}).FromFields(st.Values(), &c); err != nil {
			return fmt.Errorf("council %s: %w", st.ID, err)
		}
		c.Code = st.ID
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list councils: %w", err)
	}
	slices.SortFunc(out, func(a, b domain.Council) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

// ErrNoBackup is a store whose engine is backed up with its database
// server's own tools, not by kenesh-syncserver.
var ErrNoBackup = errors.New("this server's storage engine is backed up with its database's own tools, not with admin backup")

// Backup implements Service, for a store that can back itself up
// (store.Backuper).
func (l *Local) Backup(ctx context.Context, w io.Writer) error {
	b, ok := l.Store.(store.Backuper)
	if !ok {
		return ErrNoBackup
	}
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	if err := b.Backup(ctx, zw); err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}

// WriteBackupFile writes a backup from svc to path atomically: into a
// temporary file beside it, synced, then renamed, so an interrupted backup
// never replaces a good one. The file is an age file (age-encryption.org)
// encrypted to recipients, or to the server's own backup recipient when
// there are none: nothing in it is readable without the matching identity.
// It returns the file's size.
func WriteBackupFile(ctx context.Context, svc Service, path string, recipients []age.Recipient) (int64, error) {
	if len(recipients) == 0 {
		s, err := svc.BackupRecipient(ctx)
		if err != nil {
			return 0, fmt.Errorf("backup: the server's backup recipient: %w", err)
		}
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return 0, fmt.Errorf("backup: the server's backup recipient: %w", err)
		}
		recipients = []age.Recipient{r}
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	aw, err := age.Encrypt(f, recipients...)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := svc.Backup(ctx, aw); err != nil {
		return 0, err
	}
	if err := aw.Close(); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; not every system can
		d.Close()
	}
	return st.Size(), nil
}

// ageMagic starts every age file; zstdMagic a backup from before backups
// were encrypted.
var (
	ageMagic  = []byte("age-encryption.org/")
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// ErrNoIdentity is an encrypted backup none of the given identities opens.
var ErrNoIdentity = errors.New("the backup is encrypted to a key not given: the key file of the server it came from (--key-file), the identity file of the recipient it was made for (--identity), or its passphrase ($KENESH_BACKUP_PASSPHRASE)")

// RestoreFile restores a backup file of the embedded store into dataDir,
// which must be new or empty, with no server running on it; the store is
// encrypted with o.Key.
// An age-encrypted backup is opened with one of identities; a backup from
// before backups were encrypted (zstd) is read as it is. A damaged or
// cut-off file is refused and leaves dataDir empty.
func RestoreFile(ctx context.Context, dataDir, path string, identities []age.Identity, o badgerstore.Options) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(len(ageMagic))
	var r io.Reader = br
	switch {
	case bytes.HasPrefix(head, ageMagic):
		if r, err = age.Decrypt(br, identities...); err != nil {
			var nm *age.NoIdentityMatchError
			if errors.As(err, &nm) {
				return fmt.Errorf("restore %s: %w", path, ErrNoIdentity)
			}
			return fmt.Errorf("restore: %s is not a readable server backup: %w", path, err)
		}
	case bytes.HasPrefix(head, zstdMagic):
		// An older server's backup, not encrypted: read as it is.
	default:
		return fmt.Errorf("restore: %s is not a kenesh-syncserver backup", path)
	}
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return fmt.Errorf("restore: %s is not a server backup: %w", path, err)
	}
	defer zr.Close()
	if err := badgerstore.Restore(ctx, dataDir, zr, o); err != nil {
		if errors.Is(err, badgerstore.ErrNewerFormat) {
			return fmt.Errorf("%w (%s; the new directory was left empty)", err, path)
		}
		return fmt.Errorf("%w (is %s a complete kenesh-syncserver backup?)", err, path)
	}
	return nil
}
