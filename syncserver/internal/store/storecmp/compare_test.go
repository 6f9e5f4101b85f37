package storecmp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
	"github.com/kenesh/kenesh/syncserver/internal/store/pgstore"
	"github.com/kenesh/kenesh/syncserver/internal/store/storecmp"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var ctx = context.Background()

const base = hlc.Timestamp(117677491360104448)

func op(dev string, seq uint64, record, council, value string) *changeset.Op {
	v, _ := json.Marshal(value)
	return &changeset.Op{Device: dev, Seq: seq, HLC: base + hlc.Timestamp(seq)<<16, Kind: "appeal", Record: record, Council: council,
		Action: changeset.ActionCreate, Author: "a", Fields: map[string]changeset.Change{"summary": {Value: v}}}
}

// fill writes a little of everything a store keeps.
func fill(t *testing.T, st store.Store) (dev string) {
	t.Helper()
	if _, err := st.Identity(ctx); err != nil {
		t.Fatal(err)
	}
	dev = domain.NewID()
	enrolled := time.Date(2026, 12, 3, 9, 0, 0, 123456789, time.UTC)
	err := st.Update(ctx, func(x store.DirTx) error {
		d := &store.Device{ID: dev, Name: "Ат-Башы", DeviceName: "ноутбук", Council: "NRN-ATB", Role: "secretary", Enrolled: enrolled}
		if err := x.SetToken(d, sha256.Sum256([]byte("tok"))); err != nil {
			return err
		}
		if err := x.PutDevice(d); err != nil {
			return err
		}
		return x.PutCode(sha256.Sum256([]byte("code")), &store.Code{Council: "NRN-ATB", Role: "secretary", Name: "n", Created: enrolled, Expires: enrolled.Add(time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetSeen(ctx, map[string]time.Time{dev: enrolled.Add(time.Minute).Truncate(time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	rec := domain.NewID()
	err = st.Append(ctx, func(w store.LogTx) error {
		var s changeset.State
		for i, o := range []*changeset.Op{op(dev, 1, rec, "NRN-ATB", "бир"), op(dev, 2, domain.NewID(), "", "эки")} {
			ix := store.Index{Council: o.Council}
			if o.Council == "" {
				ix = store.Index{}
			}
			if _, err := w.Accept(o, ix); err != nil {
				return err
			}
			if i == 0 {
				s.Apply(o)
			}
		}
		if err := w.Refuse(store.Refusal{Device: dev, Seq: 3, HLC: 9, Kind: "appeal", Record: "r\x00", Code: "invalid", Message: "bad", Op: json.RawMessage(`{"x":1}`), At: enrolled}); err != nil {
			return err
		}
		if err := w.PutState(&s); err != nil {
			return err
		}
		if err := w.PutConflict(changeset.Conflict{Kind: "appeal", Record: rec, Field: "summary", Loser: changeset.FieldValue{HLC: base, Device: dev}}); err != nil {
			return err
		}
		if err := w.PutPublicAppeal(&store.PublicAppeal{ID: rec, PublicAppeal: domain.PublicAppeal{RegNo: "NRN-ATB-2026-K7QH-0001", ReceivedOn: caldate.MustParse("2026-11-02")}}); err != nil {
			return err
		}
		if err := w.PutPublicCouncil(&store.PublicCouncil{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"}); err != nil {
			return err
		}
		sub := domain.NewID()
		if err := w.BindCode(sha256.Sum256([]byte("track")), sub); err != nil {
			return err
		}
		if err := w.PutTracking(&store.Tracking{Submission: sub, Council: "NRN-ATB", Status: domain.SubmissionWaiting}); err != nil {
			return err
		}
		if err := w.SetPublicRule(2); err != nil {
			return err
		}
		return w.SetClock(base + 5)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddChunk(ctx, "NRN-ATB", sha256.Sum256([]byte("chunk")), 100, 0, 0); err != nil {
		t.Fatal(err)
	}
	return dev
}

// An embedded store imported into PostgreSQL compares equal; every later
// change to one of them is a difference Compare names.
func TestCompareFindsEveryDifference(t *testing.T) {
	src, err := badgerstore.Open(ctx, t.TempDir(), badgerstore.Options{Small: true, MinFree: 1, Key: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dev := fill(t, src)
	dst, err := pgstore.Open(ctx, pgtest.URL(t), pgstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := dst.Import(ctx, src, bytes.Repeat([]byte{7}, 32)); err != nil {
		t.Fatal(err)
	}
	n, err := storecmp.Compare(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if n.Ops != 2 || n.Devices != 1 || n.Refusals != 1 || n.States != 1 || n.Conflicts != 1 || n.Published != 1 || n.Councils != 1 || n.Chunks != 1 || n.Head != 2 {
		t.Fatalf("compared: %+v", n)
	}
	if _, err := dst.Import(ctx, src, bytes.Repeat([]byte{7}, 32)); !errors.Is(err, pgstore.ErrNotEmpty) {
		t.Fatalf("a second import: %v", err)
	}
	// The register on the copy reads the projection whole once (no change
	// before the import is kept), then follows what changes after it.
	v, err := dst.PublicVersion(ctx)
	if err != nil || v.N == 0 {
		t.Fatalf("the copy's projection is at version %d (%v)", v.N, err)
	}
	changed := func(n uint64) (ids []string, complete bool) {
		t.Helper()
		err := dst.ReadPublic(ctx, func(r store.PublicReader) (err error) {
			complete, err = r.(store.PublicChangeReader).AppealsChangedSince(n, func(id string) error { ids = append(ids, id); return nil })
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids, complete
	}
	if _, complete := changed(v.N - 1); complete {
		t.Errorf("the copy says it holds the changes of version %d, made before the import", v.N)
	}
	if ids, complete := changed(v.N); !complete || len(ids) != 0 {
		t.Errorf("the copy's changes since the import: %v (complete %v), want none", ids, complete)
	}
	for _, c := range []struct {
		change func(st store.Store) error
		want   string
	}{
		{func(st store.Store) error {
			var s *changeset.State
			if err := st.EachState(ctx, "", func(x *changeset.State) error { s = x; return nil }); err != nil {
				return err
			}
			s.Council = "OSH-ARA"
			return st.Append(ctx, func(w store.LogTx) error { return w.PutState(s) })
		}, "differs"},
		{func(st store.Store) error { return st.SetSeen(ctx, map[string]time.Time{dev: time.Now()}) }, "last seen"},
		{func(st store.Store) error {
			_, err := st.AddChunk(ctx, "NRN-ATB", sha256.Sum256([]byte("another")), 5, 0, 0)
			return err
		}, "of files"},
		{func(st store.Store) error {
			return st.Append(ctx, func(w store.LogTx) error { return w.SetClock(base + 6) })
		}, "clock"},
		{func(st store.Store) error {
			return st.Append(ctx, func(w store.LogTx) error {
				_, err := w.Accept(op(dev, 4, domain.NewID(), "NRN-ATB", "x"), store.Index{Council: "NRN-ATB"})
				return err
			})
		}, "only in the second store"},
	} {
		if err := c.change(dst); err != nil {
			t.Fatal(err)
		}
		_, err := storecmp.Compare(ctx, src, dst)
		if !errors.Is(err, storecmp.ErrDiffer) || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("after a change, Compare says %v; want a difference mentioning %q", err, c.want)
		}
	}
}
