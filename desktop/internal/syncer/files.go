package syncer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// FileStore is what moving files asks of the laptop: the records whose
// files have something to send or fetch, the chunks it holds, and the
// bookkeeping of what the server holds (files.Files is one).
type FileStore interface {
	// Pending returns the records whose files have something to send or
	// to fetch (files.Work: each chunk here or not, held by the server
	// or not, and whether to fetch now).
	Pending(ctx context.Context) ([]*files.Work, error)
	// Chunk returns a chunk this laptop holds, checked against its sum.
	Chunk(ctx context.Context, sum [32]byte) ([]byte, error)
	// Sent notes that the server holds chunks of a work's record;
	// Received keeps chunks of it fetched from the server (checked on
	// arrival) and notes the same.
	Sent(ctx context.Context, w *files.Work, sums [][32]byte) error
	Received(ctx context.Context, w *files.Work, chunks [][]byte) error
	// Done notes a record's files done as the work says them (it checks
	// again what is here).
	Done(ctx context.Context, w *files.Work) error
	// SetSlow says the link is slow: large materials then wait for a
	// person.
	SetSlow(slow bool)
	// Touch notes that a record pulled may name files.
	Touch(kind, id string)
	// SweepIfDue drops the chunks no record names any more, once a day
	// (files.Files.Sweep).
	SweepIfDue(ctx context.Context, now time.Time) (files.SweepReport, bool, error)
}

// Moving files: after the records (a record's operations are pushed
// before its chunks, so the server knows which chunks the record names),
// chunks go up and come down in requests of about requestTime each on
// the link as measured, so that a cut connection repeats at most one
// request's worth (and the server keeps every chunk that reached it
// whole: only the one being sent is lost).
const (
	requestTime = 30 * time.Second
	// firstRequest is the first request's size in bytes of chunks, before
	// the link is measured; minRequest and the protocol's limits bound the
	// rest.
	firstRequest = 256 << 10
	minRequest   = 64 << 10
	// slowLink: below this many bytes a second, materials over the
	// automatic size wait for a person (EDGE carries 10-20 KB/s).
	slowLink = 32 << 10
	// refetches is how often a request that brought a damaged chunk is
	// made again at once before the sync gives up until later.
	refetches = 3
	// haveRecords bounds the records of one have request.
	haveRecords = 500
)

// FilesProgress is how far moving files has come in one sync: bytes of
// chunks sent and fetched of what there was to move, and the speed
// measured, for "12 of 40 MB, 3 minutes left".
type FilesProgress struct {
	UpDone, UpTotal     int64
	DownDone, DownTotal int64
	// Rate is bytes a second over the link, as the last request measured
	// (0 before one).
	Rate float64
}

// Left is the time the rest should take at the measured rate (0 when not
// known).
func (p FilesProgress) Left() time.Duration {
	rest := p.UpTotal - p.UpDone + p.DownTotal - p.DownDone
	if p.Rate <= 0 || rest <= 0 {
		return 0
	}
	return time.Duration(float64(rest) / p.Rate * float64(time.Second))
}

// FilesSummary is what moving files did in one sync.
type FilesSummary struct {
	UpChunks   int   `json:"up_chunks"`
	UpBytes    int64 `json:"up_bytes"` // of chunks as they travelled (compressed or not)
	DownChunks int   `json:"down_chunks"`
	DownBytes  int64 `json:"down_bytes"`
	// Refetched counts chunks that arrived damaged and were fetched again.
	Refetched int `json:"refetched,omitempty"`
	// Waiting is what is left to move (a budget ran out, or the server
	// did not hold a chunk yet): chunks and bytes.
	WaitingChunks int   `json:"waiting_chunks,omitempty"`
	WaitingBytes  int64 `json:"waiting_bytes,omitempty"`
	// NoFiles says the server does not carry files (older than
	// capability 6): they stay on this laptop.
	NoFiles bool `json:"no_files,omitempty"`
	// More says the time for files ran out with some left to move.
	More bool `json:"more,omitempty"`
	// SweptChunks and SweptBytes are what this laptop dropped of files
	// no record names any more (once a day, after moving files).
	SweptChunks int64 `json:"swept_chunks,omitempty"`
	SweptBytes  int64 `json:"swept_bytes,omitempty"`

	traffic syncclient.Traffic // of the client that moved them
}

// mover moves one sync's files.
type mover struct {
	fs       FileStore
	c        *syncclient.Client
	sum      *FilesSummary
	prog     FilesProgress
	report   func(FilesProgress)
	limit    int64 // bytes of chunks per request
	deadline time.Time
}

// errBudget ends a pass whose time is up; what is left goes next time.
var errBudget = errors.New("the time for files in this sync is up")

// syncFiles moves what the records name: up what the server lacks, down
// what this laptop fetches. budget bounds the time (0: none), so that a
// background sync on a slow link comes back to the records; what is left
// goes next time.
func (s *Syncer) syncFiles(ctx context.Context, c *syncclient.Client, budget time.Duration) (*FilesSummary, error) {
	sum := &FilesSummary{}
	if s.Files == nil {
		return sum, nil
	}
	sum, err := s.moveAll(ctx, c, budget)
	if err == nil {
		// After moving: what was fetched is named by then.
		var r files.SweepReport
		r, _, err = s.Files.SweepIfDue(ctx, s.now())
		sum.SweptChunks, sum.SweptBytes = r.Chunks, r.Bytes
	}
	return sum, err
}

func (s *Syncer) moveAll(ctx context.Context, c *syncclient.Client, budget time.Duration) (*FilesSummary, error) {
	sum := &FilesSummary{}
	work, err := s.Files.Pending(ctx)
	if err != nil || len(work) == 0 {
		return sum, err
	}
	m := &mover{fs: s.Files, c: c, sum: sum, report: s.FilesProgress, limit: firstRequest}
	if budget > 0 {
		m.deadline = s.now().Add(budget)
	}
	for _, w := range work {
		_, up := w.Up()
		_, down := w.Down()
		m.prog.UpTotal += up
		m.prog.DownTotal += down
	}
	m.progress()
	err = m.run(ctx, work)
	if errors.Is(err, syncclient.ErrNoFiles) {
		sum.NoFiles = true
		return sum, nil
	}
	if errors.Is(err, errBudget) {
		sum.More, err = true, nil
	}
	sum.WaitingBytes = m.prog.UpTotal - m.prog.UpDone + m.prog.DownTotal - m.prog.DownDone
	return sum, err
}

func (m *mover) progress() {
	if m.report != nil {
		m.report(m.prog)
	}
}

// measured notes a request that moved n bytes in d: the link's rate, and
// the next request's size.
func (m *mover) measured(n int64, d time.Duration) {
	if n < 16<<10 || d <= 0 {
		return // too little to say anything of the link
	}
	rate := float64(n) / d.Seconds()
	m.prog.Rate = rate
	m.limit = max(minRequest, min(int64(rate*requestTime.Seconds()), syncproto.MaxGetBytes))
	m.fs.SetSlow(rate < slowLink)
}

func (m *mover) timeUp(now time.Time) bool { return !m.deadline.IsZero() && now.After(m.deadline) }

func (m *mover) run(ctx context.Context, work []*files.Work) error {
	// Up first: a council's files reach the centre before anything is
	// fetched.
	var up []*files.Work
	for _, w := range work {
		if n, _ := w.Up(); n > 0 {
			up = append(up, w)
		}
	}
	upDone := map[*files.Work]bool{}
	for i := 0; i < len(up); i += haveRecords {
		batch := up[i:min(i+haveRecords, len(up))]
		if err := m.upload(ctx, batch, upDone); err != nil {
			return err
		}
	}
	for _, w := range work {
		if n, _ := w.Up(); n > 0 && !upDone[w] {
			continue // the server does not hold it all yet: not done
		}
		if err := m.download(ctx, w); err != nil {
			return err
		}
		if err := m.fs.Done(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

func hexOf(sum [32]byte) string { return hex.EncodeToString(sum[:]) }

// upload asks which chunks of these records the server lacks and sends
// them; upDone gets the records whose chunks the server then holds all.
func (m *mover) upload(ctx context.Context, ws []*files.Work, upDone map[*files.Work]bool) error {
	// One have request for all of them (the protocol bounds the chunks).
	type asking struct {
		w   *files.Work
		idx []int
	}
	var batch []asking
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		req := &syncproto.HaveRequest{}
		for _, a := range batch {
			hr := syncproto.HaveRecord{RecordRef: syncproto.RecordRef{Kind: a.w.Kind, Record: a.w.ID}}
			for _, j := range a.idx {
				hr.Chunks = append(hr.Chunks, hexOf(a.w.Chunks[j].Sum))
			}
			req.Records = append(req.Records, hr)
		}
		resp, err := m.c.Have(ctx, req)
		if err != nil {
			return err
		}
		for i, ans := range resp.Records {
			a := batch[i]
			if ans.Code != "" {
				continue // the server holds no such record yet: its operations go first
			}
			missing := map[string]bool{}
			for _, h := range ans.Missing {
				missing[h] = true
			}
			notNamed := map[string]bool{}
			for _, h := range ans.NotNamed {
				notNamed[h] = true
			}
			var held [][32]byte
			var send []int
			for _, j := range a.idx {
				h := hexOf(a.w.Chunks[j].Sum)
				switch {
				case notNamed[h]:
					// The record as the server holds it does not name it
					// (this laptop's change is not there yet, or another
					// removed the file): looked at again next time.
				case missing[h]:
					send = append(send, j)
				default:
					held = append(held, a.w.Chunks[j].Sum)
					m.prog.UpDone += a.w.Chunks[j].Size
				}
			}
			if err := m.fs.Sent(ctx, a.w, held); err != nil {
				return err
			}
			if len(ans.NotNamed) > 0 {
				continue
			}
			if err := m.put(ctx, a.w, send); err != nil {
				return err
			}
			upDone[a.w] = true
		}
		m.progress()
		batch = batch[:0]
		return nil
	}
	n := 0
	for _, w := range ws {
		var idx []int
		for j, c := range w.Chunks {
			if c.Local && !c.Sent {
				idx = append(idx, j)
			}
		}
		if n+len(idx) > syncproto.MaxHaveChunks {
			if err := send(); err != nil {
				return err
			}
			n = 0
		}
		batch = append(batch, asking{w, idx})
		n += len(idx)
	}
	return send()
}

// put sends chunks idx of w, in requests of about m.limit bytes.
func (m *mover) put(ctx context.Context, w *files.Work, idx []int) error {
	ref := syncproto.RecordRef{Kind: w.Kind, Record: w.ID}
	for len(idx) > 0 {
		if m.timeUp(time.Now()) {
			return errBudget
		}
		// This request's chunks: at least one, up to the limits (the
		// stream's own bytes counted: a chunk sent raw is as large as it
		// is, and the server refuses a body over MaxPutBytes).
		n := fit(w, idx, min(m.limit, syncproto.MaxPutBytes), syncproto.MaxPutChunks, syncproto.ChunkHeaderBytes)
		var size int64
		for _, k := range idx[:n] {
			size += w.Chunks[k].Size
		}
		part := idx[:n]
		i := 0
		var wire int64
		start := time.Now()
		resp, err := m.c.PutChunks(ctx, ref, func() (*syncclient.OutChunk, error) {
			if i == len(part) {
				return nil, nil
			}
			c := w.Chunks[part[i]]
			i++
			plain, err := m.fs.Chunk(ctx, c.Sum)
			if err != nil {
				return nil, err
			}
			enc, payload, err := syncproto.EncodeChunk(plain, true)
			if err != nil {
				return nil, err
			}
			wire += int64(len(payload))
			return &syncclient.OutChunk{Sum: c.Sum, Enc: enc, Payload: payload}, nil
		})
		if err != nil {
			return fmt.Errorf("send the files of %s %s: %w", w.Kind, w.ID, err)
		}
		// A body cut between two chunks reads as a shorter stream: the
		// server must account for every chunk sent.
		if resp.Stored+resp.Held != len(part) {
			return fmt.Errorf("send the files of %s %s: %w", w.Kind, w.ID, &syncproto.Error{Code: syncproto.CodeUnreachable,
				Message: fmt.Sprintf("the server took %d of the %d chunks sent: the request was cut on the way; the rest goes next time", resp.Stored+resp.Held, len(part))})
		}
		m.measured(wire, time.Since(start))
		sums := make([][32]byte, len(part))
		for j, k := range part {
			sums[j] = w.Chunks[k].Sum
		}
		if err := m.fs.Sent(ctx, w, sums); err != nil {
			return err
		}
		m.sum.UpChunks += resp.Stored
		m.sum.UpBytes += wire
		m.prog.UpDone += size
		m.progress()
		idx = idx[n:]
	}
	return nil
}

// fit is how many of the chunks idx of w one request carries: at least
// one, at most maxChunks, and, with each chunk's perChunk bytes of framing
// (and the stream's magic when there is framing), at most limit bytes.
func fit(w *files.Work, idx []int, limit int64, maxChunks int, perChunk int64) int {
	var size int64
	if perChunk > 0 {
		size = 4 // the stream's magic
	}
	n := 0
	for n < len(idx) && n < maxChunks {
		next := size + w.Chunks[idx[n]].Size + perChunk
		if n > 0 && next > limit {
			break
		}
		size = next
		n++
	}
	return n
}

// download fetches the chunks of w this laptop lacks, when w says to.
func (m *mover) download(ctx context.Context, w *files.Work) error {
	if !w.Fetch {
		return nil
	}
	var want []int
	for j, c := range w.Chunks {
		if !c.Local {
			want = append(want, j)
		}
	}
	ref := syncproto.RecordRef{Kind: w.Kind, Record: w.ID}
	damaged := 0
	for len(want) > 0 {
		if m.timeUp(time.Now()) {
			return errBudget
		}
		n := fit(w, want, min(m.limit, syncproto.MaxGetBytes), syncproto.MaxGetChunks, 0)
		req := &syncproto.GetRequest{RecordRef: ref}
		for _, j := range want[:n] {
			req.Chunks = append(req.Chunks, hexOf(w.Chunks[j].Sum))
		}
		var got [][]byte
		var wire int64
		arrived := 0 // chunks of the answer so far, whatever they were
		keep := func() error {
			if len(got) == 0 {
				return nil
			}
			err := m.fs.Received(ctx, w, got)
			got = got[:0]
			return err
		}
		start := time.Now()
		err := m.c.GetChunks(ctx, req, func(c *syncproto.StreamChunk) error {
			j := want[arrived]
			arrived++
			if c.Enc.Status() {
				return nil // not at the server yet (or no longer named): next time
			}
			if sha256.Sum256(c.Plain) != w.Chunks[j].Sum || int64(len(c.Plain)) != w.Chunks[j].Size {
				return fmt.Errorf("%w: chunk %d is not the one asked for", ErrBadAnswer, arrived)
			}
			got = append(got, append([]byte(nil), c.Plain...))
			wire += int64(len(c.Payload))
			m.sum.DownChunks++
			m.sum.DownBytes += int64(len(c.Payload))
			m.prog.DownDone += w.Chunks[j].Size
			if len(got) == 8 {
				return keep()
			}
			return nil
		})
		// What arrived whole is kept, whatever came after it.
		if kerr := keep(); kerr != nil {
			return kerr
		}
		m.progress()
		if errors.Is(err, syncproto.ErrChunk) && damaged < refetches {
			// Damaged on the way: nothing of that chunk was kept; ask
			// again from it.
			damaged++
			m.sum.Refetched++
			want = want[arrived:]
			continue
		}
		if err != nil {
			return fmt.Errorf("fetch the files of %s %s: %w", w.Kind, w.ID, err)
		}
		m.measured(wire, time.Since(start))
		want = want[n:]
	}
	return nil
}

// MaterialHolder is what one laptop of a council holds of a material, as
// the server knows it from the laptop's copy record: the versions
// downloaded and marked as read (0: none), and when.
type MaterialHolder struct {
	Material     string
	Council      string
	Laptop       string // the name the administrator registered it under
	Downloaded   int
	DownloadedAt *time.Time
	Read         int
	ReadAt       *time.Time
}

// MaterialCopies asks the server what every council's laptops hold of
// each material: what a trainer (and central staff) see of who has the
// newest version.
func (s *Syncer) MaterialCopies(ctx context.Context) ([]MaterialHolder, error) {
	e, err := s.svc.Enrollment(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.newClient(e)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	resp, err := c.MaterialCopies(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MaterialHolder, 0, len(resp.Copies))
	for _, m := range resp.Copies {
		out = append(out, MaterialHolder{Material: m.Material, Council: m.Council, Laptop: m.Laptop,
			Downloaded: m.Downloaded, DownloadedAt: m.DownloadedAt, Read: m.Read, ReadAt: m.ReadAt})
	}
	return out, nil
}
