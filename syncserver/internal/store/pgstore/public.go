package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// PublicVersion implements store.Public.
func (s *Store) PublicVersion(ctx context.Context) (store.PublicStamp, error) {
	if err := ctx.Err(); err != nil {
		return store.PublicStamp{}, err
	}
	var n int64
	var at *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT public_n, public_at FROM log_state`).Scan(&n, &at); err != nil {
		return store.PublicStamp{}, fmt.Errorf("the public projection's version: %w", err)
	}
	v := store.PublicStamp{N: u64(n)}
	if at != nil {
		v.At = at.UTC().Truncate(time.Millisecond)
	}
	return v, nil
}

// ReadPublic implements store.Public. The snapshot is taken at once, by
// reading the version (PostgreSQL takes it at a transaction's first
// statement, which fn might make after a later commit).
func (s *Store) ReadPublic(ctx context.Context, fn func(store.PublicReader) error) error {
	return s.readOnly(ctx, func(tx pgx.Tx) error {
		v := &publicView{ctx: ctx, tx: tx}
		var n, from int64
		var at *time.Time
		if err := tx.QueryRow(ctx, `SELECT public_n, public_at, public_changes_from FROM log_state`).Scan(&n, &at, &from); err != nil {
			return fmt.Errorf("the public projection's version: %w", err)
		}
		v.stamp, v.changesFrom = store.PublicStamp{N: u64(n)}, u64(from)
		if at != nil {
			v.stamp.At = at.UTC().Truncate(time.Millisecond)
		}
		return fn(v)
	})
}

// publicView is a read-only snapshot of the projection.
type publicView struct {
	ctx         context.Context
	tx          pgx.Tx
	stamp       store.PublicStamp
	changesFrom uint64 // the first version whose changes are kept
}

func (v *publicView) Version() (store.PublicStamp, error) { return v.stamp, nil }

// each calls fn with every JSON value query returns.
func each(ctx context.Context, tx pgx.Tx, what, query string, fn func([]byte) error) error {
	rows, err := tx.Query(ctx, query)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

func (v *publicView) EachAppeal(fn func(*store.PublicAppeal) error) error {
	return each(v.ctx, v.tx, "public appeals", `SELECT appeal FROM public_appeals`, func(b []byte) error {
		var p store.PublicAppeal
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("damaged public appeal: %w", err)
		}
		return fn(&p)
	})
}

func (v *publicView) EachCompetition(fn func(*store.PublicCompetition) error) error {
	return each(v.ctx, v.tx, "public competitions", `SELECT competition FROM public_competitions ORDER BY id`, func(b []byte) error {
		var c store.PublicCompetition
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("damaged public competition: %w", err)
		}
		return fn(&c)
	})
}

func (v *publicView) EachCouncil(fn func(*store.PublicCouncil) error) error {
	return each(v.ctx, v.tx, "public councils", `SELECT council FROM public_councils ORDER BY code`, func(b []byte) error {
		var c store.PublicCouncil
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("damaged public council: %w", err)
		}
		return fn(&c)
	})
}

// AppealsChangedSince implements store.PublicChangeReader: the rows of
// public_changes after version n (the triggers of migration 3 write them),
// as far as this snapshot holds them.
func (v *publicView) AppealsChangedSince(n uint64, fn func(id string) error) (bool, error) {
	if n+1 < v.changesFrom {
		return false, nil
	}
	rows, err := v.tx.Query(v.ctx, `SELECT id FROM public_changes WHERE n > $1 ORDER BY n`, i64(n))
	if err != nil {
		return false, fmt.Errorf("the public projection's changes: %w", err)
	}
	var id string
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error { return fn(id) }); err != nil {
		return false, fmt.Errorf("the public projection's changes: %w", err)
	}
	return true, nil
}

func (v *publicView) Appeal(id string) (*store.PublicAppeal, error) {
	p, err := publicAppeal(v.ctx, v.tx, id)
	if err == nil && p == nil {
		err = fmt.Errorf("public appeal %s: %w", id, store.ErrNotFound)
	}
	return p, err
}

func (v *publicView) Tracking(sum [32]byte) (*store.Tracking, error) {
	var b []byte
	err := v.tx.QueryRow(v.ctx, `SELECT t.tracking FROM tracking_codes c JOIN trackings t ON t.submission = c.submission WHERE c.hash = $1`, sum[:]).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("tracking code: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("tracking code: %w", err)
	}
	return decodeTracking(b)
}

func (v *publicView) Waiting(council string) (int, error) {
	return waiting(v.ctx, v.tx, council, nil)
}

// waiting counts the council's waiting web submissions, leaving out those
// named in except (which the caller counts from its own writes).
func waiting(ctx context.Context, tx pgx.Tx, council string, except []string) (int, error) {
	if !validPart(council) {
		return 0, nil
	}
	if except == nil {
		except = []string{} // NULL would match no row at all
	}
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM trackings WHERE council = $1 AND status = $2 AND NOT (submission = ANY($3))`,
		council, string(domain.SubmissionWaiting), except).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("waiting web submissions: %w", err)
	}
	return n, nil
}

func publicAppeal(ctx context.Context, tx pgx.Tx, id string) (*store.PublicAppeal, error) {
	if !validPart(id) {
		return nil, nil
	}
	var b []byte
	err := tx.QueryRow(ctx, `SELECT appeal FROM public_appeals WHERE id = $1`, id).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("public appeal %s: %w", id, err)
	}
	var p store.PublicAppeal
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("damaged public appeal %s: %w", id, err)
	}
	return &p, nil
}

func decodeTracking(b []byte) (*store.Tracking, error) {
	var t store.Tracking
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("damaged tracking: %w", err)
	}
	return &t, nil
}

// public is what an Append writes of the projection, kept until flush.
type public struct {
	appeals  map[string][]byte // id -> JSON; nil: deleted
	councils map[string][]byte // code -> JSON; nil: deleted
	winners  map[string][]byte // competition id -> JSON; nil: deleted
	tracks   map[string]*trackEntry
	codes    map[[32]byte]string

	// What Prefetch read: the projection's copy of appeals (nil: none),
	// and the trackings that name each appeal, as the database held them.
	pubRead  map[string][]byte
	tracksOf map[string][]trackRow
}

type trackEntry struct {
	t *store.Tracking // the caller's copy is not kept: this one is
	b []byte
}

func newPublic() public {
	return public{appeals: map[string][]byte{}, councils: map[string][]byte{}, winners: map[string][]byte{}, tracks: map[string]*trackEntry{}, codes: map[[32]byte]string{},
		pubRead: map[string][]byte{}, tracksOf: map[string][]trackRow{}}
}

// PublicAppeal implements store.ProjectionTx.
func (w *logTx) PublicAppeal(id string) (*store.PublicAppeal, error) {
	if b, ok := w.appeals[id]; ok {
		if b == nil {
			return nil, nil
		}
		var p store.PublicAppeal
		err := json.Unmarshal(b, &p)
		return &p, err
	}
	if b, ok := w.pubRead[id]; ok {
		if b == nil {
			return nil, nil
		}
		var p store.PublicAppeal
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("damaged public appeal %s: %w", id, err)
		}
		return &p, nil
	}
	return publicAppeal(w.ctx, w.tx, id)
}

// PutPublicAppeal implements store.ProjectionTx.
func (w *logTx) PutPublicAppeal(p *store.PublicAppeal) error {
	if !validPart(p.ID) {
		return fmt.Errorf("public appeal: bad id %q", p.ID)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	save(w, w.appeals, p.ID)
	w.appeals[p.ID] = b
	return nil
}

// DeletePublicAppeal implements store.ProjectionTx.
func (w *logTx) DeletePublicAppeal(id string) error {
	if validPart(id) {
		save(w, w.appeals, id)
		w.appeals[id] = nil
	}
	return nil
}

// PutPublicCouncil implements store.ProjectionTx.
func (w *logTx) PutPublicCouncil(c *store.PublicCouncil) error {
	if !validPart(c.Code) {
		return fmt.Errorf("public council: bad code %q", c.Code)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	save(w, w.councils, c.Code)
	w.councils[c.Code] = b
	return nil
}

// DeletePublicCouncil implements store.ProjectionTx.
func (w *logTx) DeletePublicCouncil(code string) error {
	if validPart(code) {
		save(w, w.councils, code)
		w.councils[code] = nil
	}
	return nil
}

// PutPublicCompetition implements store.ProjectionTx.
func (w *logTx) PutPublicCompetition(c *store.PublicCompetition) error {
	if !validPart(c.ID) {
		return fmt.Errorf("public competition: bad id %q", c.ID)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	save(w, w.winners, c.ID)
	w.winners[c.ID] = b
	return nil
}

// DeletePublicCompetition implements store.ProjectionTx.
func (w *logTx) DeletePublicCompetition(id string) error {
	if validPart(id) {
		save(w, w.winners, id)
		w.winners[id] = nil
	}
	return nil
}

// TrackingOf implements store.ProjectionTx.
func (w *logTx) TrackingOf(submission string) (*store.Tracking, error) {
	if !validPart(submission) {
		return nil, nil
	}
	if e, ok := w.tracks[submission]; ok {
		return decodeTracking(e.b)
	}
	var b []byte
	err := w.tx.QueryRow(w.ctx, `SELECT tracking FROM trackings WHERE submission = $1`, submission).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tracking of %s: %w", submission, err)
	}
	return decodeTracking(b)
}

// PutTracking implements store.ProjectionTx: what readers find it by
// (its appeal, its council's waiting count) are its row's columns.
func (w *logTx) PutTracking(t *store.Tracking) error {
	if !validPart(t.Submission) || t.Council != "" && !validPart(t.Council) || t.Appeal != "" && !validPart(t.Appeal) {
		return fmt.Errorf("tracking: bad submission %q, council %q or appeal %q", t.Submission, t.Council, t.Appeal)
	}
	if err := checkText("tracking status", string(t.Status)); err != nil {
		return err
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	cp, err := decodeTracking(b)
	if err != nil {
		return err
	}
	save(w, w.tracks, t.Submission)
	w.tracks[t.Submission] = &trackEntry{t: cp, b: b}
	return nil
}

// TrackingsOfAppeal implements store.ProjectionTx: those in the database,
// as this transaction's writes leave them.
func (w *logTx) TrackingsOfAppeal(appeal string) ([]*store.Tracking, error) {
	if !validPart(appeal) {
		return nil, nil
	}
	var out []*store.Tracking
	take := func(sub string, b []byte) error {
		if _, mine := w.tracks[sub]; mine {
			return nil
		}
		t, err := decodeTracking(b)
		if err == nil && t.Appeal == appeal {
			out = append(out, t)
		}
		return err
	}
	if read, ok := w.tracksOf[appeal]; ok {
		for _, r := range read {
			if err := take(r.submission, r.b); err != nil {
				return nil, fmt.Errorf("trackings of %s: %w", appeal, err)
			}
		}
	} else {
		rows, err := w.tx.Query(w.ctx, `SELECT submission, tracking FROM trackings WHERE appeal = $1`, appeal)
		if err != nil {
			return nil, fmt.Errorf("trackings of %s: %w", appeal, err)
		}
		var sub string
		var b []byte
		if _, err := pgx.ForEachRow(rows, []any{&sub, &b}, func() error { return take(sub, b) }); err != nil {
			return nil, fmt.Errorf("trackings of %s: %w", appeal, err)
		}
	}
	for _, e := range w.tracks {
		if e.t.Appeal == appeal {
			t, err := decodeTracking(e.b)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *store.Tracking) int { return strings.Compare(a.Submission, b.Submission) })
	return out, nil
}

// BindCode implements store.ProjectionTx.
func (w *logTx) BindCode(sum [32]byte, submission string) error {
	if !validPart(submission) {
		return fmt.Errorf("tracking code: bad submission %q", submission)
	}
	if _, ok := w.codes[sum]; ok {
		return store.ErrCodeTaken
	}
	var taken bool
	if err := w.tx.QueryRow(w.ctx, `SELECT EXISTS (SELECT 1 FROM tracking_codes WHERE hash = $1)`, sum[:]).Scan(&taken); err != nil {
		return fmt.Errorf("tracking code: %w", err)
	}
	if taken {
		return store.ErrCodeTaken
	}
	save(w, w.codes, sum)
	w.codes[sum] = submission
	return nil
}

// Waiting implements store.ProjectionTx: the database's count of those
// this transaction did not write, and this transaction's.
func (w *logTx) Waiting(council string) (int, error) {
	if !validPart(council) {
		return 0, nil
	}
	mine := make([]string, 0, len(w.tracks))
	n := 0
	for sub, e := range w.tracks {
		mine = append(mine, sub)
		if e.t.Council == council && e.t.Status == domain.SubmissionWaiting {
			n++
		}
	}
	m, err := waiting(w.ctx, w.tx, council, mine)
	return n + m, err
}

// PublicRule implements store.ProjectionTx.
func (w *logTx) PublicRule() (int, error) { return w.rule, nil }

// SetPublicRule implements store.ProjectionTx.
func (w *logTx) SetPublicRule(n int) error {
	w.rule = n
	return nil
}

// queue adds the projection's writes to b and returns, by the batch's
// statement index, those whose rows affected mean the projection changed
// (a put of the same value, or a deletion of what is not there, changes
// nothing and affects no row).
func (p *public) queue(b *pgx.Batch) map[int]bool {
	changes := map[int]bool{}
	upsert := func(m map[string][]byte, table, key, col string) {
		var keys, dels []string
		var vals [][]byte
		for k, v := range m {
			if v == nil {
				dels = append(dels, k)
			} else {
				keys, vals = append(keys, k), append(vals, v)
			}
		}
		if len(keys) > 0 {
			changes[b.Len()] = true
			b.Queue(fmt.Sprintf(`INSERT INTO %[1]s (%[2]s, %[3]s) SELECT * FROM unnest($1::text[], $2::bytea[])
				ON CONFLICT (%[2]s) DO UPDATE SET %[3]s = EXCLUDED.%[3]s WHERE %[1]s.%[3]s IS DISTINCT FROM EXCLUDED.%[3]s`, table, key, col), keys, vals)
		}
		if len(dels) > 0 {
			changes[b.Len()] = true
			b.Queue(fmt.Sprintf(`DELETE FROM %s WHERE %s = ANY($1)`, table, key), dels)
		}
	}
	upsert(p.appeals, "public_appeals", "id", "appeal")
	upsert(p.councils, "public_councils", "code", "council")
	upsert(p.winners, "public_competitions", "id", "competition")
	if len(p.tracks) > 0 {
		var subs, councils, statuses, appeals []string
		var vals [][]byte
		for sub, e := range p.tracks {
			subs, councils, statuses, appeals = append(subs, sub), append(councils, e.t.Council), append(statuses, string(e.t.Status)), append(appeals, e.t.Appeal)
			vals = append(vals, e.b)
		}
		b.Queue(`INSERT INTO trackings (submission, council, status, appeal, tracking)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[])
			ON CONFLICT (submission) DO UPDATE SET council = EXCLUDED.council, status = EXCLUDED.status, appeal = EXCLUDED.appeal, tracking = EXCLUDED.tracking`,
			subs, councils, statuses, appeals, vals)
	}
	if len(p.codes) > 0 {
		var sums [][]byte
		var subs []string
		for sum, sub := range p.codes {
			sums, subs = append(sums, append([]byte(nil), sum[:]...)), append(subs, sub)
		}
		b.Queue(`INSERT INTO tracking_codes (hash, submission) SELECT * FROM unnest($1::bytea[], $2::text[])`, sums, subs)
	}
	return changes
}

// metaChallenge is the meta row of the citizens' form's challenge switch:
// "on" or "off" (absent: off).
const metaChallenge = "public_challenge"

var _ store.ChallengeSwitch = (*Store)(nil)

// Challenge implements store.ChallengeSwitch.
func (s *Store) Challenge(ctx context.Context) (bool, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE name = $1`, metaChallenge).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("the form's challenge switch: %w", err)
	}
	return v == "on", nil
}

// SetChallenge implements store.ChallengeSwitch.
func (s *Store) SetChallenge(ctx context.Context, on bool) error {
	v := "off"
	if on {
		v = "on"
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`, metaChallenge, v)
	if err != nil {
		return fmt.Errorf("the form's challenge switch: %w", classify(err))
	}
	return nil
}
