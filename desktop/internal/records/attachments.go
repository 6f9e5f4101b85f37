package records

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

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// ChunkSize is the size of a stored chunk of a file: small enough that a
// transfer over a 2G link can resume without repeating much, large enough
// that a big scan is not thousands of keys. Files sync by chunk later.
const ChunkSize = 128 << 10

// chunksPerCommit bounds one store transaction. Chunks go to Badger's value
// log (they are over its value threshold), so a transaction counts only
// their keys and pointers; this keeps one commit's fsync covering about
// 1 MiB of content.
const chunksPerCommit = 8

// AttachInput describes a file being attached.
type AttachInput struct {
	Name    string
	MIME    string // detected from the name and content if empty
	Caption string
}

// Attach stores the content of r and adds it as an attachment of the record.
// The content is stored first, chunk by chunk; the record changes only once
// all of it is durable.
func (s *Service) Attach(ctx context.Context, kind, id string, in AttachInput, r io.Reader) (*domain.Attachment, error) {
	if kind != domain.KindAppeal && kind != domain.KindEvent {
		return nil, fmt.Errorf("attach: only appeals and events have attachments, not %q", kind)
	}
	if _, err := s.stateOf(ctx, kind, id); err != nil {
		return nil, err
	}
	name := filepath.Base(strings.TrimSpace(in.Name))
	if name == "" || name == "." || !utf8.ValidString(name) {
		return nil, fmt.Errorf("attach: the file needs a name")
	}
	att := domain.Attachment{ID: domain.NewID(), Name: name, MIME: in.MIME, Caption: in.Caption, AddedOn: s.Today()}
	whole := sha256.New()
	var batch [][]byte
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.st.PutChunks(ctx, batch)
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
	err := s.Update(ctx, func(tx *Tx) error { return tx.addAttachment(kind, id, att) })
	if err != nil {
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

func (tx *Tx) addAttachment(kind, id string, att domain.Attachment) error {
	st, err := tx.state(kind, id)
	if err != nil {
		return err
	}
	if st.Deleted() {
		return fmt.Errorf("%s %s is deleted: restore it before attaching files", kind, id)
	}
	// One new collection item: only that field changes, whatever else the
	// record holds, so it merges with concurrent edits of the record.
	probe := struct {
		Attachments []domain.Attachment `json:"attachments"`
	}{[]domain.Attachment{att}}
	fields, err := (changeset.Schema{Collections: []string{"attachments"}}).ToFields(probe)
	if err != nil {
		return err
	}
	if err := domain.ValidateAttachment(kind, att); err != nil {
		return err
	}
	changes := map[string]changeset.Change{}
	for k, v := range fields {
		changes[k] = changeset.Change{Value: v}
	}
	_, err = tx.apply(kind, id, st.Council, changeset.ActionUpdate, st, changes)
	return err
}

// OpenAttachment returns an attachment of a record and a reader of its
// content, checked chunk by chunk and as a whole against its SHA-256.
func (s *Service) OpenAttachment(ctx context.Context, kind, id, attID string) (*domain.Attachment, io.Reader, error) {
	var list []domain.Attachment
	switch kind {
	case domain.KindAppeal:
		a, err := s.Appeal(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		list = a.Attachments
	case domain.KindEvent:
		e, err := s.Event(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		list = e.Attachments
	default:
		return nil, nil, fmt.Errorf("attachment: only appeals and events have attachments, not %q", kind)
	}
	for i := range list {
		if list[i].ID == attID || list[i].Name == attID {
			att := list[i]
			return &att, &contentReader{ctx: ctx, s: s, att: &att, whole: sha256.New()}, nil
		}
	}
	return nil, nil, fmt.Errorf("attachment %s of %s %s: %w", attID, kind, id, domain.ErrNotFound)
}

type contentReader struct {
	ctx   context.Context
	s     *Service
	att   *domain.Attachment
	next  int
	buf   []byte
	whole hash.Hash
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
		c, err := r.s.st.Chunk(r.ctx, sum)
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

// Detach removes an attachment from a record. Its content stays in the store
// (other records may share it) and in the record's history.
func (s *Service) Detach(ctx context.Context, kind, id, attID string) error {
	att, _, err := s.OpenAttachment(ctx, kind, id, attID)
	if err != nil {
		return err
	}
	return s.Update(ctx, func(tx *Tx) error {
		st, err := tx.state(kind, id)
		if err != nil {
			return err
		}
		field := "attachments" + changeset.ItemSep + att.ID
		_, err = tx.apply(kind, id, st.Council, changeset.ActionUpdate, st, map[string]changeset.Change{
			field: {Value: []byte("null"), Base: st.Fields[field].HLC},
		})
		return err
	})
}
