package files

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/blobstore"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Default quotas: a council's attachments (scans, photos, recordings of
// hearings: a few hundred files of a few MB), and the materials of every
// trainer together (booklets, presentations, short videos).
const (
	DefaultQuota         = 2 << 30
	DefaultMaterialQuota = 20 << 30
)

// Store is what the service reads and writes of the storage contract.
type Store interface {
	store.Chunks
	State(ctx context.Context, kind, id string) (*changeset.State, error)
	EachState(ctx context.Context, kind string, fn func(*changeset.State) error) error
	Devices(ctx context.Context) ([]store.Device, error)
}

// Config wires a Service.
type Config struct {
	Store Store
	Blobs blobstore.Store
	// Key is the server's data key; chunks are sealed under a key derived
	// from it. nil keeps them unsealed (tests of this package).
	Key []byte
	// Quota bounds each council's bytes of files (0: DefaultQuota,
	// negative: none); MaterialQuota the materials' (0:
	// DefaultMaterialQuota, negative: none).
	Quota, MaterialQuota int64
	Logger               *slog.Logger
}

// Service answers the files endpoints for authenticated devices. Its
// methods are safe for concurrent use; each holds a few chunks in memory
// at a time (a get one, a put a batch being read and two being stored:
// about 12 MiB, PutBatchBytes), whatever the size of the file.
type Service struct {
	st    Store
	blobs blobstore.Store
	seal  *sealer
	// quota bounds a council's bytes, materials the materials' (0: none).
	quota, materials atomic.Int64
	log              *slog.Logger
	now              func() time.Time
	// stepHook, when a test sets it, is called between the steps of a
	// sweep and of keeping a chunk (sweepStep).
	stepHook sweepStep
}

// New returns the service.
func New(cfg Config) (*Service, error) {
	s, err := newSealer(cfg.Key)
	if err != nil {
		return nil, err
	}
	q := func(v, def int64) int64 {
		switch {
		case v == 0:
			return def
		case v < 0:
			return 0 // none
		}
		return v
	}
	svc := &Service{st: cfg.Store, blobs: cfg.Blobs, seal: s, log: cmp.Or(cfg.Logger, slog.Default()), now: time.Now}
	svc.quota.Store(q(cfg.Quota, DefaultQuota))
	svc.materials.Store(q(cfg.MaterialQuota, DefaultMaterialQuota))
	return svc, nil
}

// SetQuotas changes the quotas: a council's and the materials' (0: none).
func (s *Service) SetQuotas(council, materials int64) {
	s.quota.Store(council)
	s.materials.Store(materials)
}

func (s *Service) quotaOf(owner string) int64 {
	if owner == policy.GlobalOwner {
		return s.materials.Load()
	}
	return s.quota.Load()
}

func perr(code syncproto.Code, format string, a ...any) *syncproto.Error {
	return &syncproto.Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// readable returns the state of the record ref names when dev may read
// it; else CodeNotFound, the same for a record that does not exist, so
// that nothing is learnt of another council's records.
func (s *Service) readable(ctx context.Context, dev *store.Device, ref syncproto.RecordRef) (*changeset.State, error) {
	if !syncproto.ValidName(ref.Kind) || !syncproto.ValidName(ref.Record) {
		return nil, perr(syncproto.CodeInvalid, "%.80q %.80q does not name a record", ref.Kind, ref.Record)
	}
	st, err := s.st.State(ctx, ref.Kind, ref.Record)
	if errors.Is(err, store.ErrNotFound) || err == nil && !policy.MayRead(policy.Device{Role: dev.Role, Council: dev.Council}, st.Kind, st.Council) {
		return nil, perr(syncproto.CodeNotFound, "the server holds no %s %s that this laptop may read", ref.Kind, ref.Record)
	}
	return st, err
}

func isNotFound(err error) bool {
	var e *syncproto.Error
	return errors.As(err, &e) && e.Code == syncproto.CodeNotFound
}

// Have answers which of the chunks asked about each record names and its
// owner holds.
func (s *Service) Have(ctx context.Context, dev *store.Device, req *syncproto.HaveRequest) (*syncproto.HaveResponse, error) {
	if err := syncproto.CheckProto(req.Proto); err != nil {
		return nil, err
	}
	if n := req.CountHaveChunks(); n > syncproto.MaxHaveChunks {
		return nil, perr(syncproto.CodeTooLarge, "%d chunks in one request, at most %d", n, syncproto.MaxHaveChunks)
	}
	parsed := make([][]policy.Chunk, len(req.Records))
	for i, rec := range req.Records {
		for _, h := range rec.Chunks {
			c, err := policy.ParseChunk(h)
			if err != nil {
				return nil, perr(syncproto.CodeInvalid, "%.80s %.80s: %v", rec.Kind, rec.Record, err)
			}
			parsed[i] = append(parsed[i], c)
		}
	}
	resp := &syncproto.HaveResponse{Proto: syncproto.Proto, Records: make([]syncproto.HaveAnswer, len(req.Records))}
	for i, rec := range req.Records {
		a := &resp.Records[i]
		a.RecordRef = rec.RecordRef
		st, err := s.readable(ctx, dev, rec.RecordRef)
		if isNotFound(err) {
			a.Code = syncproto.CodeNotFound
			continue
		}
		if err != nil {
			return nil, err
		}
		named, owner := policy.Chunks(st), policy.Owner(st)
		var ask [][32]byte
		for _, c := range parsed[i] {
			if named[c] > 0 {
				ask = append(ask, c)
			}
		}
		held, err := s.st.HeldChunks(ctx, owner, ask)
		if err != nil {
			return nil, err
		}
		for j, c := range parsed[i] {
			switch _, ok := held[c]; {
			case named[c] == 0:
				a.NotNamed = append(a.NotNamed, rec.Chunks[j])
			case !ok:
				a.Missing = append(a.Missing, rec.Chunks[j])
			}
		}
	}
	return resp, nil
}

// PutBatchBytes bounds the content of a batch of a put's chunks: a
// batch's blobs are made durable together and counted in one commit
// (about three syncs of the disk a batch, where a chunk alone cost
// three), while the next batch is read. A put holds at most a batch being
// read, putStorers being stored and their sealed blobs: about 12 MiB with
// the chunk stream's own buffers.
const PutBatchBytes = 1 << 20

// putStorers is how many batches of a put are stored at once: while one
// waits for the disk, the next is sealed and written.
const putStorers = 2

// putBatchChunks bounds a batch's chunks (a have request's worth of
// small ones).
const putBatchChunks = 64

// pending is a chunk of a put waiting in a batch: its content as it came
// (a copy: the reader's is its own until its next call).
type pending struct {
	sum     [32]byte
	enc     syncproto.ChunkEncoding
	payload []byte
	size    int64 // of its content
	gen     uint64
	slow    bool // its blob was dying: stored on its own (keep)
}

// Put takes a chunk stream of chunks the record ref names, for its owner.
// Every chunk that arrived whole and checked is kept, even when the
// stream is cut or a later chunk refused (the error says which); chunks
// are stored in batches (PutBatchBytes) while the next is read, and the
// answer comes once all that were taken are durable.
func (s *Service) Put(ctx context.Context, dev *store.Device, ref syncproto.RecordRef, cr *syncproto.ChunkReader) (*syncproto.PutResponse, error) {
	st, err := s.readable(ctx, dev, ref)
	if err != nil {
		return nil, err
	}
	named, owner := policy.Chunks(st), policy.Owner(st)
	quota := s.quotaOf(owner)
	w := &batchWriter{s: s, owner: owner, quota: quota, resp: &syncproto.PutResponse{Proto: syncproto.Proto}, ch: make(chan []*pending)}
	// The batches are stored under a context the request's end does not
	// cancel: a cut link cancels ctx, and the chunks that had arrived
	// whole (the batch being read, those being stored) would be refused
	// by the store and sent again by the laptop, up to three batches a
	// cut instead of the one chunk the cut broke. Put still waits for
	// its storers before it returns (finish drains them), so the server's
	// limits on requests at once bound this work as before.
	for range putStorers {
		go w.run(context.WithoutCancel(ctx))
	}
	var (
		batch      []*pending
		batchBytes int64
		// used is the owner's usage as last read, ahead the bytes taken
		// since (not counted yet): what the quota is checked against
		// before a blob is written (AddChunks checks it again,
		// atomically).
		used, ahead int64
		fresh       bool // used was read since the last batch was stored
	)
	flush := func() {
		if len(batch) > 0 {
			w.submit(batch)
			batch, batchBytes = nil, 0
		}
	}
	// finish stores what was read and answers; a batch that could not be
	// stored is the error, before anything read after it.
	finish := func(err error) (*syncproto.PutResponse, error) {
		flush()
		w.close()
		if f := w.err(); f != nil {
			err = f
		}
		return w.resp, err
	}
	if quota > 0 {
		u, err := s.st.ChunkUsage(ctx, owner)
		if err != nil {
			return finish(err)
		}
		used, fresh = u.Bytes, true
	}
	for n := 0; ; n++ {
		if w.err() != nil {
			return finish(nil)
		}
		c, err := cr.Next()
		if err == io.EOF {
			return finish(nil)
		}
		switch {
		case errors.Is(err, syncproto.ErrChunk):
			return finish(perr(syncproto.CodeFrame, "%v: it was not stored; send it again", err))
		case err != nil:
			return finish(perr(syncproto.CodeFrame, "the chunk stream was cut off after %d chunks: %v", n, err))
		case n >= syncproto.MaxPutChunks:
			return finish(perr(syncproto.CodeTooLarge, "more than %d chunks in one request", syncproto.MaxPutChunks))
		case c.Enc.Status():
			return finish(perr(syncproto.CodeInvalid, "chunk %s: a put carries content, not a status", c.Hex()))
		case named[c.Sum] == 0:
			return finish(perr(syncproto.CodeForbidden, "%s %s does not name chunk %s: only the chunks of its files are taken", ref.Kind, ref.Record, c.Hex()))
		case named[c.Sum] != int64(len(c.Plain)):
			return finish(perr(syncproto.CodeInvalid, "chunk %s is %d bytes; the record says %d", c.Hex(), len(c.Plain), named[c.Sum]))
		}
		size := int64(len(c.Plain))
		if quota > 0 && used+ahead+size > quota {
			if !fresh {
				// Past it with what is not counted yet: store that
				// first and look again, so that what is refused is what
				// came last.
				flush()
				w.drain()
				if w.err() != nil {
					return finish(nil)
				}
				u, err := s.st.ChunkUsage(ctx, owner)
				if err != nil {
					return finish(err)
				}
				used, ahead, fresh = u.Bytes, 0, true
			}
			if used+ahead+size > quota {
				// A chunk held already takes no room.
				held, err := s.st.HeldChunks(ctx, owner, [][32]byte{c.Sum})
				if err == nil && len(held) == 0 {
					err = quotaErr(owner, used+ahead, quota)
				}
				if err != nil {
					return finish(err)
				}
			}
		}
		ahead += size
		batch = append(batch, &pending{sum: c.Sum, enc: c.Enc, payload: bytes.Clone(c.Payload), size: size})
		batchBytes += size
		if batchBytes >= PutBatchBytes || len(batch) == putBatchChunks {
			flush()
			fresh = false
		}
	}
}

// batchWriter stores the batches of one put, putStorers at a time, and
// counts them in the put's answer. Batches may be counted out of their
// order: past the quota, the put waits for them all before it looks at
// the usage again.
type batchWriter struct {
	s      *Service
	owner  string
	quota  int64
	ch     chan []*pending
	wg     sync.WaitGroup // batches submitted and not stored yet
	mu     sync.Mutex     // resp and failed
	resp   *syncproto.PutResponse
	failed error // the first batch that could not be stored
}

func (w *batchWriter) run(ctx context.Context) {
	for b := range w.ch {
		if w.err() == nil {
			n, err := w.s.storeBatch(ctx, w.owner, w.quota, b)
			w.mu.Lock()
			w.resp.Stored += n.Stored
			w.resp.Held += n.Held
			w.resp.Bytes += n.Bytes
			if err != nil && w.failed == nil {
				w.failed = err
			}
			w.mu.Unlock()
		}
		w.wg.Done()
	}
}

func (w *batchWriter) submit(b []*pending) {
	w.wg.Add(1)
	w.ch <- b
}

// drain waits until every batch submitted is stored (or refused).
func (w *batchWriter) drain() { w.wg.Wait() }

// close drains and ends the goroutine.
func (w *batchWriter) close() {
	w.drain()
	close(w.ch)
}

func (w *batchWriter) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

// storeBatch stores a batch of a put's chunks: those the owner holds are
// counted held; the blobs not stored yet are sealed and made durable
// together (blobstore PutBatch), then the chunks counted in one commit
// (AddChunks). A chunk whose blob is being deleted by a sweep, or was
// deleted under the batch, is stored on its own (keep, which waits and
// stores it again).
func (s *Service) storeBatch(ctx context.Context, owner string, quota int64, batch []*pending) (n syncproto.PutResponse, err error) {
	sums := make([][32]byte, len(batch))
	for i, p := range batch {
		sums[i] = p.sum
	}
	held, err := s.st.HeldChunks(ctx, owner, sums)
	if err != nil {
		return n, err
	}
	var todo []*pending
	var blobs []blobstore.Blob
	planned := map[[32]byte]bool{}
	for _, p := range batch {
		if _, ok := held[p.sum]; ok {
			n.Held++
			continue
		}
		todo = append(todo, p)
		b, err := s.st.ChunkBlob(ctx, p.sum)
		if err != nil {
			return n, err
		}
		if !b.Dying.IsZero() {
			p.slow = true
			continue
		}
		p.gen = b.Gen
		if planned[p.sum] {
			continue
		}
		planned[p.sum] = true
		if _, err := s.blobs.Stat(ctx, blobKey(p.sum)); errors.Is(err, blobstore.ErrNotFound) {
			blobs = append(blobs, blobstore.Blob{Key: blobKey(p.sum), Data: s.seal.seal(nil, p.sum, p.enc, p.payload)})
		} else if err != nil {
			return n, s.blobErr(err)
		}
	}
	if len(blobs) > 0 {
		if err := s.blobs.PutBatch(ctx, blobs); err != nil {
			return n, s.blobErr(err)
		}
	}
	if err := s.step("stored"); err != nil {
		return n, err
	}
	count := func(p *pending, added bool) {
		if added {
			n.Stored++
			n.Bytes += int64(len(p.payload))
		} else {
			n.Held++
		}
	}
	var add []*pending
	for _, p := range todo {
		if !p.slow {
			add = append(add, p)
		}
	}
	for len(add) > 0 {
		chunks := make([]store.NewChunk, len(add))
		for i, p := range add {
			chunks[i] = store.NewChunk{Sum: p.sum, Size: p.size, Gen: p.gen}
		}
		added, err := s.st.AddChunks(ctx, owner, chunks, quota)
		for i, a := range added {
			count(add[i], a)
		}
		switch {
		case err == nil:
			add = nil
		case errors.Is(err, store.ErrBlobChanged):
			// Deleted under the batch: on its own, stored again.
			add[len(added)].slow = true
			add = add[len(added)+1:]
		case errors.Is(err, store.ErrQuota):
			u, _ := s.st.ChunkUsage(ctx, owner)
			return n, quotaErr(owner, u.Bytes, quota)
		default:
			return n, err
		}
	}
	for _, p := range todo {
		if !p.slow {
			continue
		}
		added, err := s.keep(ctx, owner, p.sum, p.size, quota, s.seal.seal(nil, p.sum, p.enc, p.payload))
		if err != nil {
			return n, err
		}
		count(p, added)
	}
	return n, nil
}

// keep stores a chunk's sealed blob (unless another owner's copy is
// there: the same bytes, checked against the same SHA-256) and counts it
// for owner. The blob's generation is read before it is looked for, and
// the count refused if it moved meanwhile (a sweep deleted the blob under
// the put): then it is stored again. A blob being deleted is waited for.
func (s *Service) keep(ctx context.Context, owner string, sum [32]byte, size, quota int64, blob []byte) (added bool, err error) {
	key := blobKey(sum)
	for try := 0; ; try++ {
		b, err := s.st.ChunkBlob(ctx, sum)
		if err != nil {
			return false, err
		}
		if !b.Dying.IsZero() {
			if try == blobTries {
				return false, perr(syncproto.CodeUnavailable, "chunk %x: %v; it is sent again later", sum[:6], errBlobBusy)
			}
			if err := s.wait(ctx, try); err != nil {
				return false, err
			}
			continue
		}
		if _, err := s.blobs.Stat(ctx, key); errors.Is(err, blobstore.ErrNotFound) {
			if err := s.blobs.Put(ctx, key, blob); err != nil {
				return false, s.blobErr(err)
			}
		} else if err != nil {
			return false, s.blobErr(err)
		}
		if err := s.step("stored"); err != nil {
			return false, err
		}
		added, err = s.st.AddChunk(ctx, owner, sum, size, quota, b.Gen)
		switch {
		case errors.Is(err, store.ErrBlobChanged) && try < blobTries:
			continue
		case errors.Is(err, store.ErrBlobChanged):
			return false, perr(syncproto.CodeUnavailable, "chunk %x: %v; it is sent again later", sum[:6], errBlobBusy)
		case errors.Is(err, store.ErrQuota):
			u, _ := s.st.ChunkUsage(ctx, owner)
			return false, quotaErr(owner, u.Bytes, quota)
		}
		return added, err
	}
}

// wait waits before the try after try (10 ms, then twice as long each
// time), or until ctx ends.
func (s *Service) wait(ctx context.Context, try int) error {
	t := time.NewTimer(10 * time.Millisecond << try)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func quotaErr(owner string, used, quota int64) error {
	who := "council " + owner
	if owner == policy.GlobalOwner {
		who = "the materials"
	}
	// Removing a file from a record gives its room back only at the
	// sweeps after it (Sweep), so the way out now is the quota.
	flag := "--files-quota"
	if owner == policy.GlobalOwner {
		flag = "--materials-quota"
	}
	return perr(syncproto.CodeQuota, "%s: %s of %s for files on the server used; the chunk was not stored and the files wait on the laptop: ask the administrator to raise the quota (serve %s)",
		who, gib(used), gib(quota), flag)
}

func gib(n int64) string { return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30)) }

// blobErr says a blob store's failure as the laptop should hear it: a
// full disk is the server's to fix, and the laptop tries again later.
func (s *Service) blobErr(err error) error {
	if errors.Is(err, blobstore.ErrDiskFull) {
		s.log.Error("the file store's disk is full", "err", err)
		return perr(syncproto.CodeUnavailable, "the server's disk for files is full; the files stay on this laptop and are sent later")
	}
	return err
}

// Get writes a chunk stream of the chunks asked for, in their order: each
// the record names and its owner holds, or why not (ChunkNotNamed,
// ChunkAbsent). What it checks is checked before anything is written; an
// error after that (the laptop went away, a damaged blob) ends the
// stream, which the laptop sees cut and asks again.
func (s *Service) Get(ctx context.Context, dev *store.Device, req *syncproto.GetRequest, start func() io.Writer) error {
	if err := syncproto.CheckProto(req.Proto); err != nil {
		return err
	}
	if len(req.Chunks) > syncproto.MaxGetChunks {
		return perr(syncproto.CodeTooLarge, "%d chunks in one request, at most %d", len(req.Chunks), syncproto.MaxGetChunks)
	}
	sums := make([][32]byte, len(req.Chunks))
	for i, h := range req.Chunks {
		c, err := policy.ParseChunk(h)
		if err != nil {
			return perr(syncproto.CodeInvalid, "%v", err)
		}
		sums[i] = c
	}
	st, err := s.readable(ctx, dev, req.RecordRef)
	if err != nil {
		return err
	}
	named, owner := policy.Chunks(st), policy.Owner(st)
	var total int64
	for _, c := range sums {
		total += named[c]
	}
	if total > syncproto.MaxGetBytes {
		return perr(syncproto.CodeTooLarge, "%d bytes of chunks in one request, at most %d", total, syncproto.MaxGetBytes)
	}
	held, err := s.st.HeldChunks(ctx, owner, sums)
	if err != nil {
		return err
	}
	cw := syncproto.NewChunkWriter(start())
	if err := cw.Start(); err != nil {
		return nil
	}
	for _, c := range sums {
		var werr error
		switch _, ok := held[c]; {
		case named[c] == 0:
			werr = cw.Write(c, syncproto.ChunkNotNamed, nil)
		case !ok:
			werr = cw.Write(c, syncproto.ChunkAbsent, nil)
		default:
			blob, err := s.blobs.Get(ctx, blobKey(c))
			var enc syncproto.ChunkEncoding
			var payload []byte
			if err == nil {
				enc, payload, err = s.seal.open(c, blob)
			}
			if err != nil {
				// Held but unreadable: the account says it is there, so
				// the laptop would only ask again; say it loudly here.
				s.log.Error("a chunk the server holds cannot be read", "chunk", fmt.Sprintf("%x", c), "owner", owner, "err", err)
				return nil
			}
			werr = cw.Write(c, enc, payload)
		}
		if werr != nil {
			return nil // the laptop went away
		}
	}
	return nil
}

// MaterialCopies lists what every laptop holds of each material, for
// trainers and central staff.
func (s *Service) MaterialCopies(ctx context.Context, dev *store.Device) (*syncproto.MaterialCopies, error) {
	if dev.Role != domain.RoleTrainer && dev.Role != domain.RoleCentral {
		return nil, perr(syncproto.CodeForbidden, "what councils hold of materials is for trainers and central staff")
	}
	devs, err := s.st.Devices(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(devs))
	for _, d := range devs {
		names[d.ID] = d.Name
	}
	resp := &syncproto.MaterialCopies{Proto: syncproto.Proto, Copies: []syncproto.MaterialCopy{}}
	err = s.st.EachState(ctx, domain.KindMaterialCopy, func(st *changeset.State) error {
		if st.Deleted() {
			return nil
		}
		var m domain.MaterialCopy
		if err := (changeset.Schema{}).FromFields(st.Values(), &m); err != nil {
			return nil // judged on the way in; nothing to show
		}
		resp.Copies = append(resp.Copies, syncproto.MaterialCopy{Material: m.Material, Council: m.Council, Laptop: names[st.Fields["material"].Device],
			Downloaded: m.Downloaded, DownloadedAt: utc(m.DownloadedAt), Read: m.Read, ReadAt: utc(m.ReadAt)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(resp.Copies, func(a, b syncproto.MaterialCopy) int {
		return cmp.Or(cmp.Compare(a.Material, b.Material), cmp.Compare(a.Council, b.Council), cmp.Compare(a.Laptop, b.Laptop))
	})
	return resp, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
