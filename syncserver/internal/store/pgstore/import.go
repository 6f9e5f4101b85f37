package pgstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// ErrNotEmpty is Import into a database that holds a deployment already.
var ErrNotEmpty = errors.New("the PostgreSQL database holds a deployment already (devices, codes, operations or records): import only into a new, empty one")

// Imported counts what Import took in.
type Imported struct {
	Devices, Tokens, Codes, Ops, Refusals, States, Conflicts int
	PublicAppeals, PublicCouncils, Trackings, Chunks         int
	PublicCompetitions                                       int
}

// importBatch is how many rows of one table are sent at once.
const importBatch = 2000

// Import takes in everything from (another engine's store, as it exports
// itself) into this database, which must hold no deployment yet, with
// key as the deployment's data key (the old deployment's key file: the
// files it sealed stay readable, the forms it gave out stay valid). It
// runs in one transaction, holding the log, so that it is all there or
// none of it is, and no server process appends meanwhile.
func (s *Store) Import(ctx context.Context, from store.Exporter, key []byte) (*Imported, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("import: the data key is %d bytes, want 32", len(key))
	}
	var n *Imported
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM log_state FOR UPDATE`); err != nil {
			return err
		}
		var used bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM devices) OR EXISTS (SELECT 1 FROM codes) OR EXISTS (SELECT 1 FROM log)
			OR EXISTS (SELECT 1 FROM refusals) OR EXISTS (SELECT 1 FROM states) OR EXISTS (SELECT 1 FROM chunks)`).Scan(&used)
		if err != nil {
			return err
		}
		if used {
			return ErrNotEmpty
		}
		im := newImporter(ctx, tx)
		if err := from.Export(ctx, im.take); err != nil {
			return err
		}
		if im.meta == nil {
			return errors.New("import: the store exported no meta item")
		}
		if err := im.flush(true); err != nil {
			return err
		}
		m := im.meta
		names, values := []string{metaSecret}, []string{hex.EncodeToString(key)}
		if m.Identity.ServerID != "" && m.Identity.Device != "" {
			// (A store never served has none yet: this one makes its own.)
			names, values = append(names, metaServerID, metaServerDevice), append(values, m.Identity.ServerID, m.Identity.Device)
		}
		_, err = tx.Exec(ctx, `INSERT INTO meta (name, value) SELECT * FROM unnest($1::text[], $2::text[])
			ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`, names, values)
		if err != nil {
			return err
		}
		var at *time.Time
		if !m.Public.At.IsZero() {
			at = &m.Public.At
		}
		_, err = tx.Exec(ctx, `UPDATE log_state SET head = $1, clock = $2, public_n = $3, public_at = $4, public_rule = $5, public_changes_from = $3::bigint + 1`,
			i64(m.Head), i64(uint64(m.Clock)), i64(m.Public.N), at, m.PublicRule)
		if err != nil {
			return err
		}
		// The projection's rows came in without versions of their own (the
		// triggers noted them as changes of version 1): readers read it
		// whole once, then follow the changes of the versions after it.
		if _, err := tx.Exec(ctx, `DELETE FROM public_changes`); err != nil {
			return err
		}
		n = &im.n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import: %w", classify(err))
	}
	return n, nil
}

// importer keeps the rows of each table until there are enough to send.
type importer struct {
	ctx  context.Context
	tx   pgx.Tx
	meta *store.Meta
	n    Imported
	rows map[string]*table
	log  logRows // the log's rows, made of the Op items (in server order)
}

// table is the pending rows of one table, as columns for unnest.
type table struct {
	sql  string
	cols [][]any
	n    int
}

// The tables Import fills, and their insert statements (SQL types of the
// columns, in order).
var importTables = map[string]struct {
	sql   string
	types []string
}{
	"devices": {`INSERT INTO devices (id, name, device_name, council, role, enrolled, revoked, revoked_at, token_hash)`,
		[]string{"text", "text", "text", "text", "text", "timestamptz", "boolean", "timestamptz", "bytea"}},
	"seen":                {`INSERT INTO seen (device, at)`, []string{"text", "timestamptz"}},
	"tokens":              {`INSERT INTO tokens (hash, device)`, []string{"bytea", "text"}},
	"codes":               {`INSERT INTO codes (hash, device, council, role, name, created, expires, used_by, used_at)`, []string{"bytea", "text", "text", "text", "text", "timestamptz", "timestamptz", "text", "timestamptz"}},
	"acked":               {`INSERT INTO acked (device, seq)`, []string{"text", "bigint"}},
	"refusals":            {`INSERT INTO refusals (device, seq, hlc, kind, record, code, message, op, at)`, []string{"text", "bigint", "bigint", "bytea", "bytea", "bytea", "bytea", "bytea", "timestamptz"}},
	"states":              {`INSERT INTO states (kind, id, state)`, []string{"text", "text", "bytea"}},
	"conflicts":           {`INSERT INTO conflicts (kind, record, field, hlc, device, conflict)`, []string{"text", "text", "text", "bigint", "text", "bytea"}},
	"public_appeals":      {`INSERT INTO public_appeals (id, appeal)`, []string{"text", "bytea"}},
	"public_councils":     {`INSERT INTO public_councils (code, council)`, []string{"text", "bytea"}},
	"public_competitions": {`INSERT INTO public_competitions (id, competition)`, []string{"text", "bytea"}},
	"trackings":           {`INSERT INTO trackings (submission, council, status, appeal, tracking)`, []string{"text", "text", "text", "text", "bytea"}},
	"tracking_codes":      {`INSERT INTO tracking_codes (hash, submission)`, []string{"bytea", "text"}},
	"chunks":              {`INSERT INTO chunks (owner, sum, size)`, []string{"text", "bytea", "bigint"}},
}

func newImporter(ctx context.Context, tx pgx.Tx) *importer {
	im := &importer{ctx: ctx, tx: tx, rows: map[string]*table{}}
	for name, t := range importTables {
		sql := t.sql + " SELECT * FROM unnest("
		for i, typ := range t.types {
			if i > 0 {
				sql += ", "
			}
			sql += fmt.Sprintf("$%d::%s[]", i+1, typ)
		}
		im.rows[name] = &table{sql: sql + ")", cols: make([][]any, len(t.types))}
	}
	return im
}

// add queues one row of table name, sending the table's rows when there
// are enough.
func (im *importer) add(name string, values ...any) error {
	t := im.rows[name]
	for i, v := range values {
		t.cols[i] = append(t.cols[i], v)
	}
	t.n++
	if t.n >= importBatch {
		return im.send(t)
	}
	return nil
}

// send inserts a table's pending rows. Each column goes as an array of
// its SQL type (pgx encodes a []any by its elements).
func (im *importer) send(t *table) error {
	if t.n == 0 {
		return nil
	}
	args := make([]any, len(t.cols))
	for i, c := range t.cols {
		args[i] = c
	}
	if _, err := im.tx.Exec(im.ctx, t.sql, args...); err != nil {
		return err
	}
	for i := range t.cols {
		t.cols[i] = t.cols[i][:0]
	}
	t.n = 0
	return nil
}

// sendLog inserts the log's pending rows (a row cut here goes on in a row
// of its own).
func (im *importer) sendLog() error {
	if len(im.log.last) == 0 {
		return nil
	}
	if _, err := im.tx.Exec(im.ctx, insertLog, im.log.args()...); err != nil {
		return err
	}
	im.log.reset()
	return nil
}

func (im *importer) flush(final bool) error {
	if err := im.sendLog(); err != nil {
		return err
	}
	for _, t := range im.rows {
		if err := im.send(t); err != nil {
			return err
		}
	}
	if !final {
		return nil
	}
	// Each owner's usage is what it holds.
	_, err := im.tx.Exec(im.ctx, `INSERT INTO chunk_usage (owner, chunks, bytes) SELECT owner, count(*), sum(size) FROM chunks GROUP BY owner`)
	return err
}

// take is the Exporter's callback: one item to its table.
func (im *importer) take(it store.Item) error {
	switch {
	case it.Meta != nil:
		m := *it.Meta
		im.meta = &m
	case it.Device != nil:
		d := it.Device
		for _, f := range []string{d.ID, d.Name, d.DeviceName, d.Council, d.Role} {
			if err := checkText("device", f); err != nil {
				return err
			}
		}
		im.n.Devices++
		if err := im.add("devices", d.ID, d.Name, d.DeviceName, d.Council, d.Role, d.Enrolled, d.Revoked, d.RevokedAt, d.TokenHash); err != nil {
			return err
		}
		if d.LastSeen != nil {
			return im.add("seen", d.ID, *d.LastSeen)
		}
	case it.Token != nil:
		im.n.Tokens++
		return im.add("tokens", it.Token.Sum[:], it.Token.Device)
	case it.Code != nil:
		c := it.Code.Code
		im.n.Codes++
		return im.add("codes", it.Code.Sum[:], c.Device, c.Council, c.Role, c.Name, c.Created, c.Expires, c.UsedBy, c.UsedAt)
	case it.Acked != nil:
		return im.add("acked", it.Acked.Device, i64(it.Acked.Seq))
	case it.Op != nil:
		op := it.Op.Op
		b, err := op.AppendBinary(nil)
		if err != nil {
			return err
		}
		im.n.Ops++
		im.log.add(i64(it.Op.Seq), op.Device, i64(op.Seq), ixOf(it.Op.Index), b)
		if len(im.log.ops) >= importBatch {
			return im.sendLog()
		}
	case it.Refusal != nil:
		r := it.Refusal
		im.n.Refusals++
		return im.add("refusals", r.Device, i64(r.Seq), i64(r.HLC), []byte(r.Kind), []byte(r.Record), []byte(r.Code), []byte(r.Message), []byte(r.Op), r.At)
	case it.State != nil:
		b, err := it.State.AppendBinary(nil)
		if err != nil {
			return err
		}
		im.n.States++
		return im.add("states", it.State.Kind, it.State.ID, b)
	case it.Conflict != nil:
		c := it.Conflict
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		im.n.Conflicts++
		return im.add("conflicts", c.Kind, c.Record, c.Field, i64(uint64(c.Loser.HLC)), c.Loser.Device, b)
	case it.PublicAppeal != nil:
		b, err := json.Marshal(it.PublicAppeal)
		if err != nil {
			return err
		}
		im.n.PublicAppeals++
		return im.add("public_appeals", it.PublicAppeal.ID, b)
	case it.PublicCouncil != nil:
		b, err := json.Marshal(it.PublicCouncil)
		if err != nil {
			return err
		}
		im.n.PublicCouncils++
		return im.add("public_councils", it.PublicCouncil.Code, b)
	case it.PublicCompetition != nil:
		b, err := json.Marshal(it.PublicCompetition)
		if err != nil {
			return err
		}
		im.n.PublicCompetitions++
		return im.add("public_competitions", it.PublicCompetition.ID, b)
	case it.Tracking != nil:
		t := it.Tracking
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		im.n.Trackings++
		return im.add("trackings", t.Submission, t.Council, string(t.Status), t.Appeal, b)
	case it.TrackingCode != nil:
		return im.add("tracking_codes", it.TrackingCode.Sum[:], it.TrackingCode.Submission)
	case it.Chunk != nil:
		im.n.Chunks++
		return im.add("chunks", it.Chunk.Owner, it.Chunk.Sum[:], it.Chunk.Size)
	default:
		return errors.New("import: an empty item")
	}
	return nil
}
