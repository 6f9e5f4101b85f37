package storetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

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
		added, err := h.st.AddChunk(ctx, owner, sum, size, quota, 0)
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
	_, err = h.st.AddChunk(ctx, "NRN-ATB", c, 701, 1000, 0)
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
		if _, err := h.st.AddChunk(ctx, "NRN-ATB", chunkSum("bad"), bad, 0, 0); err == nil {
			t.Errorf("a chunk of %d bytes was added", bad)
		}
	}
	if _, err := h.st.AddChunk(ctx, "a:b", a, 1, 0, 0); err == nil {
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
	err = h.st.EachChunk(ctx, "NRN-ATB", func(c store.ChunkHold) error {
		if len(sums) > 0 && string(c.Sum[:]) <= string(sums[len(sums)-1][:]) {
			t.Errorf("chunks out of order")
		}
		sums = append(sums, c.Sum)
		total += c.Size
		return nil
	})
	if err != nil || len(sums) != 3 || total != 1000 {
		t.Errorf("each chunk: %d chunks of %d bytes, %v", len(sums), total, err)
	}
	if err := h.st.EachChunk(ctx, "OSH-ARA", func(store.ChunkHold) error { t.Error("a chunk of an owner with none"); return nil }); err != nil {
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
				ok, err := h.st.AddChunk(ctx, "NRN-ATB", chunkSum(name), size, quota, 0)
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

// Releasing chunks: a condemned hold is not held, and counts until it is
// released; adding it again pardons it; only a hold condemned by the
// cutoff is released, off the usage; the last hold of a chunk released
// makes its blob dying at the next generation, which no chunk is added
// for until BlobGone ends it and the put read the new generation; an
// orphan blob is given up only when nobody holds it; all of it survives
// a restart.
func testChunkRelease(t *testing.T, h *handle) {
	a, b, d := chunkSum("a"), chunkSum("b"), chunkSum("d")
	t1 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	t2, t3 := t1.Add(time.Hour), t1.Add(2*time.Hour)
	must := func(ok bool, err error) bool {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	count := func(n int, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	held := func(owner string, sums ...[32]byte) int {
		t.Helper()
		m, err := h.st.HeldChunks(ctx, owner, sums)
		if err != nil {
			t.Fatal(err)
		}
		return len(m)
	}
	if !must(h.st.AddChunk(ctx, "NRN-ATB", a, 100, 0, 0)) || !must(h.st.AddChunk(ctx, "NRN-ATB", b, 200, 0, 0)) ||
		!must(h.st.AddChunk(ctx, "_global", a, 100, 0, 0)) {
		t.Fatal("a new chunk was not added")
	}
	if bs, err := h.st.ChunkBlob(ctx, a); err != nil || bs != (store.BlobState{}) {
		t.Fatalf("a chunk never released: %+v %v", bs, err)
	}
	if n := count(h.st.CondemnChunks(ctx, "NRN-ATB", [][32]byte{a, d}, t1)); n != 1 {
		t.Fatalf("condemned %d of one held chunk and one not held", n)
	}
	if held("NRN-ATB", a, b) != 1 || held("_global", a) != 1 {
		t.Fatal("a condemned hold is held, or another owner's hold was condemned too")
	}
	if u := usage(t, h.st, "NRN-ATB"); u != (store.ChunkUsage{Chunks: 2, Bytes: 300}) {
		t.Errorf("a condemned hold no longer counts: %+v", u)
	}
	var holds []string
	err := h.st.EachChunk(ctx, "NRN-ATB", func(c store.ChunkHold) error {
		holds = append(holds, fmt.Sprintf("%x %d %v", c.Sum[:2], c.Size, c.Condemned.Equal(t1)))
		return nil
	})
	if err != nil || fmt.Sprint(holds) != fmt.Sprintf("[%x 100 true %x 200 false]", a[:2], b[:2]) && fmt.Sprint(holds) != fmt.Sprintf("[%x 200 false %x 100 true]", b[:2], a[:2]) {
		t.Errorf("each chunk: %v %v", holds, err)
	}
	// Sent again: pardoned, counted once.
	if !must(h.st.AddChunk(ctx, "NRN-ATB", a, 100, 0, 0)) || held("NRN-ATB", a) != 1 {
		t.Fatal("a condemned chunk sent again was not pardoned")
	}
	if u := usage(t, h.st, "NRN-ATB"); u != (store.ChunkUsage{Chunks: 2, Bytes: 300}) {
		t.Errorf("a pardoned chunk was counted again: %+v", u)
	}
	if count(h.st.CondemnChunks(ctx, "NRN-ATB", [][32]byte{a}, t1)) != 1 || count(h.st.PardonChunks(ctx, "NRN-ATB", [][32]byte{a, b})) != 1 {
		t.Fatal("condemn and pardon")
	}
	if count(h.st.CondemnChunks(ctx, "NRN-ATB", [][32]byte{a}, t2)) != 1 || count(h.st.CondemnChunks(ctx, "NRN-ATB", [][32]byte{a}, t3)) != 0 {
		t.Fatal("a condemned hold was condemned again")
	}
	if h.reopen() && held("NRN-ATB", a, b) != 1 {
		t.Fatal("a condemnation did not survive a restart")
	}
	// Condemned after the cutoff, or not condemned: kept.
	r, err := h.st.ReleaseChunks(ctx, "NRN-ATB", [][32]byte{a, b, d}, t2.Add(-time.Second), t3)
	if err != nil || r.Chunks != 0 || len(r.Blobs) != 0 {
		t.Fatalf("released %+v %v", r, err)
	}
	r, err = h.st.ReleaseChunks(ctx, "NRN-ATB", [][32]byte{a, b, d}, t2, t3)
	if err != nil || r.Chunks != 1 || r.Bytes != 100 || len(r.Blobs) != 0 {
		t.Fatalf("released %+v %v (another owner holds the chunk: its blob stays)", r, err)
	}
	if u := usage(t, h.st, "NRN-ATB"); u != (store.ChunkUsage{Chunks: 1, Bytes: 200}) {
		t.Errorf("after the release: %+v", u)
	}
	if count(h.st.CondemnChunks(ctx, "_global", [][32]byte{a}, t1)) != 1 {
		t.Fatal("condemn")
	}
	if _, ok, err := h.st.ReleaseBlob(ctx, a, t3); err != nil || ok {
		t.Fatalf("the blob of a held chunk was given up: %v %v", ok, err)
	}
	r, err = h.st.ReleaseChunks(ctx, "_global", [][32]byte{a}, t3, t3)
	if err != nil || r.Chunks != 1 || len(r.Blobs) != 1 || r.Blobs[0] != (store.DyingBlob{Sum: a, Gen: 1}) {
		t.Fatalf("the last hold released: %+v %v", r, err)
	}
	if bs, err := h.st.ChunkBlob(ctx, a); err != nil || bs.Gen != 1 || !bs.Dying.Equal(t3) {
		t.Fatalf("a blob given up: %+v %v", bs, err)
	}
	var dying []string
	err = h.st.EachDyingBlob(ctx, func(sum [32]byte, bs store.BlobState) error {
		dying = append(dying, fmt.Sprintf("%x %d", sum[:2], bs.Gen))
		return nil
	})
	if err != nil || fmt.Sprint(dying) != fmt.Sprintf("[%x 1]", a[:2]) {
		t.Errorf("dying: %v %v", dying, err)
	}
	var owners []string
	h.st.EachChunkOwner(ctx, func(owner string, _ store.ChunkUsage) error { owners = append(owners, owner); return nil })
	if fmt.Sprint(owners) != "[NRN-ATB]" {
		t.Errorf("owners after _global released all it held: %v", owners)
	}
	// A put that read generation 0, or 1 while it is dying: refused.
	for _, gen := range []uint64{0, 1} {
		if _, err := h.st.AddChunk(ctx, "OSH-ARA", a, 100, 0, gen); !errors.Is(err, store.ErrBlobChanged) {
			t.Fatalf("a chunk added at generation %d of a dying blob: %v", gen, err)
		}
	}
	if held("OSH-ARA", a) != 0 || usage(t, h.st, "OSH-ARA") != (store.ChunkUsage{}) {
		t.Fatal("a refused chunk was recorded")
	}
	if _, ok, err := h.st.ReleaseBlob(ctx, a, t3); err != nil || ok {
		t.Fatalf("a dying blob given up again: %v %v", ok, err)
	}
	if h.reopen() {
		if bs, _ := h.st.ChunkBlob(ctx, a); bs.Gen != 1 || bs.Dying.IsZero() {
			t.Fatalf("after a restart: %+v", bs)
		}
	}
	if err := h.st.BlobGone(ctx, a, 0); err != nil {
		t.Fatal(err)
	}
	if bs, _ := h.st.ChunkBlob(ctx, a); bs.Dying.IsZero() {
		t.Fatal("an older generation's deletion ended the dying")
	}
	if err := h.st.BlobGone(ctx, a, 1); err != nil {
		t.Fatal(err)
	}
	if bs, _ := h.st.ChunkBlob(ctx, a); bs != (store.BlobState{Gen: 1}) {
		t.Fatalf("deleted: %+v", bs)
	}
	if _, err := h.st.AddChunk(ctx, "OSH-ARA", a, 100, 0, 0); !errors.Is(err, store.ErrBlobChanged) {
		t.Fatalf("a put that read the generation before: %v", err)
	}
	if !must(h.st.AddChunk(ctx, "OSH-ARA", a, 100, 0, 1)) || held("OSH-ARA", a) != 1 {
		t.Fatal("a chunk stored anew was not added")
	}
	// An orphan blob (no hold): given up once.
	gen, ok, err := h.st.ReleaseBlob(ctx, d, t3)
	if err != nil || !ok || gen != 1 {
		t.Fatalf("an orphan: %d %v %v", gen, ok, err)
	}
	if _, ok, _ := h.st.ReleaseBlob(ctx, d, t3); ok {
		t.Fatal("an orphan given up twice")
	}
}

// A put of another owner and the release of a chunk's last hold at the
// same time, many times over (on a second process where the engine has
// them): either the put's hold is there and the blob is not dying, or
// the put was refused with ErrBlobChanged; never a hold on a blob being
// deleted.
func testChunkReleaseRace(t *testing.T, h *handle) {
	other := h.st
	if h.s.Second != nil {
		other = h.s.Second(t, h.st)
		defer other.Close()
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	const rounds = 60
	lost := 0
	for i := range rounds {
		sum := chunkSum(fmt.Sprintf("race %d", i))
		if _, err := h.st.AddChunk(ctx, "NRN-ATB", sum, 10, 0, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.CondemnChunks(ctx, "NRN-ATB", [][32]byte{sum}, at); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var r store.Released
		var rerr, aerr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			r, rerr = h.st.ReleaseChunks(ctx, "NRN-ATB", [][32]byte{sum}, at, at)
		}()
		go func() {
			defer wg.Done()
			var bs store.BlobState
			if bs, aerr = other.ChunkBlob(ctx, sum); aerr == nil {
				_, aerr = other.AddChunk(ctx, "OSH-ARA", sum, 10, 0, bs.Gen)
			}
		}()
		wg.Wait()
		if rerr != nil || aerr != nil && !errors.Is(aerr, store.ErrBlobChanged) {
			t.Fatalf("round %d: release %v, add %v", i, rerr, aerr)
		}
		m, _ := h.st.HeldChunks(ctx, "OSH-ARA", [][32]byte{sum})
		bs, _ := h.st.ChunkBlob(ctx, sum)
		dying := len(r.Blobs) == 1 || !bs.Dying.IsZero()
		switch {
		case len(m) == 1 && dying:
			t.Fatalf("round %d: a chunk held on a dying blob (%+v, released %+v)", i, bs, r)
		case len(m) == 0 && aerr == nil:
			t.Fatalf("round %d: an add that succeeded is not held", i)
		case len(m) == 0:
			lost++
		}
	}
	t.Logf("%d of %d puts came after the release and were refused", lost, rounds)
}

// Chunks added together: each as AddChunk adds it (new, held already,
// pardoned), in one step that stops at the first refused, keeping what
// came before it; a chunk that is no chunk fails the whole call.
func testAddChunks(t *testing.T, h *handle) {
	a, b, c, d, e, f := chunkSum("a"), chunkSum("b"), chunkSum("c"), chunkSum("d"), chunkSum("e"), chunkSum("f")
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, s := range [][32]byte{b, c} {
		if _, err := h.st.AddChunk(ctx, "NRN-ATB", s, 10, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	h.st.CondemnChunks(ctx, "NRN-ATB", [][32]byte{c}, at)
	h.st.CondemnChunks(ctx, "NRN-ATB", [][32]byte{c}, at)
	// d's blob moved on: a put that read generation 0 is refused there.
	if _, err := h.st.AddChunk(ctx, "OSH-ARA", d, 10, 0, 0); err != nil {
		t.Fatal(err)
	}
	h.st.CondemnChunks(ctx, "OSH-ARA", [][32]byte{d}, at)
	if _, err := h.st.ReleaseChunks(ctx, "OSH-ARA", [][32]byte{d}, at, at); err != nil {
		t.Fatal(err)
	}
	added, err := h.st.AddChunks(ctx, "NRN-ATB", []store.NewChunk{nc(a, 100), nc(b, 10), nc(c, 10), nc(a, 100), nc(d, 10), nc(e, 10)}, 0)
	if !errors.Is(err, store.ErrBlobChanged) || fmt.Sprint(added) != "[true false true false]" {
		t.Fatalf("added %v, %v", added, err)
	}
	m, _ := h.st.HeldChunks(ctx, "NRN-ATB", [][32]byte{a, b, c, d, e})
	if len(m) != 3 || m[a] != 100 {
		t.Fatalf("held after the batch: %v", m)
	}
	if u := usage(t, h.st, "NRN-ATB"); u != (store.ChunkUsage{Chunks: 3, Bytes: 120}) {
		t.Errorf("usage: %+v", u)
	}
	// Past the quota: what fits is kept.
	added, err = h.st.AddChunks(ctx, "NRN-ATB", []store.NewChunk{nc(e, 50), nc(f, 100)}, 200)
	if !errors.Is(err, store.ErrQuota) || fmt.Sprint(added) != "[true]" {
		t.Fatalf("at the quota: %v, %v", added, err)
	}
	if _, err := h.st.AddChunks(ctx, "NRN-ATB", []store.NewChunk{nc(f, 10), nc(chunkSum("g"), 0)}, 0); err == nil {
		t.Error("a chunk of 0 bytes was taken")
	}
	if h.reopen() {
		if u := usage(t, h.st, "NRN-ATB"); u != (store.ChunkUsage{Chunks: 4, Bytes: 170}) {
			t.Errorf("after a restart: %+v", u)
		}
	}
	if m, _ := h.st.HeldChunks(ctx, "NRN-ATB", [][32]byte{f}); len(m) != 0 {
		t.Error("a chunk of a refused batch was added")
	}
	if added, err := h.st.AddChunks(ctx, "NRN-ATB", nil, 0); err != nil || len(added) != 0 {
		t.Errorf("no chunks: %v %v", added, err)
	}
}

func nc(sum [32]byte, size int64) store.NewChunk { return store.NewChunk{Sum: sum, Size: size} }
