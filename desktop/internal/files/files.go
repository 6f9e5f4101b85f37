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
	"unicode/utf8"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/domain"
)

// ChunkSize is the size of a stored chunk of a file: small enough that a
// transfer over a 2G link can resume without repeating much, large enough
// that a big scan is not thousands of keys.
const ChunkSize = 128 << 10

// chunksPerCommit bounds one store transaction. Chunks go to Badger's value
// log (they are over its value threshold), so a transaction counts only
// their keys and pointers; this keeps one commit's fsync covering about
// 1 MiB of content.
const chunksPerCommit = 8

// Chunks is where content chunks are kept: the store.
type Chunks interface {
	// PutChunks stores chunks under their SHA-256, durably, each once.
	PutChunks(ctx context.Context, chunks [][]byte) error
	// Chunk returns the chunk with the given SHA-256, checked against it;
	// store.ErrNotFound if there is none.
	Chunk(ctx context.Context, sum [32]byte) ([]byte, error)
}

var _ Chunks = (*store.Store)(nil)

// Files attaches files to the records of one store.
type Files struct {
	chunks Chunks
	rec    *records.Service
}

// New returns the files of the records in rec, their content in chunks.
func New(chunks Chunks, rec *records.Service) *Files { return &Files{chunks: chunks, rec: rec} }

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
	name := filepath.Base(strings.TrimSpace(in.Name))
	if name == "" || name == "." || !utf8.ValidString(name) {
		return nil, fmt.Errorf("attach: the file needs a name")
	}
	att := domain.Attachment{ID: domain.NewID(), Name: name, MIME: in.MIME, Caption: in.Caption, AddedOn: f.rec.Today()}
	whole := sha256.New()
	var batch [][]byte
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := f.chunks.PutChunks(ctx, batch)
		batch = batch[:0]
		return err
	}
	buf := make([]byte, ChunkSize)
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if att.Size+int64(n) > domain.MaxAttachmentSize {
				return nil, fmt.Errorf("attach %s: the file is larger than %d MiB", name, domain.MaxAttachmentSize>>20)
			}
			c := append([]byte(nil), buf[:n]...)
			if att.MIME == "" && att.Size == 0 {
				att.MIME = detectMIME(name, c)
			}
			whole.Write(c)
			sum := sha256.Sum256(c)
			att.Chunks = append(att.Chunks, domain.Chunk{SHA256: hex.EncodeToString(sum[:]), Size: int64(n)})
			att.Size += int64(n)
			batch = append(batch, c)
			if len(batch) == chunksPerCommit {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("attach %s: read: %w", name, err)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	att.SHA256 = hex.EncodeToString(whole.Sum(nil))
	if att.MIME == "" {
		att.MIME = detectMIME(name, nil)
	}
	if err := f.rec.AddAttachment(ctx, kind, id, att); err != nil {
		return nil, err
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
// SHA-256.
func (f *Files) Open(ctx context.Context, kind, id, ref string) (*domain.Attachment, io.Reader, error) {
	att, err := f.rec.Attachment(ctx, kind, id, ref)
	if err != nil {
		return nil, nil, err
	}
	return att, &contentReader{ctx: ctx, chunks: f.chunks, att: att, whole: sha256.New()}, nil
}

type contentReader struct {
	ctx    context.Context
	chunks Chunks
	att    *domain.Attachment
	next   int
	buf    []byte
	whole  hash.Hash
}

func (r *contentReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.next == len(r.att.Chunks) {
			if got := hex.EncodeToString(r.whole.Sum(nil)); got != r.att.SHA256 {
				return 0, fmt.Errorf("attachment %s is damaged: its content does not match its SHA-256", r.att.Name)
			}
			return 0, io.EOF
		}
		var sum [32]byte
		if _, err := hex.Decode(sum[:], []byte(r.att.Chunks[r.next].SHA256)); err != nil {
			return 0, fmt.Errorf("attachment %s: bad chunk id: %w", r.att.Name, err)
		}
		c, err := r.chunks.Chunk(r.ctx, sum)
		if err != nil {
			// Later, with sync: a chunk not yet downloaded from the server.
			return 0, fmt.Errorf("attachment %s: %w", r.att.Name, err)
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
