package domain

import (
	"slices"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
)

// KindExport is the record kind of an export's entry in the history: every
// export of records or figures leaves one, anonymised or not, and it
// travels to the centre with the next sync like any record.
const KindExport = "export"

// Export formats.
const (
	FormatXLSX = "xlsx"
	FormatCSV  = "csv"
	FormatJSON = "json"
	FormatPDF  = "pdf"
)

// ExportFormats lists the formats an export is made in.
var ExportFormats = []string{FormatXLSX, FormatCSV, FormatJSON, FormatPDF}

// ExportedKinds are the record kinds an export may hold. A kind of issue
// 17 (questionnaires, competitions) is added here when its export is:
// questionnaire responses are exported a form at a time (keneshctl
// response export), one column per question; a training's attendance is
// its event's.
var ExportedKinds = []string{KindAppeal, KindEvent, KindResponse, KindGrant}

// Export is the record of one export: who made it, when, in which format,
// with which filters, how many records it holds and whether it holds
// personal data. It is made once, by the laptop that exported, and never
// changed (shared/policy refuses any change); a council's laptop records
// its exports under its council, central staff's laptop under none, so
// that only central staff read those.
type Export struct {
	ID      string    `json:"id"`
	Council string    `json:"council,omitempty"`
	At      time.Time `json:"at"`
	// By is who exported: the laptop's registered name, as every
	// operation's author.
	By     string   `json:"by"`
	Format string   `json:"format"`
	Kinds  []string `json:"kinds"`
	// Filter is what was asked for.
	Filter ExportFilter `json:"filter"`
	// Records counts the records the export holds, of every kind.
	Records int `json:"records"`
	// PersonalData is true when the export holds what an anonymised one
	// may not (Anonymised): asked for, by someone whose role may read it.
	PersonalData bool   `json:"personal_data,omitempty"`
	Language     string `json:"language,omitempty"`
	// File is the name the export was saved under, without its folder.
	File string `json:"file,omitempty"`
	// LogPoint and Digest identify the figures a report holds (reports.Point).
	LogPoint *LogPoint `json:"log_point,omitempty"`
	Digest   string    `json:"digest,omitempty"`
	Meta     *Meta     `json:"meta,omitempty"`
}

// ExportFilter is what an export or a report was asked for; zero values
// do not filter.
type ExportFilter struct {
	From     caldate.Date `json:"from,omitzero"`
	To       caldate.Date `json:"to,omitzero"`
	Council  string       `json:"council,omitempty"`
	Oblast   string       `json:"oblast,omitempty"`
	District string       `json:"district,omitempty"`
	// AsOf, when set, asks for the records as they stood at the end of
	// that day (see the reports package for what that means exactly).
	AsOf caldate.Date `json:"as_of,omitzero"`
}

// LogPoint is the point of a laptop's operation log a report or export was
// made from: the server cursor (how far the laptop had pulled the
// centre's log) and the newest clock among the operations of the records
// it counted.
type LogPoint struct {
	Cursor uint64 `json:"cursor"`
	// Clock is the newest operation's hybrid logical clock (shared/hlc),
	// ClockAt its wall time.
	Clock   uint64    `json:"clock"`
	ClockAt time.Time `json:"clock_at,omitzero"`
}

// Validate checks an export record.
func (x *Export) Validate() error {
	c := &checker{kind: KindExport}
	if x.Council != "" {
		c.councilRef("council", x.Council)
	}
	if x.At.IsZero() {
		c.add("at", CodeRequired, "is required")
	}
	c.text("by", x.By, MaxShort, true)
	if !slices.Contains(ExportFormats, x.Format) {
		c.add("format", CodeUnknown, "%q is not an export format (one of: %v)", x.Format, ExportFormats)
	}
	if len(x.Kinds) == 0 {
		c.add("kinds", CodeRequired, "name the kinds of record exported")
	}
	for _, k := range x.Kinds {
		if !slices.Contains(ExportedKinds, k) {
			c.add("kinds", CodeUnknown, "%q is not a kind an export holds (one of: %v)", k, ExportedKinds)
		}
	}
	if x.Filter.Council != "" {
		c.councilRef("filter.council", x.Filter.Council)
	}
	if x.Records < 0 {
		c.add("records", CodeRange, "cannot be negative")
	}
	c.language("language", x.Language)
	c.text("file", x.File, MaxShort, false)
	c.text("digest", x.Digest, MaxShort, false)
	return c.err()
}
