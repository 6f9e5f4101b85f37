package public

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// publishMany makes n appeals of the world's councils, every one of them
// published, in pushes as large as the protocol allows, and returns their
// numbers.
func (w *world) publishMany(tb testing.TB, n int) []string {
	tb.Helper()
	ctx := context.Background()
	councils := []string{"NRN-ATB", "OSH-ARA", "CHU-ALA"}
	statuses := []string{"verified", "referred", "answered", "closed"}
	cats := []string{"land_property", "education", "social_protection", "domestic_violence", "health", "labour", "local_services", "discrimination"}
	var regNos []string
	for _, c := range councils {
		sec := w.sec[c]
		var creates, pubs []syncproto.WireOp
		flush := func() {
			for _, p := range []struct {
				wr  *writer
				ops []syncproto.WireOp
			}{{sec, creates}, {w.central, pubs}} {
				res, err := w.ing.Push(ctx, p.wr.dev, p.ops)
				if err != nil || len(res.Refused) > 0 {
					tb.Fatalf("push: %v %+v", err, res)
				}
			}
			creates, pubs = creates[:0], pubs[:0]
		}
		for i := range n / len(councils) {
			regNo := domain.FormatRegNo(c, 2026, "B7QH", uint64(i+1))
			f := appealFields(c, regNo, statuses[i%len(statuses)], i)
			f["category"] = cats[i%len(cats)]
			f["received_on"] = fmt.Sprintf("%d-%02d-%02d", 2025+i%2, 1+i%11, 1+i%27)
			f["registered_on"] = f["received_on"]
			if f["verified_on"] != nil {
				f["verified_on"] = f["received_on"]
			}
			if f["answered_on"] != nil {
				f["referred_on"], f["answered_on"] = f["received_on"], f["received_on"]
			}
			if f["closed_on"] != nil {
				f["closed_on"] = f["received_on"]
			}
			id := domain.NewID()
			sec.seq++
			creates = append(creates, wireOp(sec, id, c, "create", f))
			w.central.seq++
			pubs = append(pubs, wireOp(w.central, id, "", "update", map[string]any{"published": true, "published_on": "2026-11-30"}))
			regNos = append(regNos, regNo)
			if len(creates) == syncproto.MaxPushOps {
				flush()
			}
		}
		if len(creates) > 0 {
			flush()
		}
	}
	return regNos
}

func wireOp(w *writer, id, council, action string, fields map[string]any) syncproto.WireOp {
	f := map[string]syncproto.WireChange{}
	for k, v := range fields {
		b, _ := json.Marshal(v)
		f[k] = syncproto.WireChange{V: b}
	}
	return syncproto.WireOp{Device: w.dev.ID, Seq: w.seq, HLC: uint64(w.clock.Now()), Kind: domain.KindAppeal, Record: id,
		Council: council, Action: action, Author: "bench", Fields: f}
}

// BenchmarkPages serves the register's pages from a projection of 20,000
// published appeals (the figure), one request at a time through
// the whole handler (the request log, the projection's version read from
// Badger, the view, the page, gzip): "made" with the page cache off, each
// page made anew; "cached" with it on, over the same mix of pages (the
// list by random filters and pages, 2,000 appeal pages in three
// languages, the statistics in three). The times under 200 readers at
// once on a real server are publicbench's (BENCHMARKS.md).
func BenchmarkPages(b *testing.B) {
	w := newWorld(b, GuardConfig{})
	regNos := w.publishMany(b, 20000)
	rng := rand.New(rand.NewPCG(1, 2))
	langs := []string{"ky", "ru", "en"}
	oblasts := []string{"KG-N", "KG-O", "KG-C"}
	statuses := []string{"verified", "referred", "answered", "closed"}
	cats := []string{"land_property", "education", "labour", "health"}
	var lists, appeals, stats []string
	for range 2000 {
		q := url.Values{}
		if rng.IntN(2) == 0 {
			q.Set("oblast", oblasts[rng.IntN(len(oblasts))])
		}
		if rng.IntN(2) == 0 {
			q.Set("category", cats[rng.IntN(len(cats))])
		}
		if rng.IntN(3) == 0 {
			q.Set("status", statuses[rng.IntN(len(statuses))])
		}
		if len(q) == 0 {
			q.Set("page", fmt.Sprint(1+rng.IntN(20)))
		}
		lists = append(lists, Prefix+langs[rng.IntN(3)]+"/?"+q.Encode())
		appeals = append(appeals, Prefix+langs[rng.IntN(3)]+"/appeals/"+regNos[rng.IntN(len(regNos))])
	}
	for _, l := range langs {
		stats = append(stats, Prefix+l+"/stats")
	}
	benchView(b, w, w.st)
	for _, cache := range []struct {
		name  string
		bytes int
	}{{"made", -1}, {"cached", 0}} {
		h, err := New(Config{Store: w.st, Submit: w.ing.Submit, Logger: w.h.log, CacheBytes: cache.bytes})
		if err != nil {
			b.Fatal(err)
		}
		serve := func(b *testing.B, path string) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("%s: %d", path, rec.Code)
			}
		}
		for _, p := range append(append(append([]string{}, lists...), appeals...), stats...) {
			serve(b, p) // the view made, and the pages cached when the cache is on
		}
		for _, set := range []struct {
			name  string
			paths []string
		}{{"list", lists}, {"appeal", appeals}, {"stats", stats}} {
			b.Run(set.name+"/"+cache.name, func(b *testing.B) {
				b.ReportAllocs()
				for i := range b.N {
					serve(b, set.paths[i%len(set.paths)])
				}
			})
		}
	}
}

// benchView makes the register's view of w's projection from st (w's
// store, or another process's on its database): whole, and following one
// publication at a time.
func benchView(b *testing.B, w *world, st store.Public) {
	today := caldate.Of(time.Now())
	b.Run("view/whole", func(b *testing.B) { // an engine that keeps no changes, or a reader far behind
		b.ReportAllocs()
		for range b.N {
			if _, err := build(context.Background(), st, today, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("view/follow", func(b *testing.B) { // after one publication
		prev, err := build(context.Background(), st, today, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			b.StopTimer()
			p := prev.appeals[i%len(prev.appeals)]
			w.central.push(domain.KindAppeal, p.ID, "", "update", map[string]any{"published_on": fmt.Sprintf("2026-11-%02d", 1+i%28)})
			b.StartTimer()
			if prev, err = build(context.Background(), st, today, prev); err != nil {
				b.Fatal(err)
			}
		}
	})
}
