package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"strings"

	"github.com/kenesh/kenesh/internal/version"
	"github.com/kenesh/kenesh/syncserver/internal/files"
	"github.com/kenesh/kenesh/syncserver/internal/public"
	"github.com/kenesh/kenesh/syncserver/internal/server"
	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
)

// keyFlag adds --key-file to fs.
func keyFlag(fs *flag.FlagSet) *string {
	return fs.String("key-file", "", "the data key file, outside the data directory (default $"+serverkey.EnvFile+
		", else the systemd credential "+serverkey.Credential+", else DATA.key beside the data directory; made at the first start)")
}

func init() {
	register(command{Name: "serve", Summary: "serve the sync API and the public register: serve {--data DIR | --postgres URL --files DIR} --listen ADDR [--tls-cert F --tls-key F] [--metrics-listen ADDR] [--public-challenge]", Run: runServe})
}

// serveFlagsSeen, when a test sets it, is given serve's flags instead of
// serving: the settings of the configuration file.
var serveFlagsSeen func(*flag.FlagSet)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "serve")
	var cfg server.Config
	w := storeFlags(e, fs)
	w.strictConfig = true
	conns := fs.Int("postgres-conns", 0, "connections of this process to PostgreSQL (default the larger of 4 and the number of CPUs)")
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:7480", "address of the sync API, host:port")
	fs.StringVar(&cfg.MetricsListen, "metrics-listen", "", "address of the Prometheus metrics (/metrics), host:port, e.g. 127.0.0.1:7481; plain HTTP, apart from the laptops (default: not served)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate (PEM, with its chain)")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "TLS private key (PEM)")
	fs.BoolVar(&cfg.InsecureHTTP, "insecure-http", false, "allow plain HTTP on an address other than loopback (only behind a TLS proxy on this host)")
	fs.Float64Var(&cfg.Rate, "rate", 2, "sync requests per second allowed per device (0: no limit)")
	fs.IntVar(&cfg.Burst, "burst", 20, "burst of sync requests allowed per device")
	fs.BoolVar(&cfg.Small, "small", false, "small Badger caches, for a machine with little memory")
	memLimit := memoryLimit(defaultMemoryLimit)
	fs.Var(&memLimit, "memory-limit", "soft limit of the server's Go memory (its heap, Badger's memtables, caches and buffers; not the pages of the store's files it maps), "+
		"e.g. 256MiB or 1GiB: near it the garbage collector works harder, no allocation fails (0: no limit; $GOMEMLIMIT if set and this is not)")
	reqMem := memoryLimit(server.DefaultRequestMemory)
	fs.Var(&reqMem, "request-memory", "bytes the laptops' requests being worked on may hold at once, all together (decoded requests and pull pages; "+
		"the bodies being received get half as much on top), e.g. 64MiB: past it a request waits up to 10 s for its share, then is answered busy (503, Retry-After) and its laptop tries again; "+
		"a request of several changes needing more than all of it is refused as too large (413) and its laptop sends fewer at a time")
	fs.StringVar(&cfg.FilesDir, "files", "", "directory of the files' chunks, sealed with the data key (default DATA/files; required with --postgres, the same for every process); back it up with the data directory")
	fs.Int64Var(&cfg.FilesQuota, "files-quota", files.DefaultQuota>>20, "MiB of files each council may keep on the server (negative: no quota)")
	fs.DurationVar(&cfg.FilesSweepEvery, "files-sweep-every", server.DefaultFilesSweepEvery, "how often the chunks of files no record names any more are looked for; one goes at the second look that finds it unnamed, and its room with it (0: only with admin files sweep)")
	fs.StringVar(&cfg.ReleasesDir, "releases", "", "directory of the app releases published with admin release publish, served to laptops (default DATA/releases; none with --postgres unless given)")
	fs.Int64Var(&cfg.MaterialsQuota, "materials-quota", files.DefaultMaterialQuota>>20, "MiB of trainers' materials the server keeps, all together (negative: no quota)")
	publicOn := fs.Bool("public", true, "serve the public register of published appeals under /public/ (false: the laptops' API only)")
	publicForm := fs.Bool("public-form", true, "serve the citizens' form and tracking pages with the register")
	fs.BoolVar(&cfg.Public.Guard.Challenge, "public-challenge", false, "ask the digits of a picture (or a recording) on the citizens' form: switch it on when spam gets through (with --postgres it switches it on for every process, in the database: admin public-challenge off switches it off)")
	fs.StringVar(&cfg.Public.Licence, "public-licence", "", "licence of the register's open data (default "+public.DefaultLicence+")")
	fs.BoolVar(&cfg.Public.Guard.TrustProxy, "public-trust-proxy", false, "take the citizen's address from X-Forwarded-For (a reverse proxy on this host), for the form's rate limits")
	fs.IntVar(&cfg.Public.Guard.MaxWaiting, "public-max-waiting", 500, "web submissions that may wait in one council's inbox; past it the form asks to try later")
	fs.Float64Var(&cfg.Public.Guard.PerAddress, "public-rate-address", 10, "web submissions an hour from one address (negative: no limit)")
	fs.Float64Var(&cfg.Public.Guard.PerNetwork, "public-rate-network", 60, "web submissions an hour from one network (/24 of IPv4, /48 of IPv6; negative: no limit)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	format := fs.String("log-format", "text", "text or json")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the server to this file until it stops (for go tool pprof)")
	traceFile := fs.String("trace", "", "write an execution trace of the server to this file until it stops (for go tool trace: where its goroutines run and wait)")
	const usage = "{--data DIR | --postgres URL --files DIR} --listen ADDR [--tls-cert FILE --tls-key FILE] [--metrics-listen ADDR]"
	if serveFlagsSeen != nil { // tests of the configuration file
		serveFlagsSeen(fs)
		return nil
	}
	if _, err := parse(fs, args, 0, usage); err != nil {
		return err
	}
	if err := w.check("usage: kenesh-syncserver serve " + usage); err != nil {
		return err
	}
	log, err := newLogger(e, *level, *format)
	if err != nil {
		return err
	}
	cfg.DataDir, cfg.Postgres, cfg.PostgresConns = *w.data, *w.postgres, int32(*conns)
	if cfg.DataDir != "" {
		if cfg.Key, err = serverkey.Locate(cfg.DataDir, *w.keyFile, e.getenv); err != nil {
			return err
		}
	}
	for name, q := range map[string]*int64{"files-quota": &cfg.FilesQuota, "materials-quota": &cfg.MaterialsQuota} {
		if *q == 0 {
			return usagef("--%s 0: no room would keep every file on the laptops; give MiB, or -1 for no quota", name)
		}
		if *q > 0 {
			*q <<= 20
		}
	}
	if reqMem < 1<<20 {
		return usagef("--request-memory %s: at least 1MiB (a single change larger than it gets it all, alone)", reqMem.String())
	}
	cfg.RequestMemory = int64(reqMem)
	if cfg.FilesSweepEvery == 0 {
		cfg.FilesSweepEvery = -1 // 0 in the flag: by hand only
	}
	cfg.Logger = log
	log.Info("kenesh-syncserver", "version", version.String())
	cfg.Public.Off, cfg.Public.NoForm = !*publicOn, !*publicForm
	// The garbage of a memtable's flush and of compactions comes in bursts
	// GOGC alone lets the heap grow by; a soft limit caps them.
	limit, set := memoryLimitFor(fs, memLimit)
	if set {
		debug.SetMemoryLimit(limit)
	}
	if pct, set := gcPercentFor(cfg.Postgres); set {
		floor := newGCFloor(pct, limit)
		floor.start()
		defer floor.stop()
	}
	if limit < math.MaxInt64 {
		log.Info("memory limit", "bytes", limit, "limit", formatBytes(limit))
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			return fmt.Errorf("--trace: %w", err)
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return fmt.Errorf("--trace: %w", err)
		}
		defer trace.Stop()
	}
	s, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	return s.Run(ctx, nil)
}

func newLogger(e *env, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: l}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, o)), nil
	}
	return nil, usagef("--log-format %q: want text or json", format)
}
