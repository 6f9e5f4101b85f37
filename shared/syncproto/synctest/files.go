package synctest

import (
	"cmp"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// stored is a chunk as the fake keeps it: as it came.
type stored struct {
	enc     syncproto.ChunkEncoding
	payload []byte
	size    int64 // its content's
}

// DefaultFilesQuota is the fake's room for files per owner (a council,
// or policy.GlobalOwner) unless SetFilesQuota says otherwise.
const DefaultFilesQuota = 1 << 30

// SetFilesQuota sets the room for files of every owner (Target).
func (s *Server) SetFilesQuota(t testing.TB, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quota = bytes
}

// Chunk returns a chunk's content as the fake holds it (nil if it does
// not), for tests that look at what reached the server.
func (s *Server) Chunk(sum [32]byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.chunks[sum]
	if !ok {
		return nil
	}
	plain, err := syncproto.DecodeChunk(sum, c.enc, c.payload, nil)
	if err != nil {
		return nil
	}
	return plain
}

// serveFiles serves the files endpoints; it reports whether path was one.
func (s *Server) serveFiles(w http.ResponseWriter, r *http.Request) bool {
	var err error
	switch r.URL.Path {
	case syncproto.PathFilesHave:
		var out []byte
		if out, err = s.filesHave(r); err == nil {
			writeFrame(w, out)
		}
	case syncproto.PathFilesPut:
		var out []byte
		if out, err = s.filesPut(r); err == nil {
			writeFrame(w, out)
		}
	case syncproto.PathFilesGet:
		err = s.filesGet(w, r)
	case syncproto.PathMaterialCopies:
		var out []byte
		if out, err = s.materialCopies(r); err == nil {
			writeFrame(w, out)
		}
	default:
		return false
	}
	if err != nil {
		fail(w, err)
	}
	return true
}

func writeFrame(w http.ResponseWriter, out []byte) {
	w.Header().Set("Content-Type", syncproto.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.Write(out)
}

// filesDevice authenticates a files request, made with method.
func (s *Server) filesDevice(r *http.Request, method string) (*device, error) {
	if r.Method != method {
		return nil, perr(syncproto.CodeInvalid, "use %s", method)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authenticate(r)
}

// readFrame reads a framed files request into v.
func (s *Server) readFrame(r *http.Request, v any) error {
	frame, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, syncproto.MaxFrameBytes))
	if err != nil {
		return perr(syncproto.CodeFrame, "the request body was cut off or is too large: %v", err)
	}
	if n, ok := syncproto.DecodedLen(frame); ok && n > syncproto.MaxFilesRequestBytes {
		return perr(syncproto.CodeTooLarge, "a files request of %d bytes, at most %d", n, syncproto.MaxFilesRequestBytes)
	}
	raw, err := s.codec.Decode(frame)
	if err != nil {
		return perr(syncproto.CodeFrame, "%v", err)
	}
	if err := syncproto.DecodeFilesRequest(raw, v); err != nil {
		if errors.Is(err, syncproto.ErrLimit) {
			return perr(syncproto.CodeTooLarge, "%v", err)
		}
		return perr(syncproto.CodeFrame, "%v", err)
	}
	return nil
}

// readable returns the state of a record dev may read, or CodeNotFound
// (the same for a record that does not exist). s.mu is held.
func (s *Server) readable(dev *device, ref syncproto.RecordRef) (*changeset.State, error) {
	if !syncproto.ValidName(ref.Kind) || !syncproto.ValidName(ref.Record) {
		return nil, perr(syncproto.CodeInvalid, "%.80q %.80q does not name a record", ref.Kind, ref.Record)
	}
	st := s.states[ref.Kind+":"+ref.Record]
	if st == nil || !policy.MayRead(policy.Device{Role: dev.role, Council: dev.council}, st.Kind, st.Council) {
		return nil, perr(syncproto.CodeNotFound, "the server holds no %s %s that this laptop may read", ref.Kind, ref.Record)
	}
	return st, nil
}

// sentFor reports whether chunk c was sent through a record of owner (and
// is held). s.mu is held.
func (s *Server) sentFor(owner string, c policy.Chunk) bool {
	_, ok := s.owned[owner][c]
	return ok
}

func (s *Server) filesHave(r *http.Request) ([]byte, error) {
	dev, err := s.filesDevice(r, http.MethodPost)
	if err != nil {
		return nil, err
	}
	var req syncproto.HaveRequest
	if err := s.readFrame(r, &req); err != nil {
		return nil, err
	}
	if err := syncproto.CheckProto(req.Proto); err != nil {
		return nil, err
	}
	if n := req.CountHaveChunks(); n > syncproto.MaxHaveChunks {
		return nil, perr(syncproto.CodeTooLarge, "%d chunks in one request, at most %d", n, syncproto.MaxHaveChunks)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := syncproto.HaveResponse{Proto: syncproto.Proto, Records: make([]syncproto.HaveAnswer, len(req.Records))}
	for i, rec := range req.Records {
		a := &resp.Records[i]
		a.RecordRef = rec.RecordRef
		for _, h := range rec.Chunks {
			if _, err := policy.ParseChunk(h); err != nil {
				return nil, perr(syncproto.CodeInvalid, "%s %s: %v", rec.Kind, rec.Record, err)
			}
		}
		st, err := s.readable(dev, rec.RecordRef)
		if err != nil {
			var e *syncproto.Error
			if errors.As(err, &e) && e.Code == syncproto.CodeNotFound {
				a.Code = syncproto.CodeNotFound
				continue
			}
			return nil, err
		}
		named, owner := policy.Chunks(st), policy.Owner(st)
		for _, h := range rec.Chunks {
			c, _ := policy.ParseChunk(h)
			switch {
			case named[c] == 0:
				a.NotNamed = append(a.NotNamed, h)
			case !s.sentFor(owner, c):
				a.Missing = append(a.Missing, h)
			}
		}
	}
	return s.codec.EncodeJSON(resp, s.bestDict(r.Header.Get(syncproto.HeaderDicts)))
}

func (s *Server) filesPut(r *http.Request) ([]byte, error) {
	dev, err := s.filesDevice(r, http.MethodPost)
	if err != nil {
		return nil, err
	}
	if ct := r.Header.Get("Content-Type"); ct != syncproto.ChunkContentType {
		return nil, perr(syncproto.CodeInvalid, "Content-Type %q: a put is a chunk stream, %s", ct, syncproto.ChunkContentType)
	}
	ref := syncproto.RecordRef{Kind: r.URL.Query().Get(syncproto.PutKind), Record: r.URL.Query().Get(syncproto.PutRecord)}
	s.mu.Lock()
	st, err := s.readable(dev, ref)
	var named map[policy.Chunk]int64
	var owner string
	if err == nil {
		named, owner = policy.Chunks(st), policy.Owner(st)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	resp := syncproto.PutResponse{Proto: syncproto.Proto}
	cr := syncproto.NewChunkReader(http.MaxBytesReader(nil, r.Body, syncproto.MaxPutBytes))
	for n := 0; ; n++ {
		c, err := cr.Next()
		if err == io.EOF {
			break
		}
		switch {
		case errors.Is(err, syncproto.ErrChunk):
			return nil, perr(syncproto.CodeFrame, "%v: it was not stored; send it again", err)
		case err != nil:
			return nil, perr(syncproto.CodeFrame, "the chunk stream was cut off or is too large after %d chunks: %v", n, err)
		case n >= syncproto.MaxPutChunks:
			return nil, perr(syncproto.CodeTooLarge, "more than %d chunks in one request", syncproto.MaxPutChunks)
		case c.Enc.Status():
			return nil, perr(syncproto.CodeInvalid, "chunk %s: a put carries content, not a status", c.Hex())
		case named[c.Sum] == 0:
			return nil, perr(syncproto.CodeForbidden, "%s %s does not name chunk %s: only the chunks of its files are taken", ref.Kind, ref.Record, c.Hex())
		case named[c.Sum] != int64(len(c.Plain)):
			return nil, perr(syncproto.CodeInvalid, "chunk %s is %d bytes; the record says %d", c.Hex(), len(c.Plain), named[c.Sum])
		}
		s.mu.Lock()
		if s.sentFor(owner, c.Sum) {
			resp.Held++
			s.mu.Unlock()
			continue
		}
		quota := s.quota
		if quota == 0 {
			quota = DefaultFilesQuota
		}
		if used := s.usage[owner]; used+int64(len(c.Plain)) > quota {
			s.mu.Unlock()
			return nil, perr(syncproto.CodeQuota, "%s has used %d of its %d bytes for files on the server: ask the administrator to raise it", owner, used, quota)
		}
		if _, ok := s.chunks[c.Sum]; !ok {
			s.chunks[c.Sum] = stored{enc: c.Enc, payload: slices.Clone(c.Payload), size: int64(len(c.Plain))}
		}
		if s.owned[owner] == nil {
			s.owned[owner] = map[policy.Chunk]int64{}
		}
		s.owned[owner][c.Sum] = int64(len(c.Plain))
		s.usage[owner] += int64(len(c.Plain))
		s.mu.Unlock()
		resp.Stored++
		resp.Bytes += int64(len(c.Payload))
	}
	return s.codec.EncodeJSON(resp, s.bestDict(r.Header.Get(syncproto.HeaderDicts)))
}

func (s *Server) filesGet(w http.ResponseWriter, r *http.Request) error {
	dev, err := s.filesDevice(r, http.MethodPost)
	if err != nil {
		return err
	}
	var req syncproto.GetRequest
	if err := s.readFrame(r, &req); err != nil {
		return err
	}
	if err := syncproto.CheckProto(req.Proto); err != nil {
		return err
	}
	if len(req.Chunks) > syncproto.MaxGetChunks {
		return perr(syncproto.CodeTooLarge, "%d chunks in one request, at most %d", len(req.Chunks), syncproto.MaxGetChunks)
	}
	sums := make([]policy.Chunk, len(req.Chunks))
	for i, h := range req.Chunks {
		if sums[i], err = policy.ParseChunk(h); err != nil {
			return perr(syncproto.CodeInvalid, "%v", err)
		}
	}
	s.mu.Lock()
	st, err := s.readable(dev, req.RecordRef)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	named, owner := policy.Chunks(st), policy.Owner(st)
	var total int64
	for _, c := range sums {
		total += named[c]
	}
	if total > syncproto.MaxGetBytes {
		s.mu.Unlock()
		return perr(syncproto.CodeTooLarge, "%d bytes of chunks in one request, at most %d", total, syncproto.MaxGetBytes)
	}
	out := make([]stored, len(sums))
	for i, c := range sums {
		switch {
		case named[c] == 0:
			out[i].enc = syncproto.ChunkNotNamed
		case !s.sentFor(owner, c):
			out[i].enc = syncproto.ChunkAbsent
		default:
			out[i] = s.chunks[c]
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", syncproto.ChunkContentType)
	cw := syncproto.NewChunkWriter(w)
	for i, c := range out {
		if err := cw.Write(sums[i], c.enc, c.payload); err != nil {
			return nil // the laptop went away: nothing more to say
		}
	}
	cw.Start()
	return nil
}

func (s *Server) materialCopies(r *http.Request) ([]byte, error) {
	dev, err := s.filesDevice(r, http.MethodGet)
	if err != nil {
		return nil, err
	}
	if dev.role != domain.RoleTrainer && dev.role != domain.RoleCentral {
		return nil, perr(syncproto.CodeForbidden, "what councils hold of materials is for trainers and central staff")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := syncproto.MaterialCopies{Proto: syncproto.Proto, Copies: []syncproto.MaterialCopy{}}
	for _, st := range s.states {
		if st.Kind != domain.KindMaterialCopy || st.Deleted() {
			continue
		}
		var m domain.MaterialCopy
		if err := (changeset.Schema{}).FromFields(st.Values(), &m); err != nil {
			continue
		}
		laptop := ""
		if f, ok := st.Fields["council"]; ok {
			if d := s.devices[f.Device]; d != nil {
				laptop = d.name
			}
		}
		resp.Copies = append(resp.Copies, syncproto.MaterialCopy{Material: m.Material, Council: m.Council, Laptop: laptop,
			Downloaded: m.Downloaded, DownloadedAt: utc(m.DownloadedAt), Read: m.Read, ReadAt: utc(m.ReadAt)})
	}
	slices.SortFunc(resp.Copies, func(a, b syncproto.MaterialCopy) int {
		return cmp.Or(cmp.Compare(a.Material, b.Material), cmp.Compare(a.Council, b.Council), cmp.Compare(a.Laptop, b.Laptop))
	})
	return s.codec.EncodeJSON(resp, s.bestDict(r.Header.Get(syncproto.HeaderDicts)))
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
