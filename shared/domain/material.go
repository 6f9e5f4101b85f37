package domain

import (
	"strings"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
)

// KindMaterialCopy is the record kind of what a council's laptop holds of
// a material: the version it downloaded and the version its secretary
// marked as read. Trainers (and the programme's donor) see from these
// which councils have each version.
const KindMaterialCopy = "material_copy"

// MaxMaterialSize bounds one material's file: a booklet, a presentation
// or a short video. Its list of chunks (at least 64 KiB each) must fit one
// operation on the wire (syncproto.MaxOpBytes).
const MaxMaterialSize = 512 << 20

// Material is a trainer's material: a guide, a booklet, a presentation or
// a short video, for every council, readable offline. A material is one
// record; a new version replaces its file (and Version counts up), so
// every catalogue shows the newest, and the history keeps the old ones.
type Material struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// Language of the material: ky, ru or en.
	Language string `json:"language"`
	Audience string `json:"audience,omitempty"`
	Topic    string `json:"topic,omitempty"`
	// Version counts from 1; Notes say what the version changed.
	Version     int          `json:"version"`
	Notes       string       `json:"notes,omitempty"`
	PublishedOn caldate.Date `json:"published_on"`
	// File is the material's content, in chunks as an attachment's.
	File Attachment `json:"file"`
	Meta *Meta      `json:"meta,omitempty"`
}

// Normalize trims what was typed.
func (m *Material) Normalize() {
	for _, f := range []*string{&m.Title, &m.Description, &m.Audience, &m.Topic, &m.Notes} {
		*f = strings.TrimSpace(*f)
	}
}

// Validate checks a material: a title, a language, a version, and a file
// of at most MaxMaterialSize. today (zero: unchecked) bounds the day of
// publication.
func (m *Material) Validate(today caldate.Date) error {
	c := &checker{kind: KindMaterial}
	c.text("title", m.Title, MaxTitle, true)
	c.text("description", m.Description, MaxLong, false)
	if m.Language == "" {
		c.add("language", CodeRequired, "is required (ky, ru or en)")
	}
	c.language("language", m.Language)
	c.text("audience", m.Audience, MaxShort, false)
	c.text("topic", m.Topic, MaxShort, false)
	c.text("notes", m.Notes, MaxLong, false)
	if m.Version < 1 {
		c.add("version", CodeRange, "%d; versions count from 1", m.Version)
	}
	c.date("published_on", m.PublishedOn, true, today)
	c.file("file", m.File, MaxMaterialSize)
	return c.err()
}

// MaterialCopy is what one laptop of a council holds of a material: the
// newest version it has downloaded whole, and the newest its secretary
// marked as read. Its record id is MaterialCopyID(material, device), so a
// laptop keeps one per material and two laptops never write the same one.
type MaterialCopy struct {
	ID       string `json:"id"`
	Council  string `json:"council"`
	Material string `json:"material"`
	// Downloaded is the version downloaded (0: none yet), at DownloadedAt.
	Downloaded   int        `json:"downloaded,omitempty"`
	DownloadedAt *time.Time `json:"downloaded_at,omitempty"`
	// Read is the version marked as read (0: not yet), at ReadAt.
	Read   int        `json:"read,omitempty"`
	ReadAt *time.Time `json:"read_at,omitempty"`
	Meta   *Meta      `json:"meta,omitempty"`
}

// Validate checks a material copy.
func (m *MaterialCopy) Validate() error {
	c := &checker{kind: KindMaterialCopy}
	c.councilRef("council", m.Council)
	if !ValidID(m.Material) {
		c.add("material", CodeFormat, "%q is not a material's id", m.Material)
	}
	if m.Downloaded < 0 {
		c.add("downloaded", CodeRange, "%d is not a version", m.Downloaded)
	}
	if m.Read < 0 {
		c.add("read", CodeRange, "%d is not a version", m.Read)
	}
	return c.err()
}
