package storetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kenesh/kenesh/syncserver/internal/store"
)

func chunkSum(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func usage(t testing.TB, st store.Store, owner string) store.ChunkUsage {
	t.Helper()
	u, err := st.ChunkUsage(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The account of chunks: an owner holds what was added for it, once
// however often it is added, counted in its usage; owners apart; a chunk
// past the quota is refused with ErrQuota and recorded nowhere; the
// account survives a restart.
func testChunks(t *testing.T, h *handle) {
	a, b, c := chunkSum("a"), chunkSum("b"), chunkSum("c")
	add := func(owner string, sum [32]byte, size, quota int64) bool {
		t.Helper()
		added, err := h.st.AddChunk(ctx, owner, sum, size, quota)
		if err != nil {
			t.Fatalf("add %x for %s: %v", sum[:4], owner, err)
		}
		return added
	}
	if u := usage(t, h.st, "NRN-ATB"); u != (store.ChunkUsage{}) {
		t.Fatalf("a new store: %+v", u)
	}
	if !add("NRN-ATB", a, 100, 0) || !add("NRN-ATB", b, 200, 1000) {
		t.Fatal("a new chunk was not added")
	}
	if add("NRN-ATB", a, 100, 0) {
		t.Error("a chunk added twice was added again")
	}
	if !add("_global", a, 100, 0) {
		t.Error("a chunk another owner holds was not added for this one")
	}
	if u := usage(t, h.st, "NRN-ATB"); u != (store.ChunkUsage{Chunks: 2, Bytes: 300}) {
		t.Errorf("usage: %+v", u)
	}
	held, err := h.st.HeldChunks(ctx, "NRN-ATB", [][32]byte{a, c, b})
	if err != nil || len(held) != 2 || held[a] != 100 || held[b] != 200 {
		t.Fatalf("held: %v %v", held, err)
	}
	if held, _ := h.st.HeldChunks(ctx, "OSH-ARA", [][32]byte{a, b}); len(held) != 0 {
		t.Errorf("another council holds %v", held)
	}
	// Past the quota: refused, nothing recorded; a chunk held already
	// is no new use of it.
	_, err = h.st.AddChunk(ctx, "NRN-ATB", c, 701, 1000)
	if !errors.Is(err, store.ErrQuota) {
		t.Fatalf("past the quota: %v", err)
	}
	if held, _ := h.st.HeldChunks(ctx, "NRN-ATB", [][32]byte{c}); len(held) != 0 {
		t.Error("a chunk refused for the quota was recorded")
	}
	if add("NRN-ATB", a, 100, 300) {
		t.Error("a chunk held already was added again at the quota")
	}
	if !add("NRN-ATB", c, 700, 1000) {
		t.Fatal("a chunk that fits the quota exactly was not added")
	}
	for _, bad := range []int64{0, -1, 1<<20 + 1} {
		if _, err := h.st.AddChunk(ctx, "NRN-ATB", chunkSum("bad"), bad, 0); err == nil {
			t.Errorf("a chunk of %d bytes was added", bad)
		}
	}
	if _, err := h.st.AddChunk(ctx, "a:b", a, 1, 0); err == nil {
		t.Error("an owner with ':' was taken")
	}
	if h.reopen() {
		if u := usage(t, h.st, "NRN-ATB"); u != (store.ChunkUsage{Chunks: 3, Bytes: 1000}) {
			t.Errorf("after a restart: %+v", u)
		}
	}
	var owners []string
	err = h.st.EachChunkOwner(ctx, func(owner string, u store.ChunkUsage) error {
		owners = append(owners, fmt.Sprintf("%s %d %d", owner, u.Chunks, u.Bytes))
		return nil
	})
	if err != nil || fmt.Sprint(owners) != "[NRN-ATB 3 1000 _global 1 100]" {
		t.Errorf("owners: %v %v", owners, err)
	}
	var sums [][32]byte
	var total int64
	err = h.st.EachChunk(ctx, "NRN-ATB", func(sum [32]byte, size int64) error {
		if len(sums) > 0 && string(sum[:]) <= string(sums[len(sums)-1][:]) {
			t.Errorf("chunks out of order")
		}
		sums = append(sums, sum)
		total += size
		return nil
	})
	if err != nil || len(sums) != 3 || total != 1000 {
		t.Errorf("each chunk: %d chunks of %d bytes, %v", len(sums), total, err)
	}
	if err := h.st.EachChunk(ctx, "OSH-ARA", func([32]byte, int64) error { t.Error("a chunk of an owner with none"); return nil }); err != nil {
		t.Error(err)
	}
}

// Laptops of one council sending at once: each chunk is counted once,
// and together they never pass the quota.
func testChunksConcurrent(t *testing.T, h *handle) {
	const writers, each, size, quota = 8, 25, 1000, 80 * 1000 // 109 chunks in all
	var wg sync.WaitGroup
	var mu sync.Mutex
	added, refused := 0, 0
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// Half the chunks every writer sends, half its own.
				name := fmt.Sprintf("shared %d", i)
				if i%2 == 1 {
					name = fmt.Sprintf("own %d %d", w, i)
				}
				ok, err := h.st.AddChunk(ctx, "NRN-ATB", chunkSum(name), size, quota)
				mu.Lock()
				switch {
				case errors.Is(err, store.ErrQuota):
					refused++
				case err != nil:
					t.Error(err)
				case ok:
					added++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	u := usage(t, h.st, "NRN-ATB")
	if u.Chunks != int64(added) || u.Bytes != int64(added)*size {
		t.Errorf("usage %+v, %d chunks added", u, added)
	}
	if u.Bytes > quota || u.Bytes < quota-size || refused == 0 {
		t.Errorf("usage %d bytes against a quota of %d, %d refused", u.Bytes, quota, refused)
	}
}
