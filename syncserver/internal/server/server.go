package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/api"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/ingest"
	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// Config is what the server needs to run.
type Config struct {
	DataDir string
	// Key is where the data key is (serverkey.Locate); zero: DATA.key
	// beside the data directory. It is made at the first start.
	Key serverkey.Location
	// Listen is the sync API's address, host:port.
	Listen string
	// TLSCert and TLSKey are PEM files; both or neither.
	TLSCert, TLSKey string
	// InsecureHTTP allows plain HTTP on an address other than loopback
	// (behind a TLS-terminating reverse proxy on the same host, say).
	InsecureHTTP bool
	// Rate and Burst limit sync requests per device (0: no limit).
	Rate  float64
	Burst int
	// Small uses laptop-sized Badger caches (tests, tiny machines).
	Small bool
	// MinFree is the disk reserve (0: store.DefaultMinFree).
	MinFree uint64
	// SeenEvery is how often last-seen times are written (0: a minute).
	SeenEvery time.Duration
	// ShutdownTimeout bounds a graceful stop (0: 30 s).
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

// Server is an open sync server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	st       store.Store
	ing      *ingest.Ingester
	auth     *auth.Authority
	presence *auth.Presence
	api      *api.Handler
	admin    *admin.Local

	mu   sync.Mutex
	addr net.Addr
}

// ErrPlainHTTP refuses plain HTTP on a public address.
var ErrPlainHTTP = errors.New("plain HTTP on an address other than loopback would send device tokens and appeals in clear: give --tls-cert and --tls-key, or --insecure-http behind a TLS proxy on this host")

// New checks cfg and opens the store. Close it, or Run it, which closes it.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("a data directory is required (--data DIR)")
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("give both --tls-cert and --tls-key, or neither")
	}
	if cfg.Listen != "" && cfg.TLSCert == "" && !cfg.InsecureHTTP && !IsLoopback(cfg.Listen) {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, ErrPlainHTTP)
	}
	if cfg.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey); err != nil {
			return nil, fmt.Errorf("TLS certificate: %w", err)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SeenEvery == 0 {
		cfg.SeenEvery = time.Minute
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if cfg.Key.Path == "" {
		loc, err := serverkey.Locate(cfg.DataDir, "", func(string) string { return "" })
		if err != nil {
			return nil, err
		}
		cfg.Key = loc
	}
	st, key, err := OpenStore(ctx, cfg.DataDir, cfg.Key, badgerstore.Options{Logger: cfg.Logger, MinFree: cfg.MinFree, Small: cfg.Small})
	if err != nil {
		return nil, err
	}
	ing, err := ingest.Open(ctx, st, ingest.Options{Logger: cfg.Logger})
	if err != nil {
		st.Close()
		return nil, err
	}
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, st: st, ing: ing, auth: auth.New(st, nil), presence: auth.NewPresence()}
	s.auth.Reserve(ing.ServerDevice())
	s.api = api.New(api.Config{Store: st, Auth: s.auth, Ingest: ing, Codec: codec, Presence: s.presence,
		Metrics: api.NewMetrics(st.CountDevices), Logger: cfg.Logger, Rate: cfg.Rate, Burst: cfg.Burst})
	s.admin = &admin.Local{Store: st, Ingest: ing, Auth: s.auth, Presence: s.presence, Key: key}
	return s, nil
}

// DataKey reads the data key of the server whose data is in dataDir from
// loc (DATA.key beside it when loc is zero), making it when there is none
// yet: at the first start, or for a store from before encryption at rest
// (which store.Open then encrypts). For encrypted data whose key file is
// missing it says what to do; it never makes a new key for them.
func DataKey(dataDir string, loc serverkey.Location, log *slog.Logger) ([]byte, error) {
	if loc.Path == "" {
		var err error
		if loc, err = serverkey.Locate(dataDir, "", func(string) string { return "" }); err != nil {
			return nil, err
		}
	}
	key, err := serverkey.Load(loc.Path)
	if !errors.Is(err, serverkey.ErrMissing) {
		return key, err
	}
	enc, eerr := badgerstore.IsEncrypted(dataDir)
	switch {
	case eerr != nil:
		return nil, eerr
	case enc:
		return nil, fmt.Errorf("%w: the data in %s is encrypted with the key that was in %s: put that file back from where it is kept safe, or name it with --key-file (or $%s)",
			serverkey.ErrMissing, dataDir, loc.Path, serverkey.EnvFile)
	case loc.Credential:
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(loc.Path), 0o700); err != nil {
		return nil, fmt.Errorf("the data key: %w", err)
	}
	if key, err = serverkey.Create(loc.Path); err != nil {
		return nil, fmt.Errorf("%w: give --key-file PATH (outside the data directory) or a systemd credential %s", err, serverkey.Credential)
	}
	if log != nil {
		log.Warn("made a new data key: keep a copy of this file safe, apart from the data and its backups; without it they cannot be read",
			"key_file", loc.Path)
	}
	return key, nil
}

// OpenStore opens the store in dataDir encrypted with the data key at loc
// (made at the first start; see DataKey), and returns it with its key. A
// key rotation a crash interrupted (RotateKey) is finished here.
func OpenStore(ctx context.Context, dataDir string, loc serverkey.Location, o badgerstore.Options) (*badgerstore.Store, []byte, error) {
	key, err := DataKey(dataDir, loc, o.Logger)
	if err != nil {
		return nil, nil, err
	}
	o.Key = key
	st, err := badgerstore.Open(ctx, dataDir, o)
	if errors.Is(err, badgerstore.ErrWrongKey) {
		if next, nerr := serverkey.Load(loc.Path + newSuffix); nerr == nil {
			o.Key = next
			if st, err = badgerstore.Open(ctx, dataDir, o); err == nil {
				if _, err = finishRotation(loc.Path); err != nil {
					st.Close()
					return nil, nil, err
				}
				return st, next, nil
			}
		}
		return nil, nil, fmt.Errorf("%w (key file %s)", err, loc.Path)
	}
	return st, key, err
}

// newSuffix names the new key beside the key file during a rotation.
const newSuffix = ".new"

// RotateKey gives the store in dataDir a new data key: the new key is
// written beside the key file, the store's key registry re-encrypted
// under it, then the key file replaced; the old key is kept as
// KEY.old-DATE, for backups made to it (move it offline, or delete it
// once no backup needs it). The server must be stopped. A crash midway is finished at
// the next open. It returns the old key file's new path.
func RotateKey(dataDir string, loc serverkey.Location) (string, error) {
	if loc.Credential {
		return "", errors.New("the key is a systemd credential: rotate it where the credential is kept (write a new key with rotate-key --key-file NEW on a copy, then point the credential at it)")
	}
	old, err := serverkey.Load(loc.Path)
	if err != nil {
		return "", err
	}
	if enc, err := badgerstore.IsEncrypted(dataDir); err != nil || !enc {
		if err == nil {
			err = fmt.Errorf("%s holds no encrypted store", dataDir)
		}
		return "", err
	}
	next := loc.Path + newSuffix
	os.Remove(next) // a rotation that never re-keyed the store
	key, err := serverkey.Create(next)
	if err != nil {
		return "", err
	}
	if err := badgerstore.RotateKey(dataDir, old, key); err != nil {
		os.Remove(next)
		return "", err
	}
	return finishRotation(loc.Path)
}

// finishRotation puts the new key in place of the old, which it keeps
// beside, and returns the old one's path.
func finishRotation(path string) (string, error) {
	old := path + ".old-" + time.Now().UTC().Format("20060102T150405")
	if err := os.Rename(path, old); err != nil {
		return "", fmt.Errorf("finish the key rotation: %w", err)
	}
	if err := os.Rename(path+newSuffix, path); err != nil {
		return "", fmt.Errorf("finish the key rotation: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return old, nil
}

// Handler is the sync API, for tests that serve it with httptest.
func (s *Server) Handler() http.Handler { return s.api }

// Admin is what the control socket serves.
func (s *Server) Admin() *admin.Local { return s.admin }

// Addr is the address the API listens on, once Run has started listening.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Close flushes last-seen times and closes the store. Run calls it.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.presence.Flush(ctx, s.st); err != nil {
		s.log.Warn("last-seen times not saved", "err", err)
	}
	return s.st.Close()
}

// Run serves the sync API on cfg.Listen and administration on the control
// socket until ctx ends, then stops gracefully: requests in flight finish
// (a push is one transaction: it is committed and acknowledged, or not at
// all), and the store is closed. ready, if set, is called once listening.
func (s *Server) Run(ctx context.Context, ready func(addr net.Addr)) (err error) {
	defer func() {
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}()
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	ctl, err := admin.ListenSocket(s.cfg.DataDir)
	if err != nil {
		ln.Close()
		return err
	}
	defer os.Remove(admin.SocketPath(s.cfg.DataDir))
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()

	hs := &http.Server{
		Handler:           s.api,
		ReadHeaderTimeout: 30 * time.Second,
		// A 2G link moves ~10 KB/s: a full 4 MiB frame needs minutes.
		ReadTimeout:    10 * time.Minute,
		WriteTimeout:   10 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	cs := &http.Server{Handler: admin.Handler(s.admin, s.log), ReadHeaderTimeout: 10 * time.Second}

	errc := make(chan error, 2)
	go func() {
		var err error
		if s.cfg.TLSCert != "" {
			hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			err = hs.ServeTLS(ln, s.cfg.TLSCert, s.cfg.TLSKey)
		} else {
			err = hs.Serve(ln)
		}
		errc <- err
	}()
	go func() { errc <- cs.Serve(ctl) }()
	scheme := "http"
	if s.cfg.TLSCert != "" {
		scheme = "https"
	}
	s.log.Info("serving", "url", scheme+"://"+ln.Addr().String(), "data", s.cfg.DataDir, "server_id", s.ing.ServerID(),
		"control", admin.SocketPath(s.cfg.DataDir))
	if ready != nil {
		ready(ln.Addr())
	}

	tick := time.NewTicker(s.cfg.SeenEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if err := s.presence.Flush(ctx, s.st); err != nil {
				s.log.Warn("last-seen times not saved", "err", err)
			}
			continue
		case err = <-errc:
			err = fmt.Errorf("serve: %w", err)
		case <-ctx.Done():
		}
		break
	}
	s.log.Info("stopping: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if serr := hs.Shutdown(sctx); serr != nil {
		s.log.Warn("requests cut at shutdown", "err", serr)
	}
	cs.Shutdown(sctx)
	return err
}

// IsLoopback reports whether a listen address only accepts connections
// from this host.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
