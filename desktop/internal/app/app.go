package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// Options configure opening a data directory.
type Options struct {
	KDF     keyfile.Params // for Init; zero means keyfile.DefaultParams
	Logger  *slog.Logger
	Records records.Options
	Loop    syncer.LoopOptions // the background sync (StartSync)
}

// Core is an unlocked data directory: the store, the records and files
// kept in it, and the sync with the server. Every program of the laptop
// (the desktop app through its session, keneshctl, the demo tools) builds
// it here and nowhere else.
type Core struct {
	Dir     string
	Store   *store.Store
	Records *records.Service
	Files   *files.Files
	Sync    *syncer.Syncer // one sync at a time, on request (keneshctl sync)
	Loop    *syncer.Loop   // syncs in the background once StartSync runs it

	stopLoop  context.CancelFunc
	loopDone  chan struct{}
	loopOnce  sync.Once
	stopFiles func()
}

// Init creates an encrypted store in dir (which must not hold one) and gives
// it a device identity.
func Init(ctx context.Context, dir, passphrase, deviceName string, o Options) (*Core, error) {
	if deviceName == "" {
		return nil, fmt.Errorf("init: a device name is required (for example --device-name \"Naryn council laptop\")")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, store.DataDir)); err == nil {
		return nil, fmt.Errorf("init: %s already holds a store", dir)
	}
	p := o.KDF
	if p == (keyfile.Params{}) {
		p = keyfile.DefaultParams
	}
	key, err := keyfile.Create(dir, passphrase, p)
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	st, err := store.Open(ctx, dir, key, store.Options{Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	if _, err := records.Init(ctx, st, deviceName); err != nil {
		st.Close()
		return nil, err
	}
	return open(ctx, dir, st, o)
}

// Open unlocks dir with passphrase.
func Open(ctx context.Context, dir, passphrase string, o Options) (*Core, error) {
	key, err := keyfile.Unlock(dir, passphrase)
	if err != nil {
		if errors.Is(err, keyfile.ErrWrongPassphrase) {
			return nil, fmt.Errorf("unlock %s: %w (the store was not opened; nothing changed)", dir, err)
		}
		return nil, fmt.Errorf("unlock: %w", err)
	}
	return OpenWithKey(ctx, dir, key, o)
}

// OpenWithKey opens dir with an already unwrapped key.
func OpenWithKey(ctx context.Context, dir string, key []byte, o Options) (*Core, error) {
	st, err := store.Open(ctx, dir, key, store.Options{Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	return open(ctx, dir, st, o)
}

func open(ctx context.Context, dir string, st *store.Store, o Options) (*Core, error) {
	ro := o.Records
	if ro.Logger == nil {
		ro.Logger = o.Logger
	}
	if ro.Format == nil {
		// What records holds back of a pull it keeps as the server sent it.
		ro.Format = syncer.WireFormat{}
	}
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		st.Close()
		return nil, err
	}
	svc, err := records.Open(ctx, st, ro)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	fl := files.New(st, svc)
	sy := syncer.New(svc, codec)
	sy.Files = fl
	// A first pull holds far more live than the app's memory limit
	// (LimitMemory); the limit comes back when it is stored.
	sy.BulkMemory = RelaxMemory
	// The files follow the records that name them as they change.
	return &Core{Dir: dir, Store: st, Records: svc, Files: fl, Sync: sy, Loop: syncer.NewLoop(sy, o.Loop), stopFiles: fl.Follow()}, nil
}

// StartSync runs the background sync loop until Close. Calling it again
// does nothing.
func (c *Core) StartSync() {
	c.loopOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		c.stopLoop, c.loopDone = cancel, make(chan struct{})
		go func() {
			defer close(c.loopDone)
			_ = c.Loop.Run(ctx)
		}()
	})
}

// Close ends the core's background work (the sync loop, reading the
// index), then closes the store.
func (c *Core) Close() error {
	if c.stopLoop != nil {
		c.stopLoop()
		<-c.loopDone
	}
	c.stopFiles()
	c.Records.Close()
	return c.Store.Close()
}

// ChangePassphrase re-seals the key of dir; the database is not rewritten.
func ChangePassphrase(dir, oldPass, newPass string, p keyfile.Params) error {
	if p == (keyfile.Params{}) {
		p = keyfile.DefaultParams
	}
	if err := keyfile.Change(dir, oldPass, newPass, p); err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	return nil
}
