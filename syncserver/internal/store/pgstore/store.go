package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Options tune the store.
type Options struct {
	// Logger receives what the engine has to say (migrations); nil:
	// slog.Default().
	Logger *slog.Logger
	// MaxConns bounds the pool's connections to the database (0: the URL's
	// pool_max_conns, else pgxpool's default, 4 or the number of CPUs).
	MaxConns int32
	// IdleInTransaction is how long a transaction of this store may wait
	// on the server process between its statements before PostgreSQL ends
	// it (0: DefaultIdleInTransaction; the URL's
	// idle_in_transaction_session_timeout wins): a process frozen or cut
	// off in the middle of an append does not hold the log, and every
	// other process's appends, for ever.
	IdleInTransaction time.Duration
}

// DefaultIdleInTransaction is Options.IdleInTransaction's default: far
// longer than judging the largest change set takes.
const DefaultIdleInTransaction = 2 * time.Minute

// Store is the server's store on PostgreSQL, a store.Store. Its methods are
// safe for concurrent use, and any number of Stores, in any number of
// processes, may share one database.
type Store struct {
	pool  *pgxpool.Pool
	log   *slog.Logger
	where string
	// connConfig is the pool's connections' configuration (the
	// listener's connection is made from it).
	connConfig *pgx.ConnConfig

	// DeviceByToken's answers, kept while this process listens for the
	// directory's writes (tokencache.go), and the listener.
	tokens        tokenCache
	listenOnce    sync.Once
	stopListening context.CancelFunc
	listenDone    chan struct{}
	listenPID     atomic.Uint32 // the listening connection's backend (for tests)
	tokenReads    atomic.Int64  // DeviceByToken's queries (for tests)
	fills         atomic.Int64  // fillOnce's reads of every token (for tests)

	// The log's last operations as this process's pulls decoded them.
	tail store.Tail
	// reached: how far this process's pulls of each scope's rows went
	// (a *atomic.Uint64 by index values; pull).
	reached sync.Map

	// The appends waiting in this process, and whether one of them leads
	// (group.go).
	amu     sync.Mutex
	pending []*appendReq
	leading bool
	groups  atomic.Int64 // transactions of appends begun (for tests)
	// soloCommits counts the groups committed in a round trip of their
	// own rather than in their last batch (for tests).
	soloCommits atomic.Int64

	// Devices whose acknowledgement a ReadLog read lately (ackhint.go):
	// their Append likely follows, and the next group reads them with the
	// log's lock. A hint only saves a round trip; nothing relies on it.
	hmu   sync.Mutex
	hints map[string]int // device -> groups that took it
	// ackReads counts acknowledgements read one at a time inside appends
	// (for tests).
	ackReads atomic.Int64
	// ackWaits counts WaitAcked's reads (for tests).
	ackWaits atomic.Int64
	// readSnapshots counts the ReadLogs that read more than once, and so
	// began a transaction; readAgain those whose function ran again
	// (readlog.go; for tests).
	readSnapshots, readAgain atomic.Int64
}

var _ store.Store = (*Store)(nil)

// ErrURL is a connection string that does not parse.
var ErrURL = errors.New("--postgres wants a PostgreSQL connection URL, e.g. postgres://kenesh@db.example/kenesh?sslmode=verify-full, or host=/run/postgresql dbname=kenesh")

// Open connects to the database at url (a postgres:// URL or key=value
// pairs, as libpq reads them; the password may come from ~/.pgpass or
// $PGPASSWORD), brings its schema up to date and returns the store.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrURL, err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.IdleInTransaction <= 0 {
		o.IdleInTransaction = DefaultIdleInTransaction
	}
	rp := cfg.ConnConfig.RuntimeParams
	if _, ok := rp["idle_in_transaction_session_timeout"]; !ok {
		rp["idle_in_transaction_session_timeout"] = fmt.Sprint(o.IdleInTransaction.Milliseconds())
	}
	if _, ok := rp["application_name"]; !ok {
		rp["application_name"] = "kenesh-syncserver"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL: %w", err)
	}
	s := &Store{pool: pool, log: o.Logger, where: where(cfg), connConfig: cfg.ConnConfig}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", where(cfg), err)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// where names the database a config points at, without its password.
func where(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("host=%s port=%d dbname=%s user=%s", c.Host, c.Port, c.Database, c.User)
}

// Where names the database, without its password (for logs).
func (s *Store) Where() string { return s.where }

// Close stops the directory's listener and closes the pool.
func (s *Store) Close() error {
	s.listenOnce.Do(func() {}) // none starts after this
	if s.stopListening != nil {
		s.stopListening()
		<-s.listenDone
	}
	s.pool.Close()
	return nil
}

// readOnly runs fn in a REPEATABLE READ, read-only transaction: one
// snapshot for everything fn reads.
func (s *Store) readOnly(ctx context.Context, fn func(pgx.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
	return classify(err)
}

// serializable runs fn in a SERIALIZABLE transaction, again when
// PostgreSQL could not serialize it with another (fn may run more than
// once, as the contract says).
func (s *Store) serializable(ctx context.Context, fn func(pgx.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, fn)
		if retryable(err) && attempt < 30 {
			select {
			case <-time.After(time.Duration(attempt+1) * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		return classify(err)
	}
}

// retryable is a transaction PostgreSQL gave up to let another commit.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// classify turns PostgreSQL's full disk into the contract's ErrDiskFull;
// other errors are returned as they are (a function's own error too).
func classify(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "53100" || pe.Code == "53200") {
		return fmt.Errorf("%w (PostgreSQL: %s)", store.ErrDiskFull, pe.Message)
	}
	return err
}

// validPart reports whether s may name a device, kind, record or council:
// the protocol's rule, which the embedded engine's keys rely on too.
func validPart(s string) bool { return syncproto.ValidName(s) }

// checkText refuses a text PostgreSQL cannot keep in a text column (a NUL
// character), saying which value it is.
func checkText(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%s %q holds a NUL character, which the server cannot keep: remove it", what, s)
	}
	return nil
}

// Meta names.
const (
	metaServerID     = "server_id"     // identifies this server to laptops
	metaServerDevice = "server_device" // the device id of the server's own operations
	metaSecret       = "secret"        // 32 random bytes (hex): the server's own secret
)

// Identity implements store.Store: made by the first process that asks,
// the same for every other.
func (s *Store) Identity(ctx context.Context) (store.Identity, error) {
	var id store.Identity
	if err := ctx.Err(); err != nil {
		return id, err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2), ($3, $4) ON CONFLICT (name) DO NOTHING`,
		metaServerID, domain.NewID(), metaServerDevice, domain.NewID())
	if err != nil {
		return id, fmt.Errorf("the server's identity: %w", classify(err))
	}
	rows, err := s.pool.Query(ctx, `SELECT name, value FROM meta WHERE name = ANY($1)`, []string{metaServerID, metaServerDevice})
	if err != nil {
		return id, fmt.Errorf("the server's identity: %w", err)
	}
	var name, value string
	_, err = pgx.ForEachRow(rows, []any{&name, &value}, func() error {
		if name == metaServerID {
			id.ServerID = value
		} else {
			id.Device = value
		}
		return nil
	})
	if err == nil && (id.ServerID == "" || id.Device == "") {
		err = errors.New("the meta table lacks it")
	}
	if err != nil {
		return store.Identity{}, fmt.Errorf("the server's identity: %w", err)
	}
	return id, nil
}

// Secret returns 32 random bytes kept in the database, made by the first
// process that asks and the same for every other: what the embedded
// engine's deployment derives from its key file (the public form's
// tokens), every process of a PostgreSQL deployment derives from this.
func (s *Store) Secret(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, metaSecret, hex.EncodeToString(fresh))
	if err != nil {
		return nil, fmt.Errorf("the server's secret: %w", classify(err))
	}
	var v string
	if err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE name = $1`, metaSecret).Scan(&v); err != nil {
		return nil, fmt.Errorf("the server's secret: %w", err)
	}
	b, err := hex.DecodeString(v)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("the server's secret: damaged in the meta table")
	}
	return b, nil
}

// u64 and i64 keep unsigned 64-bit values (clocks) in bigint columns.
func i64(u uint64) int64 { return int64(u) }
func u64(i int64) uint64 { return uint64(i) }

// utc reads a timestamptz back as the UTC time it was written as.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
