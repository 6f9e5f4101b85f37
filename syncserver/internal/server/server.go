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
	"strings"
	"sync"
	"time"

	rel "github.com/kenesh/kenesh/shared/release"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/blobstore"
	"github.com/kenesh/kenesh/syncserver/internal/files"
	"github.com/kenesh/kenesh/syncserver/internal/middleware"
	"github.com/kenesh/kenesh/syncserver/internal/public"
	"github.com/kenesh/kenesh/syncserver/internal/release"
	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
	"github.com/kenesh/kenesh/syncserver/internal/store/pgstore"
)

// Config is what the server needs to run.
type Config struct {
	// DataDir is the embedded store's directory (Badger); the control
	// socket is in it. One process serves it.
	DataDir string
	// Postgres, instead of DataDir, is the PostgreSQL database the server
	// keeps everything in (a URL or key=value pairs, as pgstore.Open reads
	// them): any number of processes may serve one database. Its data key
	// (sealing files, the form's secret) is kept in the database; FilesDir
	// is required, the same directory for every process; there is no
	// control socket (admin --postgres works on the database).
	Postgres string
	// PostgresConns bounds each process's connections to PostgreSQL (0:
	// pgxpool's default, the larger of 4 and the number of CPUs).
	PostgresConns int32
	// Key is where the data key is (serverkey.Locate); zero: DATA.key
	// beside the data directory. It is made at the first start.
	Key serverkey.Location
	// Listen is the public listener's address, host:port: the laptops'
	// sync API, and whatever else is mounted (Mount).
	Listen string
	// MetricsListen, if set, is where /metrics is served, apart from the
	// laptops (plain HTTP: loopback or a private network, for the
	// monitoring system). Empty: metrics are not served.
	MetricsListen string
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
	// RequestMemory and RequestWait bound the requests being worked on
	// (Options.RequestMemory).
	RequestMemory int64
	RequestWait   time.Duration
	// MinFree is the disk reserve (0: badgerstore.DefaultMinFree).
	MinFree uint64
	// FilesDir is where file chunks are kept, sealed (empty: DATA/files;
	// required with Postgres).
	FilesDir string
	// FilesMinFree is the disk reserve of the files (0: twice MinFree,
	// or blobstore.DefaultDirMinFree: files stop before the records).
	FilesMinFree uint64
	// FilesQuota bounds each council's files, MaterialsQuota the
	// materials' (0: files.DefaultQuota, files.DefaultMaterialQuota;
	// negative: no quota).
	FilesQuota, MaterialsQuota int64
	// ReleasesDir is where the app releases an administrator published
	// are kept and served from (package release; empty: DATA/releases,
	// none with Postgres).
	ReleasesDir string
	// SeenEvery is how often last-seen times are written (0: a minute).
	SeenEvery time.Duration
	// FilesSweepEvery is how often the chunks no record names are looked
	// for and released (files.Service.Sweep: a chunk goes at the second
	// sweep that finds it unnamed); 0: DefaultFilesSweepEvery, negative:
	// only when an administrator runs admin files sweep.
	FilesSweepEvery time.Duration
	// Public configures the public register and form, served under
	// /public/ on the public listener (on unless Public.Off).
	Public PublicOptions
	// ShutdownTimeout bounds a graceful stop (0: 30 s).
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

// Server is an open sync server: a store, the handlers on it, and the
// listeners they are served on.
type Server struct {
	cfg    Config
	log    *slog.Logger
	st     store.Store
	h      *Handlers
	public *http.ServeMux // the public listener's handlers: the sync API at /, and what is mounted

	mu          sync.Mutex
	addr        net.Addr
	metricsAddr net.Addr
}

// ErrPlainHTTP refuses plain HTTP on a public address.
var ErrPlainHTTP = errors.New("plain HTTP on an address other than loopback would send device tokens and appeals in clear: give --tls-cert and --tls-key, or --insecure-http behind a TLS proxy on this host")

// New checks cfg and opens the store. Close it, or Run it, which closes it.
func New(ctx context.Context, cfg Config) (*Server, error) {
	switch {
	case cfg.DataDir == "" && cfg.Postgres == "":
		return nil, errors.New("a data directory (--data DIR) or a PostgreSQL database (--postgres URL) is required")
	case cfg.DataDir != "" && cfg.Postgres != "":
		return nil, errors.New("give --data DIR (the embedded store) or --postgres URL (a PostgreSQL database), not both")
	case cfg.Postgres != "" && cfg.FilesDir == "":
		return nil, errors.New("--files DIR is required with --postgres: the directory of the files' chunks, the same one (a shared mount) for every server process")
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
	if cfg.MetricsListen != "" && cfg.MetricsListen == cfg.Listen && !strings.HasSuffix(cfg.Listen, ":0") {
		return nil, fmt.Errorf("--metrics-listen %s: the metrics have their own address, not the laptops' (--listen)", cfg.MetricsListen)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.FilesSweepEvery == 0 {
		cfg.FilesSweepEvery = DefaultFilesSweepEvery
	}
	if cfg.SeenEvery == 0 {
		cfg.SeenEvery = time.Minute
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	st, key, err := openEngine(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	if pg, ok := st.(*pgstore.Store); ok {
		// Listening for the directory's writes from the start, not from
		// the first laptop's sync: its token is kept from then on
		// (pgstore's tokencache.go).
		pg.Listen()
	}
	if cfg.FilesDir == "" {
		cfg.FilesDir = filepath.Join(cfg.DataDir, "files")
	}
	if cfg.FilesMinFree == 0 {
		cfg.FilesMinFree = 2 * cfg.MinFree
	}
	blobs, err := blobstore.OpenDir(cfg.FilesDir, blobstore.DirOptions{MinFree: cfg.FilesMinFree})
	if err != nil {
		st.Close()
		return nil, err
	}
	h, err := NewHandlers(ctx, st, Options{Logger: cfg.Logger, Rate: cfg.Rate, Burst: cfg.Burst, Key: key, Public: cfg.Public,
		Blobs: blobs, FilesQuota: cfg.FilesQuota, MaterialsQuota: cfg.MaterialsQuota,
		RequestMemory: cfg.RequestMemory, RequestWait: cfg.RequestWait})
	if err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, st: st, h: h, public: http.NewServeMux()}
	s.public.Handle("/", h.Sync)
	if cfg.ReleasesDir == "" && cfg.DataDir != "" {
		cfg.ReleasesDir = filepath.Join(cfg.DataDir, "releases")
	}
	if cfg.ReleasesDir != "" {
		rs, err := release.Open(cfg.ReleasesDir)
		if err != nil {
			st.Close()
			return nil, err
		}
		rh := rs.Handler()
		s.Mount("GET "+rel.PathLatest, rh)
		s.Mount("GET "+rel.PathFile, rh)
	}
	if h.Public != nil {
		s.Mount(public.Prefix, h.Public)
		// A person who types the server's address meets the register.
		s.Mount("GET /{$}", http.RedirectHandler(public.Prefix, http.StatusFound))
	}
	return s, nil
}

// openEngine opens the store cfg names, and its data key.
func openEngine(ctx context.Context, cfg *Config) (store.Store, []byte, error) {
	if cfg.Postgres != "" {
		return OpenPostgres(ctx, cfg.Postgres, pgstore.Options{Logger: cfg.Logger, MaxConns: cfg.PostgresConns})
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	if cfg.Key.Path == "" {
		loc, err := serverkey.Locate(cfg.DataDir, "", func(string) string { return "" })
		if err != nil {
			return nil, nil, err
		}
		cfg.Key = loc
	}
	return OpenStore(ctx, cfg.DataDir, cfg.Key, badgerstore.Options{Logger: cfg.Logger, MinFree: cfg.MinFree, Small: cfg.Small})
}

// OpenPostgres opens the PostgreSQL store at url and returns it with its
// data key: 32 random bytes kept in the database (pgstore.Secret), made
// by the first process and read by every other, or the key file of a
// Badger deployment that migrate moved there.
func OpenPostgres(ctx context.Context, url string, o pgstore.Options) (*pgstore.Store, []byte, error) {
	st, err := pgstore.Open(ctx, url, o)
	if err != nil {
		return nil, nil, err
	}
	key, err := st.Secret(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, key, nil
}

// Mount serves handler on the public listener under pattern (as
// http.ServeMux reads it, e.g. "/public/"), beside the sync API, which
// answers every path not mounted. Call it before Run; the handler brings
// its own middleware (package middleware).
func (s *Server) Mount(pattern string, handler http.Handler) { s.public.Handle(pattern, handler) }

// Handler is what the public listener serves (the sync API and what is
// mounted), for tests that serve it with httptest.
func (s *Server) Handler() http.Handler { return s.public }

// MetricsHandler is what the metrics listener serves.
func (s *Server) MetricsHandler() http.Handler { return s.h.Metrics }

// Files is the files service (quotas, for tests).
func (s *Server) Files() *files.Service { return s.h.Files }

// Admin is what the control socket serves.
func (s *Server) Admin() *admin.Local { return s.h.Admin }

// Addr is the address the public listener listens on, once Run has
// started listening.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// MetricsAddr is the metrics listener's address once Run has started
// listening (nil when there is none).
func (s *Server) MetricsAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.metricsAddr
}

// Close flushes last-seen times and closes the store. Run calls it.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.h.Presence.Flush(ctx, s.st); err != nil {
		s.log.Warn("last-seen times not saved", "err", err)
	}
	return s.st.Close()
}

// Run serves the public handlers (the sync API and what is mounted) on
// cfg.Listen, the metrics on cfg.MetricsListen if set, and administration
// on the control socket, until ctx ends; then it stops gracefully:
// requests in flight finish (a push is one transaction: it is committed and
// acknowledged, or not at all), and the store is closed. ready, if set, is
// called with the public address once every listener listens.
func (s *Server) Run(ctx context.Context, ready func(addr net.Addr)) (err error) {
	defer func() {
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}()
	var lns []net.Listener
	defer func() {
		if err != nil {
			for _, ln := range lns {
				ln.Close()
			}
		}
	}()
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	lns = append(lns, ln)
	var mln net.Listener
	if s.cfg.MetricsListen != "" {
		if mln, err = net.Listen("tcp", s.cfg.MetricsListen); err != nil {
			return fmt.Errorf("listen for metrics on %s: %w", s.cfg.MetricsListen, err)
		}
		lns = append(lns, mln)
	}
	// The control socket, for an embedded store: one process holds it,
	// and admin reaches it there. A PostgreSQL deployment's admin works
	// on the database.
	var ctl net.Listener
	if s.cfg.DataDir != "" {
		if ctl, err = admin.ListenSocket(s.cfg.DataDir); err != nil {
			return err
		}
		defer os.Remove(admin.SocketPath(s.cfg.DataDir))
	}
	s.mu.Lock()
	s.addr = ln.Addr()
	if mln != nil {
		s.metricsAddr = mln.Addr()
	}
	s.mu.Unlock()

	hs := &http.Server{
		Handler:           s.public,
		ReadHeaderTimeout: 30 * time.Second,
		// A 2G link moves ~10 KB/s: a full 4 MiB frame needs minutes.
		ReadTimeout:    10 * time.Minute,
		WriteTimeout:   10 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	var others []*http.Server // stopped after the public one
	errc := make(chan error, 3)
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
	if ctl != nil {
		cs := &http.Server{Handler: admin.Handler(s.h.Admin, s.log), ReadHeaderTimeout: 10 * time.Second}
		others = append(others, cs)
		go func() { errc <- cs.Serve(ctl) }()
	}
	if mln != nil {
		ms := &http.Server{Handler: metricsMux(s.h.Metrics, s.log), ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
		others = append(others, ms)
		go func() { errc <- ms.Serve(mln) }()
		if !IsLoopback(s.cfg.MetricsListen) {
			s.log.Warn("metrics are served in plain HTTP to whoever reaches this address: keep it on a private network or behind a firewall",
				"metrics", "http://"+mln.Addr().String()+"/metrics")
		}
	}
	scheme := "http"
	if s.cfg.TLSCert != "" {
		scheme = "https"
	}
	attrs := []any{"url", scheme + "://" + ln.Addr().String(), "server_id", s.h.Identity.ServerID}
	if pg, ok := s.st.(*pgstore.Store); ok {
		attrs = append(attrs, "postgres", pg.Where(), "files", s.cfg.FilesDir)
	} else {
		attrs = append(attrs, "data", s.cfg.DataDir, "control", admin.SocketPath(s.cfg.DataDir))
	}
	if mln != nil {
		attrs = append(attrs, "metrics", "http://"+mln.Addr().String()+"/metrics")
	}
	s.log.Info("serving", attrs...)
	if ready != nil {
		ready(ln.Addr())
	}

	if s.cfg.FilesSweepEvery > 0 && s.h.Files != nil {
		sweepCtx, stopSweeps := context.WithCancel(ctx)
		var sweeping sync.WaitGroup
		sweeping.Add(1)
		go func() {
			defer sweeping.Done()
			s.sweepFiles(sweepCtx)
		}()
		// Before the store closes (the deferred Close runs after this).
		defer func() {
			stopSweeps()
			sweeping.Wait()
		}()
	}

	tick := time.NewTicker(s.cfg.SeenEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if err := s.h.Presence.Flush(ctx, s.st); err != nil {
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
	for _, o := range others {
		o.Shutdown(sctx)
	}
	return err
}

// DefaultFilesSweepEvery: a removed attachment's room comes back a day or
// two after it was removed.
const DefaultFilesSweepEvery = 24 * time.Hour

// firstSweep is when the first sweep runs after the start (at most
// FilesSweepEvery): a server restarted more often than it sweeps still
// releases what it should.
const firstSweep = 10 * time.Minute

// sweepFiles releases the chunks no record names, every FilesSweepEvery,
// until ctx ends, saying in the log what each sweep did.
func (s *Server) sweepFiles(ctx context.Context) {
	wait := min(firstSweep, s.cfg.FilesSweepEvery)
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = s.cfg.FilesSweepEvery
		start := time.Now()
		r, err := s.h.Files.Sweep(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("the sweep of the files failed; it runs again later", "err", err)
			}
			continue
		}
		s.log.Info("files swept", "took", time.Since(start).Round(time.Millisecond), "records", r.Records,
			"released_chunks", r.ReleasedChunks, "released_bytes", r.ReleasedBytes, "blobs_deleted", r.BlobsDeleted,
			"orphans", r.Orphans, "condemned", r.Condemned, "pardoned", r.Pardoned,
			"unused_chunks", r.UnusedChunks, "unused_bytes", r.UnusedBytes)
	}
}

// metricsMux serves /metrics, logged at debug level (a scrape every few
// seconds), and nothing else.
func metricsMux(metrics http.Handler, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(syncproto.PathMetrics, metrics)
	return middleware.Log(middleware.Recover(mux, log, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "internal error", http.StatusInternalServerError)
	}), middleware.LogOptions{Logger: log, Quiet: func(*http.Request) bool { return true }})
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
