package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/backup"
	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/desktop/internal/update"
	"github.com/kenesh/kenesh/internal/version"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// Options configure a session.
type Options struct {
	KDF     keyfile.Params // for a new store; zero means keyfile.DefaultParams
	Logger  *slog.Logger
	Records records.Options
	Loop    syncer.LoopOptions
	// Update configures updates over the sync link (update.Options; its
	// Dir, Current, Keys and Logger default to DIR/updates, this
	// program's release, the keys built into it and Logger), and
	// UpdateEvery how often the server is asked when nothing is coming
	// (0: update.NewWatcher's six hours).
	Update      update.Options
	UpdateEvery time.Duration
}

func (o Options) app() app.Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return app.Options{KDF: o.KDF, Logger: o.Logger, Records: o.Records, Loop: o.Loop}
}

// Exists reports whether dir holds a Kenesh store (its key file).
func Exists(dir string) bool {
	_, err := keyfile.Read(dir)
	return err == nil
}

// Session is the desktop app's controller over an unlocked data directory
// (app.Core, which owns the store, records and sync): what the interface
// asks in its own terms (create, unlock, enroll, back up, restore, change
// the passphrase) and a stable code for every failure a person must
// understand. Its methods are safe for concurrent use; Close ends it.
type Session struct {
	Dir  string
	Core *app.Core
	Sync *syncer.Syncer // Core's
	Loop *syncer.Loop   // Core's
	// Updates fetches newer releases after syncs (StartSync starts it)
	// and installs the one ready when asked.
	Updates *update.Watcher

	o          Options
	stopUpdate context.CancelFunc
	updateDone chan struct{}
	updateOnce sync.Once
}

// Create makes a new encrypted store in dir and opens it.
func Create(ctx context.Context, dir, passphrase, deviceName string, o Options) (*Session, error) {
	core, err := app.Init(ctx, dir, passphrase, deviceName, o.app())
	if err != nil {
		return nil, err
	}
	return start(core, o)
}

// Unlock opens dir with passphrase.
func Unlock(ctx context.Context, dir, passphrase string, o Options) (*Session, error) {
	core, err := app.Open(ctx, dir, passphrase, o.app())
	if err != nil {
		return nil, err
	}
	return start(core, o)
}

// Restore makes a store in dir (empty or absent) from a backup file and
// opens it; the passphrase is the one the backup was made with.
func Restore(ctx context.Context, file, dir, passphrase string, o Options) (*Session, backup.Header, error) {
	if err := CheckEmpty(dir); err != nil {
		return nil, backup.Header{}, err
	}
	// The settings file may already be there (the language was chosen on
	// the first screen); the restore wants an empty directory, so it steps
	// aside and comes back whatever happens.
	settings := filepath.Join(dir, "settings.json")
	if b, err := os.ReadFile(settings); err == nil {
		if err := os.Remove(settings); err != nil {
			return nil, backup.Header{}, err
		}
		defer func() {
			_ = os.MkdirAll(dir, 0o700)
			_ = os.WriteFile(settings, b, 0o600)
		}()
	}
	core, h, err := backup.Restore(ctx, file, dir, passphrase, o.app())
	if err != nil {
		return nil, h, err
	}
	s, err := start(core, o)
	return s, h, err
}

func start(core *app.Core, o Options) (*Session, error) {
	uo := o.Update
	if uo.Dir == "" {
		uo.Dir = filepath.Join(core.Dir, update.DirName)
	}
	if uo.Current == "" {
		uo.Current = version.String()
	}
	if !uo.Managed {
		// A Kenesh from the .deb is upgraded with apt, not from the app.
		uo.Managed = update.InstalledByPackage()
	}
	if uo.Keys == nil {
		keys, err := update.BuiltinKeys()
		if err != nil {
			core.Close()
			return nil, err
		}
		uo.Keys = keys
	}
	if uo.Budget == 0 {
		// A check's download gives way after this and goes on after the
		// next sync: on 2G a 15 MB installer comes in about seven.
		uo.Budget = 3 * time.Minute
	}
	if uo.Logger == nil {
		uo.Logger = o.Logger
	}
	server := func(ctx context.Context) (string, error) {
		e, err := core.Records.Enrollment(ctx)
		if err != nil {
			return "", err
		}
		return e.Server, nil
	}
	return &Session{Dir: core.Dir, Core: core, Sync: core.Sync, Loop: core.Loop, o: o,
		Updates: update.NewWatcher(uo, server, o.UpdateEvery)}, nil
}

// Records is the recording core.
func (s *Session) Records() *records.Service { return s.Core.Records }

// Files are the files the records name: attachments and materials.
func (s *Session) Files() *files.Files { return s.Core.Files }

// MaterialCopies asks the server which councils' laptops hold and have
// read each material (trainers and central staff).
func (s *Session) MaterialCopies(ctx context.Context) ([]syncer.MaterialHolder, error) {
	return s.Sync.MaterialCopies(ctx)
}

// Fetch asks for a record's files now (a person opened the record, or
// pressed Download) and wakes the sync loop to move them.
func (s *Session) Fetch(kind, id string) {
	s.Core.Files.Want(kind, id)
	s.Loop.Trigger()
}

// StartSync runs the background sync loop until Close, and the updates
// that follow it: after each sync that went through, the server is asked
// for a newer release (Updates). Calling it again does nothing.
func (s *Session) StartSync() {
	s.Core.StartSync()
	s.updateOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		s.stopUpdate, s.updateDone = cancel, make(chan struct{})
		ch, stop := s.Loop.Subscribe()
		go func() {
			defer close(s.updateDone)
			defer stop()
			done := make(chan struct{})
			go func() { defer close(done); s.Updates.Run(ctx) }()
			defer func() { <-done }()
			var last time.Time
			for {
				select {
				case st := <-ch:
					if st.State == syncer.StateIdle && st.LastOK.After(last) {
						last = st.LastOK
						s.Updates.Kick()
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	})
}

// Enroll binds the store to a server with a one-time code, syncs once, and
// wakes the loop (which stops trying while a laptop is not enrolled).
func (s *Session) Enroll(ctx context.Context, serverURL, code string) (*records.Enrollment, *syncer.Summary, error) {
	if _, err := s.Records().Enrollment(ctx); err == nil {
		return nil, nil, ErrAlreadyEnrolled
	}
	// The core decides what a laptop may speak to (https, or plain http
	// to this computer only): the same rule as keneshctl enroll.
	u, err := syncclient.CheckServerURL(serverURL)
	if errors.Is(err, syncclient.ErrBadURL) {
		return nil, nil, ErrBadURL
	}
	if err != nil {
		return nil, nil, err
	}
	e, sum, err := s.Sync.Enroll(ctx, u.String(), strings.TrimSpace(code))
	if e != nil {
		s.Loop.Trigger()
	}
	return e, sum, err
}

// Role is the role this laptop was enrolled with (domain.RoleSecretary,
// RoleCentral, ...), or "" before enrollment.
func (s *Session) Role() string {
	e, err := s.Records().Enrollment(context.Background())
	if err != nil {
		return ""
	}
	return e.Role
}

// CheckPassphrase verifies passphrase against the key file without touching
// the open store: what the idle lock asks before showing records again.
func (s *Session) CheckPassphrase(passphrase string) error {
	_, err := keyfile.Unlock(s.Dir, passphrase)
	return err
}

// ChangePassphrase re-seals the store key under a new passphrase.
func (s *Session) ChangePassphrase(oldPass, newPass string) error {
	return app.ChangePassphrase(s.Dir, oldPass, newPass, s.o.KDF)
}

// Backup writes an encrypted backup of the store to path.
func (s *Session) Backup(ctx context.Context, passphrase, path string) (backup.Header, error) {
	if err := s.CheckPassphrase(passphrase); err != nil {
		return backup.Header{}, err
	}
	return backup.Write(ctx, s.Core, passphrase, path)
}

// BackupName suggests a file name for a backup made now, in Bishkek time
// as every screen shows times (a laptop's clock may be set to UTC).
func BackupName(now time.Time) string {
	return "kenesh-backup-" + now.In(records.Bishkek).Format("2006-01-02-1504") + ".kenesh"
}

// ServerVersion is the sync server's release, asked of it (20 s at most;
// "" from a server too old to say). A laptop not enrolled, or that cannot
// reach it, gets the error.
func (s *Session) ServerVersion(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return s.Sync.ServerVersion(ctx)
}

// Close stops the sync loop and the updates, and closes the store.
func (s *Session) Close() error {
	if s.stopUpdate != nil {
		s.stopUpdate()
		<-s.updateDone
	}
	return s.Core.Close()
}

// Problem codes: what went wrong, in terms a person can act on. A user
// interface translates them; Code never returns a message.
const (
	ProblemWrongPassphrase = "wrong_passphrase"
	ProblemShortPassphrase = "short_passphrase"
	ProblemInUse           = "in_use"
	ProblemDiskFull        = "disk_full"
	ProblemNewerData       = "newer_data" // NewerRelease says which release wrote it
	ProblemNotBackup       = "not_backup"
	ProblemNotEmpty        = "not_empty"
	ProblemUnreachable     = "unreachable"
	ProblemBadCode         = "bad_code"
	ProblemRevoked         = "revoked"
	ProblemUnauthorized    = "unauthorized"
	ProblemProtocol        = "protocol"
	ProblemServer          = "server"
	ProblemSeqConflict     = "seq_conflict"
	ProblemNotEnrolled     = "not_enrolled"
	ProblemAlreadyEnrolled = "already_enrolled"
	ProblemBadURL          = "bad_url"
	ProblemPlainHTTP       = "plain_http"
	ProblemBadAnswer       = "bad_answer"
	ProblemClockWrong      = "clock_wrong"
	ProblemHeldBack        = "held_back"
	ProblemInvalid         = "invalid"
	ProblemTransition      = "transition"
	ProblemNotFound        = "not_found"
	ProblemForbidden       = "forbidden"
	ProblemQuota           = "quota"
	ProblemNotDownloaded   = "not_downloaded"
	ProblemNoRoomForFiles  = "no_room_for_files"
	ProblemOther           = "other"
)

// Code classifies err for a person.
func Code(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, keyfile.ErrWrongPassphrase), errors.Is(err, store.ErrWrongKey):
		return ProblemWrongPassphrase
	case errors.Is(err, store.ErrLocked):
		return ProblemInUse
	case errors.Is(err, store.ErrDiskFull):
		return ProblemDiskFull
	case errors.Is(err, store.ErrNewerFormat):
		return ProblemNewerData
	case errors.Is(err, backup.ErrNotBackup):
		return ProblemNotBackup
	case errors.Is(err, syncproto.ErrUnreachable):
		return ProblemUnreachable
	case errors.Is(err, syncproto.ErrBadCode):
		return ProblemBadCode
	case errors.Is(err, syncproto.ErrRevoked):
		return ProblemRevoked
	case errors.Is(err, syncproto.ErrUnauthorized):
		return ProblemUnauthorized
	case errors.Is(err, syncproto.ErrProtocol):
		return ProblemProtocol
	case errors.Is(err, syncproto.ErrServer), errors.Is(err, syncproto.ErrUnavailable), errors.Is(err, syncproto.ErrRateLimited):
		return ProblemServer
	case errors.Is(err, syncproto.ErrForbidden):
		return ProblemForbidden
	case errors.Is(err, syncproto.ErrSeqConflict):
		return ProblemSeqConflict
	case errors.Is(err, records.ErrNotEnrolled), errors.Is(err, syncproto.ErrNotEnrolled):
		return ProblemNotEnrolled
	case errors.Is(err, ErrShortPassphrase):
		return ProblemShortPassphrase
	case errors.Is(err, ErrNotEmpty):
		return ProblemNotEmpty
	case errors.Is(err, ErrBadURL), errors.Is(err, syncclient.ErrBadURL):
		return ProblemBadURL
	case errors.Is(err, syncclient.ErrPlainHTTP):
		return ProblemPlainHTTP
	case errors.Is(err, syncclient.ErrBadAnswer):
		return ProblemBadAnswer
	case errors.Is(err, syncproto.ErrClock):
		return ProblemClockWrong
	case errors.Is(err, records.ErrHeldBack):
		return ProblemHeldBack
	case errors.Is(err, ErrAlreadyEnrolled):
		return ProblemAlreadyEnrolled
	case errors.Is(err, syncproto.ErrQuota):
		return ProblemQuota
	case errors.Is(err, files.ErrNotDownloaded):
		return ProblemNotDownloaded
	case errors.Is(err, files.ErrNoRoom):
		return ProblemNoRoomForFiles
	}
	switch {
	case errors.Is(err, domain.ErrInvalid):
		return ProblemInvalid
	case errors.Is(err, domain.ErrIllegalTransition):
		return ProblemTransition
	case errors.Is(err, domain.ErrNotFound):
		return ProblemNotFound
	}
	return ProblemOther
}

// NewerRelease is the release of Kenesh that wrote the data err refused
// (ProblemNewerData), "" for any other error: the person is told to
// install it or a newer one.
func NewerRelease(err error) string {
	var nf *store.NewerFormatError
	if errors.As(err, &nf) {
		return nf.Found.Release
	}
	return ""
}

// Errors the session itself finds before asking the core.
var (
	ErrShortPassphrase = fmt.Errorf("passphrase is too short: use at least %d characters", keyfile.MinPassphraseLen)
	ErrNotEmpty        = errors.New("the folder is not empty")
	ErrBadURL          = errors.New("not a server address (http://… or https://…)")
	ErrAlreadyEnrolled = errors.New("this laptop is already enrolled; a laptop syncs with one server")
)

// CheckEmpty reports ErrNotEmpty unless dir is absent or empty: where a
// restore may go.
func CheckEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		// The settings file is ours and may be written before a restore
		// (the language chosen on the first screen).
		if e.Name() == "settings.json" {
			continue
		}
		return fmt.Errorf("%s: %w", filepath.Clean(dir), ErrNotEmpty)
	}
	return nil
}
