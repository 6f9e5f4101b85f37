package domain

import (
	"fmt"
	"regexp"

	"github.com/kenesh/kenesh/shared/caldate"
)

// Attachment is a file on an event or appeal: a photo, a scanned sign-in
// sheet or minutes, an audio recording. The record carries only this
// description; the content is stored apart, as chunks addressed by their
// SHA-256, so that a file is stored and sent once however many records name
// it, and a transfer can resume chunk by chunk.
type Attachment struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	MIME    string       `json:"mime,omitempty"`
	Size    int64        `json:"size"`
	SHA256  string       `json:"sha256"`
	Chunks  []Chunk      `json:"chunks"`
	Caption string       `json:"caption,omitempty"`
	AddedOn caldate.Date `json:"added_on"`
}

// Chunk is one piece of an attachment's content.
type Chunk struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// MaxAttachmentSize bounds one file: an hour of compressed audio or a
// hundred-page scan, not a video archive.
const MaxAttachmentSize = 100 << 20

// MaxChunkSize bounds one chunk of a file's content. Content-defined
// chunking cuts between a minimum and this maximum (desktop/internal/files);
// the sync protocol carries, and the server keeps, nothing larger.
const MaxChunkSize = 1 << 20

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidSHA256 reports whether s is a SHA-256 as a file or chunk names it:
// 64 lower-case hexadecimal digits.
func ValidSHA256(s string) bool { return sha256Hex.MatchString(s) }

func (c *checker) attachments(list []Attachment) {
	for i, a := range list {
		c.file(fmt.Sprintf("attachments[%d]", i), a, MaxAttachmentSize)
	}
}

// file checks a file's description: its id, name and caption, its size
// (at most maxSize), and its chunks, which must add up to it.
func (c *checker) file(p string, a Attachment, maxSize int64) {
	if !ValidID(a.ID) {
		c.add(p+".id", CodeFormat, "%q is not an id", a.ID)
	}
	c.text(p+".name", a.Name, MaxShort, true)
	c.text(p+".caption", a.Caption, MaxTitle, false)
	if a.Size < 0 || a.Size > maxSize {
		c.add(p+".size", CodeRange, "%d bytes; a file may have at most %d MiB", a.Size, maxSize>>20)
	}
	if !sha256Hex.MatchString(a.SHA256) {
		c.add(p+".sha256", CodeFormat, "is not a SHA-256 in hex")
	}
	var total int64
	for j, ch := range a.Chunks {
		if !sha256Hex.MatchString(ch.SHA256) || ch.Size <= 0 || ch.Size > MaxChunkSize {
			c.add(fmt.Sprintf("%s.chunks[%d]", p, j), CodeFormat, "is not a chunk (sha256, size of 1 byte to %d KiB)", MaxChunkSize>>10)
		}
		total += ch.Size
	}
	if total != a.Size {
		c.add(p+".chunks", CodeMismatch, "chunks add up to %d bytes, the file has %d", total, a.Size)
	}
}

// ValidateAttachment checks one attachment being added to a record of kind.
func ValidateAttachment(kind string, a Attachment) error {
	c := &checker{kind: kind}
	c.attachments([]Attachment{a})
	return c.err()
}
