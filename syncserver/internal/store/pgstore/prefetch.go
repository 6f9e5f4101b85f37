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
	if len(kinds) == 0 && len(appeals) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	if len(kinds) > 0 {
		b.Queue(`SELECT s.kind, s.id, s.state FROM unnest($1::text[], $2::text[]) AS k(kind, id)
			JOIN states s ON s.kind = k.kind AND s.id = k.id`, kinds, ids)
	}
	if len(appeals) > 0 {
		b.Queue(`SELECT id, appeal FROM public_appeals WHERE id = ANY($1)`, appeals)
		b.Queue(`SELECT appeal, submission, tracking FROM trackings WHERE appeal = ANY($1)`, appeals)
	}
	br := w.tx.SendBatch(w.ctx, b)
	defer br.Close()
	if len(kinds) > 0 {
		found := map[string][]byte{}
		var kind, id string
		var st []byte
		rows, _ := br.Query()
		if _, err := pgx.ForEachRow(rows, []any{&kind, &id, &st}, func() error {
			found[kind+":"+id] = st
			return nil
		}); err != nil {
			return fmt.Errorf("prefetch states: %w", err)
		}
		for i := range kinds {
			key := kinds[i] + ":" + ids[i]
			w.states[key] = stateEntry{kind: kinds[i], id: ids[i], b: found[key], absent: found[key] == nil} // nil: there is none
		}
	}
	if len(appeals) > 0 {
		for _, id := range appeals {
			w.pubRead[id] = nil
			w.tracksOf[id] = nil
		}
		var id, sub string
		var v []byte
		rows, _ := br.Query()
		if _, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error {
			w.pubRead[id] = v
			return nil
		}); err != nil {
			return fmt.Errorf("prefetch public appeals: %w", err)
		}
		rows, _ = br.Query()
		if _, err := pgx.ForEachRow(rows, []any{&id, &sub, &v}, func() error {
			w.tracksOf[id] = append(w.tracksOf[id], trackRow{sub, v})
			return nil
		}); err != nil {
			return fmt.Errorf("prefetch trackings: %w", err)
		}
	}
	return br.Close()
}

// trackRow is a tracking as read: its submission and JSON.
type trackRow struct {
	submission string
	b          []byte
}
