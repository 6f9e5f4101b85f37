package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// ErrNotDownloaded means a file's content has not all arrived from the
// server yet: it is listed, but cannot be opened until it has.
var ErrNotDownloaded = errors.New("the file has not been downloaded to this laptop yet")

// ErrNoRoom means a download was stopped because the laptop's disk has
// too little free space left: the files wait, and the records keep the
// room they need.
var ErrNoRoom = errors.New("the disk has too little free space to download files: free some space, and they come at the next sync; this laptop's records can still be saved")

// DefaultFetchReserve is the free disk space downloads leave: files that
// come by themselves (a trainer's video) stop well before the store's own
// reserve (store.DefaultMinFree), below which nothing at all is saved, so
// that they never take the room a secretary's next appeal needs.
const DefaultFetchReserve = 512 << 20

// chunksPerCommit bounds one store transaction. Chunks go to Badger's value
// log (they are over its value threshold), so a transaction counts only
// their keys and pointers; this keeps one commit's fsync covering about
// 1 MiB of content and the chunks held waiting for it a few MiB.
const chunksPerCommit = 8

// Store is what the files keep in the laptop's store: the chunks of their
// content (encrypted at rest with everything else) and their
// bookkeeping.
type Store interface {
	// PutChunks stores chunks under their SHA-256, durably, each once.
	PutChunks(ctx context.Context, chunks [][]byte) error
	// Chunk returns the chunk with the given SHA-256, checked against it;
	// store.ErrNotFound if there is none.
	Chunk(ctx context.Context, sum [32]byte) ([]byte, error)
	// HasChunks reports which of sums the store holds.
	HasChunks(ctx context.Context, sums [][32]byte) (map[[32]byte]bool, error)
	// FileMarks, SetFileMarks and EachFileMark keep the bookkeeping: what
	// the server holds, which records' files are done.
	FileMarks(ctx context.Context, names []string) (map[string][]byte, error)
	SetFileMarks(ctx context.Context, marks map[string][]byte) error
	EachFileMark(ctx context.Context, prefix string, fn func(name string, v []byte) error) error
	// State and EachState read the records that name files.
	State(ctx context.Context, kind, id string) (*changeset.State, error)
	EachState(ctx context.Context, kind string, fn func(*changeset.State) error) error
	// FreeBytes is the space free on the store's disk.
	FreeBytes() (uint64, error)
	// EachChunk and DeleteChunks are what Sweep reads and removes.
	EachChunk(ctx context.Context, fn func(sum [32]byte, size int64) error) error
	DeleteChunks(ctx context.Context, sums [][32]byte) error
}

var _ Store = (*store.Store)(nil)

// Files keeps the content of the files records name (attachments,
// materials) and what of it still has to travel.
type Files struct {
	st  Store
	rec *records.Service

	// naming is held (read) from storing a file's chunks until a record
	// names them (Attach, Publish), and while fetched chunks are kept;
	// Sweep holds it whole, so it never takes a chunk on its way to a
	// record for one no record names.
	naming sync.RWMutex

	mu    sync.Mutex
	dirty map[ref]bool // records whose files may have something to send or fetch
	want  map[ref]bool // records whose files a person asked for now
	scan  bool         // the records have been looked through since opening
	// slow says the link was slow at the last transfer (materials over
	// the automatic size then wait for a person).
	slow bool

	// FetchReserve is the free disk space a download leaves (0:
	// DefaultFetchReserve). Not to be changed while a sync runs.
	FetchReserve uint64
}

// New returns the files of the records in rec, their content in st.
func New(st Store, rec *records.Service) *Files {
	return &Files{st: st, rec: rec, dirty: map[ref]bool{}, want: map[ref]bool{}}
}

// Input describes a file being attached.
type Input struct {
	Name    string
	MIME    string // detected from the name and content if empty
	Caption string
}

// Attach stores the content of r and adds it as an attachment of the record.
// The content is stored first, chunk by chunk; the record changes only once
// all of it is durable. Chunks written for an attachment that then fails
// stay behind unreferenced, which wastes space but loses nothing.
func (f *Files) Attach(ctx context.Context, kind, id string, in Input, r io.Reader) (*domain.Attachment, error) {
	if _, err := f.rec.Attachments(ctx, kind, id); err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	f.naming.RLock()
	defer f.naming.RUnlock()
	att, err := f.Store(ctx, in, r, domain.MaxAttachmentSize)
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	if err := f.rec.AddAttachment(ctx, kind, id, *att); err != nil {
		return nil, err
	}
	f.Touch(kind, id)
	return att, nil
}

// AddEntry adds entry e to competition id (central staff, as
// records.Service.AddEntry), with its work as a file when r is not nil:
// the content is stored first, and travels to the server and to the
// jurors' laptops like an attachment.
func (f *Files) AddEntry(ctx context.Context, id string, e domain.Entry, in Input, r io.Reader) (*domain.Competition, *domain.Entry, error) {
	if _, err := f.rec.Competition(ctx, id); err != nil {
		return nil, nil, fmt.Errorf("entry: %w", err)
	}
	f.naming.RLock()
	defer f.naming.RUnlock()
	if r != nil {
		att, err := f.Store(ctx, in, r, domain.MaxAttachmentSize)
		if err != nil {
			return nil, nil, fmt.Errorf("entry: %w", err)
		}
		e.File = att
	}
	c, added, err := f.rec.AddEntry(ctx, id, e)
	if err != nil {
		return nil, nil, err
	}
	if added.File != nil {
		f.Touch(domain.KindCompetition, id)
	}
	return c, added, nil
}

// Store keeps the content of r, cut into chunks, and returns its
// description as a record names it (domain.Attachment); nothing names it
// yet: the caller holds f.naming (read) until a record does, or a Sweep
// may take the chunks. It refuses content over maxSize bytes. Memory stays a few MiB
// whatever the file's size.
func (f *Files) Store(ctx context.Context, in Input, r io.Reader, maxSize int64) (*domain.Attachment, error) {
	name := filepath.Base(strings.TrimSpace(strings.ReplaceAll(in.Name, "\\", "/")))
	if name == "" || name == "." || name == "/" || !utf8.ValidString(name) {
		return nil, fmt.Errorf("the file needs a name")
	}
	att := domain.Attachment{ID: domain.NewID(), Name: name, MIME: in.MIME, Caption: strings.TrimSpace(in.Caption), AddedOn: f.rec.Today()}
	whole := sha256.New()
	var batch [][]byte
	var pool [][]byte // buffers of the batch, reused
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := f.st.PutChunks(ctx, batch)
		batch = batch[:0]
		return err
	}
	sp := newSplitter(r)
	for {
		c, err := sp.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if att.Size+int64(len(c)) > maxSize {
			return nil, fmt.Errorf("%s is larger than %d MiB, the most a file may have", name, maxSize>>20)
		}
		if att.MIME == "" && att.Size == 0 {
			att.MIME = detectMIME(name, c)
		}
		whole.Write(c)
		sum := sha256.Sum256(c)
		att.Chunks = append(att.Chunks, domain.Chunk{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(c))})
		att.Size += int64(len(c))
		if len(pool) <= len(batch) {
			pool = append(pool, make([]byte, 0, MaxChunk))
		}
		batch = append(batch, append(pool[len(batch)][:0], c...))
		if len(batch) == chunksPerCommit {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if att.Size == 0 {
		return nil, fmt.Errorf("%s is empty", name)
	}
	att.SHA256 = hex.EncodeToString(whole.Sum(nil))
	if att.MIME == "" {
		att.MIME = detectMIME(name, nil)
	}
	return &att, nil
}

func detectMIME(name string, head []byte) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); t != "" {
		return t
	}
	if head != nil {
		return http.DetectContentType(head)
	}
	return "application/octet-stream"
}

// Open returns an attachment of a record (by id or file name) and a reader
// of its content, checked chunk by chunk and as a whole against its
// SHA-256. Content not all downloaded yet is ErrNotDownloaded, before
// anything is read.
func (f *Files) Open(ctx context.Context, kind, id, ref string) (*domain.Attachment, io.Reader, error) {
	att, err := f.rec.Attachment(ctx, kind, id, ref)
	if err != nil {
		return nil, nil, err
	}
	r, err := f.Content(ctx, att)
	return att, r, err
}

// Content is a reader of a file's content, checked as Open says.
func (f *Files) Content(ctx context.Context, att *domain.Attachment) (io.Reader, error) {
	done, total, err := f.Local(ctx, att)
	if err != nil {
		return nil, err
	}
	if done < total {
		return nil, fmt.Errorf("%s: %w (%d of %d KiB here)", att.Name, ErrNotDownloaded, done>>10, total>>10)
	}
	return &contentReader{ctx: ctx, chunks: f.st, att: att, whole: sha256.New()}, nil
}

// Local says how many bytes of a file's content this laptop holds, of
// its size.
func (f *Files) Local(ctx context.Context, att *domain.Attachment) (done, total int64, err error) {
	sums := make([][32]byte, 0, len(att.Chunks))
	for _, c := range att.Chunks {
		sum, err := parseSum(c.SHA256)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", att.Name, err)
		}
		sums = append(sums, sum)
	}
	have, err := f.st.HasChunks(ctx, sums)
	if err != nil {
		return 0, 0, err
	}
	for i, c := range att.Chunks {
		if have[sums[i]] {
			done += c.Size
		}
		total += c.Size
	}
	return done, total, nil
}

func parseSum(s string) ([32]byte, error) {
	var sum [32]byte
	if !domain.ValidSHA256(s) {
		return sum, fmt.Errorf("%.80q is not a chunk's SHA-256", s)
	}
	hex.Decode(sum[:], []byte(s))
	return sum, nil
}

type contentReader struct {
	ctx    context.Context
	chunks Store
	att    *domain.Attachment
	next   int
	buf    []byte
	whole  hash.Hash
}

func (r *contentReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.next == len(r.att.Chunks) {
			if got := hex.EncodeToString(r.whole.Sum(nil)); got != r.att.SHA256 {
				return 0, fmt.Errorf("%s is damaged: its content does not match its SHA-256", r.att.Name)
			}
			return 0, io.EOF
		}
		sum, err := parseSum(r.att.Chunks[r.next].SHA256)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", r.att.Name, err)
		}
		c, err := r.chunks.Chunk(r.ctx, sum)
		if errors.Is(err, store.ErrNotFound) {
			return 0, fmt.Errorf("%s: %w", r.att.Name, ErrNotDownloaded)
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %w", r.att.Name, err)
		}
		r.whole.Write(c)
		r.buf = c
		r.next++
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Detach removes an attachment (by id or file name) from a record. Its
// content stays in the store (other records may share it) and in the
// record's history.
func (f *Files) Detach(ctx context.Context, kind, id, ref string) error {
	att, err := f.rec.Attachment(ctx, kind, id, ref)
	if err != nil {
		return err
	}
	return f.rec.RemoveAttachment(ctx, kind, id, att.ID)
}
