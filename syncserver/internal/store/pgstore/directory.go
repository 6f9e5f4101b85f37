package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// dirTx is one directory transaction.
type dirTx struct {
	ctx context.Context
	tx  pgx.Tx
}

// View implements store.Directory.
func (s *Store) View(ctx context.Context, fn func(store.DirTx) error) error {
	return s.readOnly(ctx, func(tx pgx.Tx) error { return fn(&dirTx{ctx: ctx, tx: tx}) })
}

// Update implements store.Directory. Once it is over, this process's
// kept tokens are forgotten (tokencache.go): what it wrote is seen by the
// next request here at once, not at its notification.
func (s *Store) Update(ctx context.Context, fn func(store.DirTx) error) error {
	defer s.tokens.forget()
	return s.serializable(ctx, func(tx pgx.Tx) error { return fn(&dirTx{ctx: ctx, tx: tx}) })
}

const deviceColumns = `d.id, d.name, d.device_name, d.council, d.role, d.enrolled, d.revoked, d.revoked_at, d.token_hash`

// scanDevice reads deviceColumns (and more into extra).
func scanDevice(row pgx.Row, extra ...any) (*store.Device, error) {
	var d store.Device
	var revokedAt *time.Time
	dest := append([]any{&d.ID, &d.Name, &d.DeviceName, &d.Council, &d.Role, &d.Enrolled, &d.Revoked, &revokedAt, &d.TokenHash}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	d.Enrolled = d.Enrolled.UTC()
	d.RevokedAt = utc(revokedAt)
	return &d, nil
}

// Device implements store.DirTx.
func (x *dirTx) Device(id string) (*store.Device, error) {
	if !validPart(id) {
		return nil, nil
	}
	d, err := scanDevice(x.tx.QueryRow(x.ctx, `SELECT `+deviceColumns+` FROM devices d WHERE d.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", id, err)
	}
	return d, nil
}

// PutDevice implements store.DirTx.
func (x *dirTx) PutDevice(d *store.Device) error {
	if !validPart(d.ID) {
		return fmt.Errorf("device id %q: not a valid name", d.ID)
	}
	for _, f := range []struct{ what, v string }{{"device name", d.Name}, {"the laptop's name", d.DeviceName}, {"council", d.Council}, {"role", d.Role}} {
		if err := checkText(f.what, f.v); err != nil {
			return err
		}
	}
	_, err := x.tx.Exec(x.ctx, `INSERT INTO devices (id, name, device_name, council, role, enrolled, revoked, revoked_at, token_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, device_name = EXCLUDED.device_name, council = EXCLUDED.council,
			role = EXCLUDED.role, enrolled = EXCLUDED.enrolled, revoked = EXCLUDED.revoked, revoked_at = EXCLUDED.revoked_at,
			token_hash = EXCLUDED.token_hash`,
		d.ID, d.Name, d.DeviceName, d.Council, d.Role, d.Enrolled, d.Revoked, d.RevokedAt, d.TokenHash)
	if err != nil {
		return fmt.Errorf("put device %s: %w", d.ID, err)
	}
	return nil
}

// SetToken implements store.DirTx.
func (x *dirTx) SetToken(d *store.Device, sum [32]byte) error {
	if len(d.TokenHash) == 32 {
		if _, err := x.tx.Exec(x.ctx, `DELETE FROM tokens WHERE hash = $1`, d.TokenHash); err != nil {
			return fmt.Errorf("unbind the old token: %w", err)
		}
	}
	d.TokenHash = append([]byte(nil), sum[:]...)
	_, err := x.tx.Exec(x.ctx, `INSERT INTO tokens (hash, device) VALUES ($1, $2) ON CONFLICT (hash) DO UPDATE SET device = EXCLUDED.device`,
		d.TokenHash, d.ID)
	if err != nil {
		return fmt.Errorf("bind a token: %w", err)
	}
	return nil
}

// TokenDevice implements store.DirTx.
func (x *dirTx) TokenDevice(sum [32]byte) (string, error) {
	var id string
	err := x.tx.QueryRow(x.ctx, `SELECT device FROM tokens WHERE hash = $1`, sum[:]).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// Code implements store.DirTx.
func (x *dirTx) Code(sum [32]byte) (*store.Code, error) {
	var c store.Code
	var usedAt *time.Time
	err := x.tx.QueryRow(x.ctx, `SELECT device, council, role, name, created, expires, used_by, used_at FROM codes WHERE hash = $1`, sum[:]).
		Scan(&c.Device, &c.Council, &c.Role, &c.Name, &c.Created, &c.Expires, &c.UsedBy, &usedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("enrollment code: %w", err)
	}
	c.Created, c.Expires, c.UsedAt = c.Created.UTC(), c.Expires.UTC(), utc(usedAt)
	return &c, nil
}

// PutCode implements store.DirTx.
func (x *dirTx) PutCode(sum [32]byte, c *store.Code) error {
	for _, f := range []struct{ what, v string }{{"device", c.Device}, {"council", c.Council}, {"role", c.Role}, {"name", c.Name}, {"device", c.UsedBy}} {
		if err := checkText(f.what, f.v); err != nil {
			return err
		}
	}
	_, err := x.tx.Exec(x.ctx, `INSERT INTO codes (hash, device, council, role, name, created, expires, used_by, used_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (hash) DO UPDATE SET device = EXCLUDED.device, council = EXCLUDED.council, role = EXCLUDED.role,
			name = EXCLUDED.name, created = EXCLUDED.created, expires = EXCLUDED.expires, used_by = EXCLUDED.used_by, used_at = EXCLUDED.used_at`,
		sum[:], c.Device, c.Council, c.Role, c.Name, c.Created, c.Expires, c.UsedBy, c.UsedAt)
	if err != nil {
		return fmt.Errorf("put enrollment code: %w", err)
	}
	return nil
}

// Authored implements store.DirTx: a device has an acknowledgement once
// any of its operations was judged.
func (x *dirTx) Authored(id string) (bool, error) {
	if !validPart(id) {
		return false, nil
	}
	var ok bool
	err := x.tx.QueryRow(x.ctx, `SELECT EXISTS (SELECT 1 FROM acked WHERE device = $1)`, id).Scan(&ok)
	return ok, err
}

// DeviceByToken implements store.Directory: kept in this process's memory
// while it listens for the directory's writes (tokencache.go), else one
// query. A revocation made through another process is seen within its
// notification's delivery (CatchUpDirectory waits for it).
func (s *Store) DeviceByToken(ctx context.Context, sum [32]byte) (*store.Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.startListening()
	d, gen := s.tokens.get(sum, time.Now())
	if d != nil {
		return d, nil
	}
	s.tokenReads.Add(1)
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceColumns+` FROM tokens t JOIN devices d ON d.id = t.device WHERE t.hash = $1`, sum[:]))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	s.tokens.put(sum, gen, d)
	return d, nil
}

// Devices implements store.Directory.
func (s *Store) Devices(ctx context.Context) ([]store.Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+deviceColumns+`, coalesce(a.seq, 0), w.at
		FROM devices d LEFT JOIN acked a ON a.device = d.id LEFT JOIN seen w ON w.device = d.id
		ORDER BY d.enrolled, d.id`)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	defer rows.Close()
	out := []store.Device{}
	for rows.Next() {
		var acked int64
		var seen *time.Time
		d, err := scanDevice(rows, &acked, &seen)
		if err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		d.Acked, d.LastSeen, d.TokenHash = u64(acked), utc(seen), nil
		out = append(out, *d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return out, nil
}

// CountDevices implements store.Directory.
func (s *Store) CountDevices(ctx context.Context) (active, revoked int, err error) {
	err = s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE NOT revoked), count(*) FILTER (WHERE revoked) FROM devices`).Scan(&active, &revoked)
	return active, revoked, err
}

// SetSeen implements store.Directory: one statement for the batch.
func (s *Store) SetSeen(ctx context.Context, seen map[string]time.Time) error {
	ids := make([]string, 0, len(seen))
	ats := make([]time.Time, 0, len(seen))
	for id, t := range seen {
		if validPart(id) {
			ids, ats = append(ids, id), append(ats, t)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO seen (device, at) SELECT * FROM unnest($1::text[], $2::timestamptz[])
		ON CONFLICT (device) DO UPDATE SET at = EXCLUDED.at`, ids, ats)
	if err != nil {
		return fmt.Errorf("save last-seen times: %w", classify(err))
	}
	return nil
}
