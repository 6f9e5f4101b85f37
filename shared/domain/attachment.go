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

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (c *checker) attachments(list []Attachment) {
	for i, a := range list {
		p := fmt.Sprintf("attachments[%d]", i)
		if !ValidID(a.ID) {
			c.add(p+".id", CodeFormat, "%q is not an id", a.ID)
		}
		c.text(p+".name", a.Name, MaxShort, true)
		c.text(p+".caption", a.Caption, MaxTitle, false)
		if a.Size < 0 || a.Size > MaxAttachmentSize {
			c.add(p+".size", CodeRange, "%d bytes; a file may have at most %d MiB", a.Size, MaxAttachmentSize>>20)
		}
		if !sha256Hex.MatchString(a.SHA256) {
			c.add(p+".sha256", CodeFormat, "is not a SHA-256 in hex")
		}
		var total int64
		for j, ch := range a.Chunks {
			if !sha256Hex.MatchString(ch.SHA256) || ch.Size <= 0 {
				c.add(fmt.Sprintf("%s.chunks[%d]", p, j), CodeFormat, "is not a chunk (sha256, size)")
			}
			total += ch.Size
		}
		if total != a.Size {
			c.add(p+".chunks", CodeMismatch, "chunks add up to %d bytes, the file has %d", total, a.Size)
		}
	}
}

// ValidateAttachment checks one attachment being added to a record of kind.
func ValidateAttachment(kind string, a Attachment) error {
	c := &checker{kind: kind}
	c.attachments([]Attachment{a})
	return c.err()
}
