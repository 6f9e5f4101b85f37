package pgstore

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

var _ store.Prefetcher = (*logTx)(nil)

// Prefetch implements store.Prefetcher: the states of the records named,
// and of the appeals among them their copy in the projection and the web
// submissions that name them, in one round trip of three queries. What it
// reads is kept as the transaction's reads are (nothing else writes these
// tables while the Append holds the log), so State, PublicAppeal and
// TrackingsOfAppeal find it without asking the database again.
func (w *logTx) Prefetch(keys []store.RecordKey) error {
	b := &pgx.Batch{}
	w.queuePrefetch(b, keys)
	if b.Len() == 0 {
		return nil
	}
	return w.tx.SendBatch(w.ctx, b).Close()
}

// queuePrefetch queues in b the reads of Prefetch for the records named
// that w has not read yet; their results are kept when b is sent. The
// group's batch that takes the log queues them too (AppendKeyed), after
// the lock: each statement of a READ COMMITTED transaction sees what was
// committed before it began, so what they read is current.
func (w *logTx) queuePrefetch(b *pgx.Batch, keys []store.RecordKey) {
	var kinds, ids, appeals []string
	seen := map[string]bool{}
	for _, k := range keys {
		key := k.Kind + ":" + k.ID
		if !validPart(k.Kind) || !validPart(k.ID) || seen[key] {
			continue
		}
		seen[key] = true
		if _, ok := w.states[key]; !ok {
			kinds, ids = append(kinds, k.Kind), append(ids, k.ID)
		}
		if _, known := w.tracksOf[k.ID]; k.Kind == domain.KindAppeal && !known {
			appeals = append(appeals, k.ID)
		}
	}
	if len(kinds) > 0 {
		b.Queue(`SELECT s.kind, s.id, s.state FROM unnest($1::text[], $2::text[]) AS k(kind, id)
			JOIN states s ON s.kind = k.kind AND s.id = k.id`, kinds, ids).Query(func(rows pgx.Rows) error {
			found := map[string][]byte{}
			var kind, id string
			var st []byte
			if _, err := pgx.ForEachRow(rows, []any{&kind, &id, &st}, func() error {
				found[kind+":"+id] = st
				return nil
			}); err != nil {
				return fmt.Errorf("prefetch states: %w", err)
			}
			for i := range kinds {
				key := kinds[i] + ":" + ids[i]
				if _, ok := w.states[key]; !ok { // (read meanwhile: keep what was read)
					w.states[key] = stateEntry{kind: kinds[i], id: ids[i], b: found[key], absent: found[key] == nil} // nil: there is none
				}
			}
			return nil
		})
	}
	if len(appeals) > 0 {
		b.Queue(`SELECT id, appeal FROM public_appeals WHERE id = ANY($1)`, appeals).Query(func(rows pgx.Rows) error {
			pub := map[string][]byte{}
			var id string
			var v []byte
			if _, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error {
				pub[id] = v
				return nil
			}); err != nil {
				return fmt.Errorf("prefetch public appeals: %w", err)
			}
			for _, id := range appeals {
				if _, ok := w.pubRead[id]; !ok {
					w.pubRead[id] = pub[id] // nil: there is none
				}
			}
			return nil
		})
		b.Queue(`SELECT appeal, submission, tracking FROM trackings WHERE appeal = ANY($1)`, appeals).Query(func(rows pgx.Rows) error {
			tracks := map[string][]trackRow{}
			var id, sub string
			var v []byte
			if _, err := pgx.ForEachRow(rows, []any{&id, &sub, &v}, func() error {
				tracks[id] = append(tracks[id], trackRow{sub, v})
				return nil
			}); err != nil {
				return fmt.Errorf("prefetch trackings: %w", err)
			}
			for _, id := range appeals {
				if _, ok := w.tracksOf[id]; !ok {
					w.tracksOf[id] = tracks[id]
				}
			}
			return nil
		})
	}
}

// trackRow is a tracking as read: its submission and JSON.
type trackRow struct {
	submission string
	b          []byte
}
