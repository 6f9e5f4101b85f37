package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvRequire, when set (CI sets it), makes a missing PostgreSQL a test
// failure instead of a skip, so that the PostgreSQL tests can never be
// skipped silently where they must run.
const EnvRequire = "KENESH_REQUIRE_POSTGRES"

// EnvBin names the directory of initdb, pg_ctl and postgres when they are
// not Debian's (/usr/lib/postgresql/N/bin) nor on PATH.
const EnvBin = "KENESH_POSTGRES_BIN"

// ErrNotInstalled is returned by Start when no PostgreSQL server binaries
// are found.
var ErrNotInstalled = errors.New("PostgreSQL's server binaries (initdb, pg_ctl, postgres) are not installed: apt-get install postgresql (.ci/ensure-deps does), or name their directory in $" + EnvBin)

// Options tune a cluster.
type Options struct {
	// Durable keeps PostgreSQL's defaults (fsync, synchronous commit,
	// full page writes), as a deployment runs it: for benchmarks. Tests
	// switch them off, since a test's database dies with the test.
	Durable bool
	// Settings are more server settings (name -> value), e.g.
	// shared_buffers.
	Settings map[string]string
}

// Cluster is a PostgreSQL server this process started, on a Unix socket in
// a temporary directory, with no TCP listener. It is stopped by Stop, or
// by a watcher when the process that started it ends without stopping it.
type Cluster struct {
	root    string // the temporary directory: data, socket, log
	data    string
	bin     string
	cred    *syscall.Credential // the server's user when this process is root
	watcher *exec.Cmd

	mu    sync.Mutex
	admin *pgx.Conn
	n     int
}

// User is the cluster's superuser (trust authentication on the socket).
const User = "kenesh"

// Bin returns the directory of PostgreSQL's server binaries, or
// ErrNotInstalled.
func Bin() (string, error) {
	if d := os.Getenv(EnvBin); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			return "", fmt.Errorf("$%s=%s: %w", EnvBin, d, err)
		}
		return d, nil
	}
	// Debian: /usr/lib/postgresql/15/bin; the newest version first.
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		return filepath.Dir(p), nil
	}
	return "", ErrNotInstalled
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start initialises and starts a new cluster. Run as root, the server runs
// as the postgres user (or nobody), since PostgreSQL refuses root.
func Start(o Options) (*Cluster, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	// The socket's path must fit sockaddr_un (107 bytes): keep it short.
	base := os.TempDir()
	if len(base) > 60 {
		base = "/tmp"
	}
	root, err := os.MkdirTemp(base, "kenesh-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	c := &Cluster{root: root, data: filepath.Join(root, "data"), bin: bin}
	ok := false
	defer func() {
		if !ok {
			c.Stop()
		}
	}()
	if os.Geteuid() == 0 {
		if c.cred, err = serverUser(); err != nil {
			return nil, err
		}
		if err := os.Chown(root, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	if err := c.watch(); err != nil {
		return nil, err
	}
	if out, err := c.run("initdb", "-D", c.data, "-A", "trust", "-U", User, "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	settings := map[string]string{"listen_addresses": "''", "max_connections": "300", "unix_socket_directories": "'" + root + "'"}
	if !o.Durable {
		for k, v := range map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"} {
			settings[k] = v
		}
	}
	for k, v := range o.Settings {
		settings[k] = v
	}
	var conf strings.Builder
	for k, v := range settings {
		fmt.Fprintf(&conf, "%s = %s\n", k, v)
	}
	f, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	_, err = f.WriteString(conf.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if out, err := c.run("pg_ctl", "-D", c.data, "-l", filepath.Join(root, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(root, "log"))
		return nil, fmt.Errorf("pgtest: pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c.admin, err = pgx.Connect(ctx, c.url("postgres", "")); err != nil {
		return nil, fmt.Errorf("pgtest: connect: %w", err)
	}
	ok = true
	return c, nil
}

// serverUser is who runs the server when this process is root.
func serverUser() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("pgtest: running as root, and there is no postgres or nobody user to run PostgreSQL as (it refuses root)")
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.root
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	return c.command(name, args...).CombinedOutput()
}

// watch starts a watcher that stops the server and removes its directory
// once this process is gone, however it ended (a test's timeout, a
// panic): a test binary never leaves a server behind.
func (c *Cluster) watch() error {
	script := fmt.Sprintf(`while [ -d /proc/%d ]; do sleep 0.5; done; %s -D %s stop -m immediate >/dev/null 2>&1; rm -rf %s`,
		os.Getpid(), filepath.Join(c.bin, "pg_ctl"), c.data, c.root)
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.cred}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start the watcher: %w", err)
	}
	c.watcher = cmd
	go cmd.Wait()
	return nil
}

// Stop stops the server now and removes its directory.
func (c *Cluster) Stop() error {
	if c.admin != nil {
		c.admin.Close(context.Background())
		c.admin = nil
	}
	var err error
	if _, serr := os.Stat(filepath.Join(c.data, "postmaster.pid")); serr == nil {
		if out, e := c.run("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop"); e != nil {
			err = fmt.Errorf("pgtest: pg_ctl stop: %w\n%s", e, out)
		}
	}
	if c.watcher != nil && c.watcher.Process != nil {
		c.watcher.Process.Kill()
	}
	os.RemoveAll(c.root)
	return err
}

// PID is the server's (the postmaster's) process id.
func (c *Cluster) PID() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(line))
}

// Socket is the directory of the server's Unix socket.
func (c *Cluster) Socket() string { return c.root }

func (c *Cluster) url(db, searchPath string) string {
	q := url.Values{"host": {c.root}, "sslmode": {"disable"}}
	if searchPath != "" {
		q.Set("search_path", searchPath)
	}
	return (&url.URL{Scheme: "postgres", User: url.User(User), Path: "/" + db, RawQuery: q.Encode()}).String()
}

// NewDatabase makes an empty database and returns its URL.
func (c *Cluster) NewDatabase(ctx context.Context, name string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return c.url(name, ""), nil
}

// NewSchema makes an empty schema in the database postgres and returns a
// URL whose connections work in it (search_path). A schema is made in a
// few milliseconds where a database takes a third of a second: each test
// has its own.
func (c *Cluster) NewSchema(ctx context.Context) (url, schema string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	schema = fmt.Sprintf("t%d", c.n)
	if _, err := c.admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", "", fmt.Errorf("pgtest: create schema: %w", err)
	}
	return c.url("postgres", schema), schema, nil
}

// DropSchema removes a schema NewSchema made, with everything in it.
func (c *Cluster) DropSchema(ctx context.Context, schema string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.admin.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

// The test binary's cluster, started at the first URL.
var (
	shared     *Cluster
	sharedErr  error
	sharedOnce sync.Once
)

// URL returns the address of an empty schema of its own for t, on the
// test binary's PostgreSQL server (started at the first call; stopped
// when the test binary ends). Without PostgreSQL installed, t is skipped,
// or fails when $KENESH_REQUIRE_POSTGRES is set.
func URL(t testing.TB) string {
	t.Helper()
	c := Shared(t)
	ctx := context.Background()
	u, schema, err := c.NewSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.DropSchema(ctx, schema); err != nil {
			t.Logf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	return u
}

// Shared returns the test binary's cluster, started at the first call,
// skipping or failing t as URL does when there is none.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start(Options{}) })
	switch {
	case errors.Is(sharedErr, ErrNotInstalled) && os.Getenv(EnvRequire) == "":
		t.Skipf("skipped: %v ($%s is unset; CI sets it so that these tests never skip there)", sharedErr, EnvRequire)
	case sharedErr != nil:
		t.Fatal(sharedErr)
	}
	return shared
}

// Main runs a package's tests and stops the test binary's server, if one
// was started, as soon as they end (the watcher would, a moment later):
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}
