package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/blobstore"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// records is the service's store for these tests: the account of chunks
// in a real Badger store in a temporary directory, the records (which
// the sweep and the puts read) in a map a test changes at will.
type records struct {
	*badgerstore.Store
	mu     sync.Mutex
	states map[string]*changeset.State
}

func (r *records) State(_ context.Context, kind, id string) (*changeset.State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.states[kind+"/"+id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return st, nil
}

func (r *records) EachState(_ context.Context, kind string, fn func(*changeset.State) error) error {
	r.mu.Lock()
	var list []*changeset.State
	for _, st := range r.states {
		if st.Kind == kind {
			list = append(list, st)
		}
	}
	r.mu.Unlock()
	for _, st := range list {
		if err := fn(st); err != nil {
			return err
		}
	}
	return nil
}

// attach makes the appeal id of council name exactly files (replacing
// what it named).
func (r *records) attach(council, id string, files ...domain.Attachment) {
	st := &changeset.State{Kind: domain.KindAppeal, ID: id, Council: council, Fields: map[string]changeset.FieldValue{}}
	for _, f := range files {
		b, _ := json.Marshal(f)
		st.Fields["attachments"+changeset.ItemSep+f.ID] = changeset.FieldValue{Value: b}
	}
	r.mu.Lock()
	r.states[domain.KindAppeal+"/"+id] = st
	r.mu.Unlock()
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type harness struct {
	t     *testing.T
	svc   *Service
	recs  *records
	blobs *blobstore.Dir
	clock time.Time
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	st, err := badgerstore.Open(context.Background(), t.TempDir(), badgerstore.Options{Small: true, Key: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := blobstore.OpenDir(t.TempDir(), blobstore.DirOptions{MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, recs: &records{Store: st, states: map[string]*changeset.State{}}, blobs: blobs,
		clock: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	h.svc, err = New(Config{Store: h.recs, Blobs: blobs, Key: bytes.Repeat([]byte{9}, 32), Quota: -1, MaterialQuota: -1,
		Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	h.svc.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		h.clock = h.clock.Add(time.Second)
		return h.clock
	}
	return h
}

// file makes a file of the given chunks' contents.
func file(parts ...[]byte) domain.Attachment {
	a := domain.Attachment{ID: domain.NewID(), Name: "scan.pdf"}
	whole := sha256.New()
	for _, p := range parts {
		sum := sha256.Sum256(p)
		a.Chunks = append(a.Chunks, domain.Chunk{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(p))})
		a.Size += int64(len(p))
		whole.Write(p)
	}
	a.SHA256 = hex.EncodeToString(whole.Sum(nil))
	return a
}

func content(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func secretary(council string) *store.Device {
	return &store.Device{ID: "dev-" + council, Council: council, Role: domain.RoleSecretary}
}

// put sends chunks for the appeal id, as a laptop's put does.
func (h *harness) put(council, id string, parts ...[]byte) (*syncproto.PutResponse, error) {
	var buf bytes.Buffer
	cw := syncproto.NewChunkWriter(&buf)
	if err := cw.Start(); err != nil {
		h.t.Fatal(err)
	}
	for _, p := range parts {
		enc, payload, err := syncproto.EncodeChunk(p, false)
		if err != nil {
			h.t.Fatal(err)
		}
		if err := cw.Write(sha256.Sum256(p), enc, payload); err != nil {
			h.t.Fatal(err)
		}
	}
	return h.svc.Put(context.Background(), secretary(council), syncproto.RecordRef{Kind: domain.KindAppeal, Record: id},
		syncproto.NewChunkReader(&buf))
}

// get fetches chunks of the appeal id: each one's content, or nil when
// the server answered a status.
func (h *harness) get(council, id string, parts ...[]byte) [][]byte {
	h.t.Helper()
	req := &syncproto.GetRequest{Proto: syncproto.Proto, RecordRef: syncproto.RecordRef{Kind: domain.KindAppeal, Record: id}}
	for _, p := range parts {
		sum := sha256.Sum256(p)
		req.Chunks = append(req.Chunks, hex.EncodeToString(sum[:]))
	}
	var buf bytes.Buffer
	if err := h.svc.Get(context.Background(), secretary(council), req, func() io.Writer { return &buf }); err != nil {
		h.t.Fatal(err)
	}
	cr := syncproto.NewChunkReader(&buf)
	var out [][]byte
	for {
		c, err := cr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			h.t.Fatalf("get: %v", err)
		}
		if c.Enc.Status() {
			out = append(out, nil)
		} else {
			out = append(out, append([]byte(nil), c.Plain...))
		}
	}
	if len(out) != len(parts) {
		h.t.Fatalf("get: %d chunks of %d asked for (the stream was cut: a held chunk could not be read)", len(out), len(parts))
	}
	return out
}

// fetchable checks that the appeal's chunks come back whole.
func (h *harness) fetchable(council, id string, parts ...[]byte) {
	h.t.Helper()
	for i, c := range h.get(council, id, parts...) {
		if !bytes.Equal(c, parts[i]) {
			h.t.Fatalf("chunk %d of %s %s did not come back whole (%d bytes)", i, council, id, len(c))
		}
	}
}

func (h *harness) stored(p []byte) bool {
	h.t.Helper()
	_, err := h.blobs.Stat(context.Background(), blobKey(sha256.Sum256(p)))
	if err != nil && !errors.Is(err, blobstore.ErrNotFound) {
		h.t.Fatal(err)
	}
	return err == nil
}

func (h *harness) sweep() SweepReport {
	h.t.Helper()
	r, err := h.svc.Sweep(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func (h *harness) usage(owner string) store.ChunkUsage {
	h.t.Helper()
	u, err := h.recs.ChunkUsage(context.Background(), owner)
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

func (h *harness) mustPut(council, id string, parts ...[]byte) *syncproto.PutResponse {
	h.t.Helper()
	resp, err := h.put(council, id, parts...)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

// A replaced attachment: the chunks only its old version had are
// condemned by the first sweep (not held any more: Get answers absent)
// and released by the second, their blobs deleted and their bytes off
// the council's usage; the chunk both versions share, and one another
// council's appeal names, stay and come back whole.
func TestSweepReplacedAttachment(t *testing.T) {
	h := newHarness(t)
	shared, old1, old2, fresh, other := content(1, 5000), content(2, 3000), content(3, 2000), content(4, 4000), content(5, 1000)
	h.recs.attach("NRN-ATB", "a1", file(shared, old1, old2))
	h.mustPut("NRN-ATB", "a1", shared, old1, old2)
	// Another council's appeal names old2 (the same scan) and a file of
	// its own.
	h.recs.attach("OSH-ARA", "b1", file(old2, other))
	h.mustPut("OSH-ARA", "b1", old2, other)
	if r := h.sweep(); r.Condemned != 0 || r.ReleasedChunks != 0 || r.BlobsDeleted != 0 {
		t.Fatalf("a sweep with every chunk named: %+v", r)
	}
	// The new version keeps the first part and rewrites the rest.
	h.recs.attach("NRN-ATB", "a1", file(shared, fresh))
	h.mustPut("NRN-ATB", "a1", fresh)
	r := h.sweep()
	if r.Condemned != 2 || r.UnusedBytes != 5000 || r.ReleasedChunks != 0 || r.BlobsDeleted != 0 {
		t.Fatalf("the first sweep after the replacement: %+v", r)
	}
	if u := h.usage("NRN-ATB"); u != (store.ChunkUsage{Chunks: 4, Bytes: 14000}) {
		t.Errorf("condemned chunks still count until released: %+v", u)
	}
	h.fetchable("NRN-ATB", "a1", shared, fresh)
	r = h.sweep()
	if r.ReleasedChunks != 2 || r.ReleasedBytes != 5000 || r.BlobsDeleted != 1 || r.UnusedChunks != 0 {
		t.Fatalf("the second sweep: %+v", r)
	}
	if u := h.usage("NRN-ATB"); u != (store.ChunkUsage{Chunks: 2, Bytes: 9000}) {
		t.Errorf("after the release: %+v", u)
	}
	if h.stored(old1) || !h.stored(old2) || !h.stored(shared) || !h.stored(fresh) {
		t.Errorf("blobs: old1 %v (only the old version named it), old2 %v (another council names it), shared %v, fresh %v",
			h.stored(old1), h.stored(old2), h.stored(shared), h.stored(fresh))
	}
	h.fetchable("NRN-ATB", "a1", shared, fresh)
	h.fetchable("OSH-ARA", "b1", old2, other)
	// The appeal given the old version back: the laptop is told to send
	// what was released, and the server has it again.
	h.recs.attach("NRN-ATB", "a1", file(shared, old1, old2))
	resp := h.mustPut("NRN-ATB", "a1", old1, old2)
	if resp.Stored != 2 {
		t.Errorf("the released chunks sent again: %+v", resp)
	}
	h.fetchable("NRN-ATB", "a1", shared, old1, old2)
	if r := h.sweep(); r.Condemned != 1 { // fresh
		t.Errorf("%+v", r)
	}
	if r := h.sweep(); r.ReleasedChunks != 1 || r.BlobsDeleted != 1 || h.stored(fresh) {
		t.Errorf("%+v", r)
	}
	h.fetchable("NRN-ATB", "a1", shared, old1, old2)
}

// A record that names a condemned chunk again before the second sweep:
// the laptop is told the server lacks it (Have, Get), sends it, and the
// send pardons it; a record naming it again with no send is pardoned by
// the next sweep.
func TestSweepPardon(t *testing.T) {
	h := newHarness(t)
	a, b := content(1, 1000), content(2, 1000)
	h.recs.attach("NRN-ATB", "a1", file(a, b))
	h.mustPut("NRN-ATB", "a1", a, b)
	h.recs.attach("NRN-ATB", "a1")
	if r := h.sweep(); r.Condemned != 2 {
		t.Fatalf("%+v", r)
	}
	h.recs.attach("NRN-ATB", "a1", file(a, b))
	resp, err := h.svc.Have(context.Background(), secretary("NRN-ATB"), &syncproto.HaveRequest{Proto: syncproto.Proto,
		Records: []syncproto.HaveRecord{{RecordRef: syncproto.RecordRef{Kind: domain.KindAppeal, Record: "a1"},
			Chunks: []string{hexSum(a), hexSum(b)}}}})
	if err != nil || len(resp.Records[0].Missing) != 2 {
		t.Fatalf("have: condemned chunks must be missing: %+v %v", resp, err)
	}
	if got := h.get("NRN-ATB", "a1", a, b); got[0] != nil || got[1] != nil {
		t.Fatal("a condemned chunk was given out")
	}
	if resp := h.mustPut("NRN-ATB", "a1", a); resp.Stored != 1 {
		t.Errorf("a condemned chunk sent again: %+v", resp)
	}
	if u := h.usage("NRN-ATB"); u.Chunks != 2 {
		t.Errorf("a pardoned chunk counted again: %+v", u)
	}
	if r := h.sweep(); r.Pardoned != 1 || r.ReleasedChunks != 0 {
		t.Fatalf("b is named again: %+v", r)
	}
	h.fetchable("NRN-ATB", "a1", a, b)
}

func hexSum(p []byte) string {
	s := sha256.Sum256(p)
	return hex.EncodeToString(s[:])
}

var errCrash = errors.New("crash")

// A sweep stopped between its steps (a crash) loses nothing: after
// releasing (the blob dying, not deleted), and after deleting (not yet
// said to the account), a put of the chunk waits and is refused as busy
// until a later sweep finishes the deletion, then stores it anew; a put
// stopped between storing a blob and counting it leaves an orphan the
// sweep deletes. Every chunk a record names comes back whole throughout.
func TestSweepCrashBetweenSteps(t *testing.T) {
	for _, at := range []string{"released", "deleted"} {
		t.Run(at, func(t *testing.T) {
			h := newHarness(t)
			kept, gone := content(1, 2000), content(2, 3000)
			h.recs.attach("NRN-ATB", "a1", file(kept, gone))
			h.mustPut("NRN-ATB", "a1", kept, gone)
			h.recs.attach("NRN-ATB", "a1", file(kept))
			h.sweep()
			h.svc.stepHook = func(step string) error {
				if step == at {
					return errCrash
				}
				return nil
			}
			if _, err := h.svc.Sweep(context.Background()); !errors.Is(err, errCrash) {
				t.Fatalf("the sweep was not stopped: %v", err)
			}
			h.svc.stepHook = nil
			h.fetchable("NRN-ATB", "a1", kept)
			// The chunk named again while its blob is dying: refused for
			// now, nothing recorded.
			h.recs.attach("NRN-ATB", "a1", file(kept, gone))
			_, err := h.put("NRN-ATB", "a1", gone)
			var pe *syncproto.Error
			if !errors.As(err, &pe) || pe.Code != syncproto.CodeUnavailable {
				t.Fatalf("a put of a chunk being deleted: %v", err)
			}
			if got := h.get("NRN-ATB", "a1", gone); got[0] != nil {
				t.Fatal("a chunk being deleted was given out")
			}
			// A sweep soon after leaves another's deletion alone; one past
			// the time a deletion takes finishes it.
			if r := h.sweep(); r.BlobsDeleted != 0 {
				t.Fatalf("a young deletion was taken over: %+v", r)
			}
			h.clock = h.clock.Add(2 * dyingStale)
			if r := h.sweep(); r.BlobsDeleted != 1 {
				t.Fatalf("the stopped deletion: %+v", r)
			}
			if resp := h.mustPut("NRN-ATB", "a1", gone); resp.Stored != 1 {
				t.Fatalf("%+v", resp)
			}
			h.fetchable("NRN-ATB", "a1", kept, gone)
		})
	}
	t.Run("put", func(t *testing.T) {
		h := newHarness(t)
		a := content(1, 2000)
		h.recs.attach("NRN-ATB", "a1", file(a))
		h.svc.stepHook = func(step string) error {
			if step == "stored" {
				return errCrash
			}
			return nil
		}
		if _, err := h.put("NRN-ATB", "a1", a); !errors.Is(err, errCrash) {
			t.Fatalf("the put was not stopped: %v", err)
		}
		h.svc.stepHook = nil
		if !h.stored(a) {
			t.Fatal("no blob")
		}
		if r := h.sweep(); r.Orphans != 1 || h.stored(a) {
			t.Fatalf("the orphan: %+v", r)
		}
		if resp := h.mustPut("NRN-ATB", "a1", a); resp.Stored != 1 {
			t.Fatalf("%+v", resp)
		}
		h.fetchable("NRN-ATB", "a1", a)
	})
}

// The race at the blob: a put finds the blob of a chunk another council
// held, and between finding it and counting it a sweep releases the last
// hold and deletes the blob; the put's count is refused, it stores the
// blob again, and the chunk comes back whole.
func TestSweepDeletesUnderAPut(t *testing.T) {
	h := newHarness(t)
	a := content(1, 2000)
	h.recs.attach("OSH-ARA", "b1", file(a))
	h.mustPut("OSH-ARA", "b1", a)
	h.recs.attach("OSH-ARA", "b1")
	h.sweep() // condemned
	h.recs.attach("NRN-ATB", "a1", file(a))
	var once sync.Once
	h.svc.stepHook = func(step string) error {
		if step == "stored" {
			once.Do(func() {
				if r := h.sweep(); r.BlobsDeleted != 1 || h.stored(a) {
					t.Errorf("the sweep under the put: %+v", r)
				}
			})
		}
		return nil
	}
	if resp := h.mustPut("NRN-ATB", "a1", a); resp.Stored != 1 {
		t.Fatalf("%+v", resp)
	}
	h.svc.stepHook = nil
	if !h.stored(a) {
		t.Fatal("the chunk is counted and its blob is gone")
	}
	h.fetchable("NRN-ATB", "a1", a)
}

// Puts and sweeps at once, many rounds: laptops of three councils keep
// replacing their appeals' files (a part of each file shared with the
// last version and with another council) and sending them, while sweeps
// run; every chunk a record names and the server took comes back whole,
// and once the puts stop, two sweeps leave no blob nobody names.
func TestSweepConcurrentPuts(t *testing.T) {
	h := newHarness(t)
	common := content(99, 1500)
	councils := []string{"NRN-ATB", "OSH-ARA", "CHU-TOK"}
	ctx, cancel := context.WithCancel(context.Background())
	var sweeps sync.WaitGroup
	sweeps.Add(1)
	go func() {
		defer sweeps.Done()
		for ctx.Err() == nil {
			if _, err := h.svc.Sweep(ctx); err != nil && ctx.Err() == nil {
				t.Error(err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	final := make([][][]byte, len(councils))
	for i, council := range councils {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last []byte
			for round := range 25 {
				fresh := content(uint64(i*1000+round), 1000+round)
				parts := [][]byte{common, fresh}
				if last != nil {
					parts = append(parts, last)
				}
				h.recs.attach(council, "a-"+council, file(parts...))
				for try := 0; ; try++ {
					_, err := h.put(council, "a-"+council, parts...)
					var pe *syncproto.Error
					if errors.As(err, &pe) && pe.Code == syncproto.CodeUnavailable && try < 20 {
						continue // being deleted: the laptop sends it again
					}
					if err != nil {
						t.Error(err)
						return
					}
					break
				}
				for j, c := range h.get(council, "a-"+council, parts...) {
					if c == nil {
						continue // condemned by a sweep that ran meanwhile: sent again below
					}
					if !bytes.Equal(c, parts[j]) {
						t.Errorf("%s round %d: chunk %d came back wrong", council, round, j)
					}
				}
				last = fresh
				final[i] = parts
			}
		}()
	}
	wg.Wait()
	cancel()
	sweeps.Wait()
	// What the laptops do at their next sync: send what the server lacks.
	for i, council := range councils {
		h.mustPut(council, "a-"+council, final[i]...)
	}
	h.sweep()
	h.sweep()
	for i, council := range councils {
		h.fetchable(council, "a-"+council, final[i]...)
	}
	var blobs int
	h.blobs.List(context.Background(), "chunks/", func(string, int64) error { blobs++; return nil })
	// common, and each council's last two fresh parts.
	if blobs != 1+2*len(councils) {
		t.Errorf("%d blobs left, want %d", blobs, 1+2*len(councils))
	}
}

func TestSumOfKey(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	if got, ok := sumOfKey(blobKey(sum)); !ok || got != sum {
		t.Fatal(blobKey(sum))
	}
	for _, bad := range []string{"chunks/00/" + hex.EncodeToString(sum[:]), "releases/x", "chunks/" + hex.EncodeToString(sum[:]), fmt.Sprintf("chunks/%02x/zz", sum[0])} {
		if _, ok := sumOfKey(bad); ok {
			t.Errorf("%s read as a chunk's key", bad)
		}
	}
}
