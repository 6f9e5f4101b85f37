package badgerstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/badgerdb"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Meta names of the projection.
const (
	metaPublicVersion = "public_version" // 8 bytes N, 8 bytes Unix ms
	metaPublicRule    = "public_rule"    // the rule the projection was built by
	// The first version whose changes are kept (AppealsChangedSince):
	// absent in a store whose projection was written before they were.
	metaPublicChangesFrom = "public_changes_from"
)

// publicChangesKept is how many versions' changes are kept, and
// publicChangesPrune how often (in versions) older ones are deleted. A
// reader further behind reads the projection whole. Variables for tests.
var publicChangesKept, publicChangesPrune uint64 = 20000, 1000

// PublicVersion implements store.Public.
func (s *Store) PublicVersion(ctx context.Context) (store.PublicStamp, error) {
	var v store.PublicStamp
	err := s.view(ctx, func(x *txn) (err error) { v, err = x.publicVersion(); return err })
	return v, err
}

// ReadPublic implements store.Public.
func (s *Store) ReadPublic(ctx context.Context, fn func(store.PublicReader) error) error {
	return s.view(ctx, func(x *txn) error { return fn(publicView{x, ctx}) })
}

func (x *txn) publicVersion() (store.PublicStamp, error) {
	b, _, err := x.get(metaKey(metaPublicVersion))
	if err != nil || len(b) != 16 {
		return store.PublicStamp{}, err
	}
	v := store.PublicStamp{N: binary.BigEndian.Uint64(b)}
	if ms := int64(binary.BigEndian.Uint64(b[8:])); ms > 0 {
		v.At = time.UnixMilli(ms).UTC()
	}
	return v, nil
}

// publicView is a read-only snapshot of the projection.
type publicView struct {
	*txn
	ctx context.Context
}

func (v publicView) Version() (store.PublicStamp, error) { return v.publicVersion() }

func (v publicView) EachAppeal(fn func(*store.PublicAppeal) error) error {
	return badgerdb.Scan(v.ctx, v.t, []byte(spacePublicAppeal), func(k, b []byte) error {
		var p store.PublicAppeal
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("damaged public appeal %q: %w", k, err)
		}
		return fn(&p)
	})
}

func (v publicView) EachCouncil(fn func(*store.PublicCouncil) error) error {
	return badgerdb.Scan(v.ctx, v.t, []byte(spacePublicCouncil), func(k, b []byte) error {
		var c store.PublicCouncil
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("damaged public council %q: %w", k, err)
		}
		return fn(&c)
	})
}

func (v publicView) EachCompetition(fn func(*store.PublicCompetition) error) error {
	return badgerdb.Scan(v.ctx, v.t, []byte(spacePublicWinners), func(k, b []byte) error {
		var c store.PublicCompetition
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("damaged public competition %q: %w", k, err)
		}
		return fn(&c)
	})
}

func (v publicView) AppealsChangedSince(n uint64, fn func(id string) error) (bool, error) {
	from, err := v.metaUint(metaPublicChangesFrom)
	if err != nil {
		return false, err
	}
	if from == 0 || n+1 < from {
		return false, nil
	}
	start := seqKey(spacePublicChange, n+1)
	it := v.t.NewIterator(badger.IteratorOptions{Prefix: []byte(spacePublicChange)})
	defer it.Close()
	for it.Seek(start); it.Valid(); it.Next() {
		if err := v.ctx.Err(); err != nil {
			return false, err
		}
		k := it.Item().Key()
		if err := fn(string(k[len(spacePublicChange)+8:])); err != nil {
			return false, err
		}
	}
	return true, nil
}

func (v publicView) Appeal(id string) (*store.PublicAppeal, error) {
	p, err := v.PublicAppeal(id)
	if err == nil && p == nil {
		err = fmt.Errorf("public appeal %s: %w", id, store.ErrNotFound)
	}
	return p, err
}

func (v publicView) Tracking(sum [32]byte) (*store.Tracking, error) {
	id, ok, err := v.get(trackCodeKey(sum))
	if err != nil {
		return nil, err
	}
	if ok {
		t, err := v.TrackingOf(string(id))
		if t != nil || err != nil {
			return t, err
		}
	}
	return nil, fmt.Errorf("tracking code: %w", store.ErrNotFound)
}

// PublicAppeal implements store.ProjectionTx.
func (x *txn) PublicAppeal(id string) (*store.PublicAppeal, error) {
	if !validPart(id) {
		return nil, nil
	}
	var p store.PublicAppeal
	ok, err := x.getJSON(publicAppealKey(id), &p)
	if !ok || err != nil {
		return nil, err
	}
	return &p, nil
}

// PutPublicAppeal implements store.ProjectionTx.
func (w *logTx) PutPublicAppeal(p *store.PublicAppeal) error {
	if !validPart(p.ID) {
		return fmt.Errorf("public appeal: bad id %q", p.ID)
	}
	return w.putPublic(publicAppealKey(p.ID), p, p.ID)
}

// DeletePublicAppeal implements store.ProjectionTx.
func (w *logTx) DeletePublicAppeal(id string) error {
	if !validPart(id) {
		return nil
	}
	return w.deletePublic(publicAppealKey(id), id)
}

// PutPublicCouncil implements store.ProjectionTx.
func (w *logTx) PutPublicCouncil(c *store.PublicCouncil) error {
	if !validPart(c.Code) {
		return fmt.Errorf("public council: bad code %q", c.Code)
	}
	return w.putPublic(publicCouncilKey(c.Code), c, "")
}

// DeletePublicCouncil implements store.ProjectionTx.
func (w *logTx) DeletePublicCouncil(code string) error {
	if !validPart(code) {
		return nil
	}
	return w.deletePublic(publicCouncilKey(code), "")
}

// PutPublicCompetition implements store.ProjectionTx.
func (w *logTx) PutPublicCompetition(c *store.PublicCompetition) error {
	if !validPart(c.ID) {
		return fmt.Errorf("public competition: bad id %q", c.ID)
	}
	return w.putPublic(publicWinnersKey(c.ID), c, "")
}

// DeletePublicCompetition implements store.ProjectionTx.
func (w *logTx) DeletePublicCompetition(id string) error {
	if !validPart(id) {
		return nil
	}
	return w.deletePublic(publicWinnersKey(id), "")
}

// putPublic writes v under key when it differs from what is there, and
// marks the projection changed (and appeal, when it is one, among what
// changed).
func (w *logTx) putPublic(key []byte, v any, appeal string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	old, ok, err := w.get(key)
	if err != nil {
		return err
	}
	if ok && bytes.Equal(old, b) {
		return nil
	}
	w.changedPublic(appeal)
	return w.set(key, b)
}

func (w *logTx) deletePublic(key []byte, appeal string) error {
	_, ok, err := w.get(key)
	if !ok || err != nil {
		return err
	}
	w.changedPublic(appeal)
	return w.t.Delete(key)
}

func (w *logTx) changedPublic(appeal string) {
	w.publicChanged = true
	if appeal != "" {
		if w.publicAppealsChanged == nil {
			w.publicAppealsChanged = map[string]bool{}
		}
		w.publicAppealsChanged[appeal] = true
	}
}

// finishPublic moves the projection's version when the transaction
// changed it.
func (w *logTx) finishPublic() error {
	if !w.publicChanged {
		return nil
	}
	v, err := w.publicVersion()
	if err != nil {
		return err
	}
	n := v.N + 1
	b := binary.BigEndian.AppendUint64(nil, n)
	b = binary.BigEndian.AppendUint64(b, uint64(time.Now().UnixMilli()))
	if err := w.set(metaKey(metaPublicVersion), b); err != nil {
		return err
	}
	return w.recordPublicChanges(n)
}

// recordPublicChanges keeps which appeals the commit of version n changed,
// and now and then deletes the changes of versions no longer kept (an
// iterator in a write transaction sorts its pending writes: once in
// publicChangesPrune versions, not in every push).
func (w *logTx) recordPublicChanges(n uint64) error {
	from, err := w.metaUint(metaPublicChangesFrom)
	if err != nil {
		return err
	}
	if from == 0 { // the first commit that keeps them
		from = n
		if err := w.set(metaKey(metaPublicChangesFrom), binary.BigEndian.AppendUint64(nil, from)); err != nil {
			return err
		}
	}
	for id := range w.publicAppealsChanged {
		if err := w.set(publicChangeKey(n, id), nil); err != nil {
			return err
		}
	}
	if n%publicChangesPrune != 0 || n <= publicChangesKept || n-publicChangesKept <= from {
		return nil
	}
	cut := n - publicChangesKept // the changes of versions below it go
	it := w.t.NewIterator(badger.IteratorOptions{Prefix: []byte(spacePublicChange)})
	var old [][]byte
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().KeyCopy(nil)
		if binary.BigEndian.Uint64(k[len(spacePublicChange):]) >= cut {
			break
		}
		old = append(old, k)
	}
	it.Close()
	for _, k := range old {
		if err := w.t.Delete(k); err != nil {
			return err
		}
	}
	return w.set(metaKey(metaPublicChangesFrom), binary.BigEndian.AppendUint64(nil, cut))
}

// TrackingOf implements store.ProjectionTx.
func (x *txn) TrackingOf(submission string) (*store.Tracking, error) {
	if !validPart(submission) {
		return nil, nil
	}
	var t store.Tracking
	ok, err := x.getJSON(trackKey(submission), &t)
	if !ok || err != nil {
		return nil, err
	}
	return &t, nil
}

// PutTracking implements store.ProjectionTx: the tracking, and the keys
// it is found by (its appeal's list, its council's waiting count). They
// are single values, read with Get: in a read-write transaction every
// Badger iterator sorts the transaction's pending writes, which in a push
// of thousands of operations cost more than the push itself.
func (w *logTx) PutTracking(t *store.Tracking) error {
	if !validPart(t.Submission) || t.Council != "" && !validPart(t.Council) || t.Appeal != "" && !validPart(t.Appeal) {
		return fmt.Errorf("tracking: bad submission %q, council %q or appeal %q", t.Submission, t.Council, t.Appeal)
	}
	old, err := w.TrackingOf(t.Submission)
	if err != nil {
		return err
	}
	if old == nil {
		old = &store.Tracking{}
	}
	if old.Appeal != t.Appeal {
		if old.Appeal != "" {
			if err := w.editList(trackAppealKey(old.Appeal), t.Submission, false); err != nil {
				return err
			}
		}
		if t.Appeal != "" {
			if w.tracked != nil {
				w.tracked.add(t.Appeal) // before it is written: the set holds at least what the store does
			}
			if err := w.editList(trackAppealKey(t.Appeal), t.Submission, true); err != nil {
				return err
			}
		}
	}
	wasWaiting := old.Status == domain.SubmissionWaiting && old.Council != ""
	isWaiting := t.Status == domain.SubmissionWaiting && t.Council != ""
	if wasWaiting && (!isWaiting || old.Council != t.Council) {
		if err := w.addWaiting(old.Council, -1); err != nil {
			return err
		}
	}
	if isWaiting && (!wasWaiting || old.Council != t.Council) {
		if err := w.addWaiting(t.Council, +1); err != nil {
			return err
		}
	}
	return w.setJSON(trackKey(t.Submission), t)
}

// editList adds id to, or removes it from, the sorted list of ids under
// key (one id a line); an empty list is deleted.
func (w *logTx) editList(key []byte, id string, add bool) error {
	b, _, err := w.get(key)
	if err != nil {
		return err
	}
	var ids []string
	if len(b) > 0 {
		ids = strings.Split(string(b), "\n")
	}
	i, found := slices.BinarySearch(ids, id)
	switch {
	case add && !found:
		ids = slices.Insert(ids, i, id)
	case !add && found:
		ids = slices.Delete(ids, i, i+1)
	default:
		return nil
	}
	if len(ids) == 0 {
		return w.t.Delete(key)
	}
	return w.set(key, []byte(strings.Join(ids, "\n")))
}

func (w *logTx) addWaiting(council string, d int64) error {
	n, err := w.Waiting(council)
	if err != nil {
		return err
	}
	return w.set(waitingKey(council), be(uint64(max(int64(n)+d, 0))))
}

// TrackingsOfAppeal implements store.ProjectionTx.
func (w *logTx) TrackingsOfAppeal(appeal string) ([]*store.Tracking, error) {
	if !validPart(appeal) || w.tracked != nil && !w.tracked.mayHave(appeal) {
		return nil, nil
	}
	b, ok, err := w.get(trackAppealKey(appeal))
	if !ok || err != nil {
		return nil, err
	}
	var out []*store.Tracking
	for _, id := range strings.Split(string(b), "\n") {
		t, err := w.TrackingOf(id)
		if err != nil {
			return nil, err
		}
		if t != nil && t.Appeal == appeal {
			out = append(out, t)
		}
	}
	return out, nil
}

// BindCode implements store.ProjectionTx.
func (w *logTx) BindCode(sum [32]byte, submission string) error {
	if !validPart(submission) {
		return fmt.Errorf("tracking code: bad submission %q", submission)
	}
	_, ok, err := w.get(trackCodeKey(sum))
	if err != nil {
		return err
	}
	if ok {
		return store.ErrCodeTaken
	}
	return w.set(trackCodeKey(sum), []byte(submission))
}

// Waiting implements store.PublicReader and store.ProjectionTx.
func (x *txn) Waiting(council string) (int, error) {
	if !validPart(council) {
		return 0, nil
	}
	b, _, err := x.get(waitingKey(council))
	return int(u64(b)), err
}

// PublicRule implements store.ProjectionTx.
func (w *logTx) PublicRule() (int, error) {
	n, err := w.metaUint(metaPublicRule)
	return int(n), err
}

// SetPublicRule implements store.ProjectionTx.
func (w *logTx) SetPublicRule(n int) error { return w.set(metaKey(metaPublicRule), be(uint64(n))) }
