package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Row is what the index holds of one record: enough to draw a list line and
// to filter, never the whole record (100,000 whole records would cost
// hundreds of megabytes of heap on a 4 GB laptop).
type Row struct {
	Kind     string // "appeal", "event", "council"
	ID       string
	Council  string
	Oblast   string
	District string
	Status   string // appeals: workflow status
	Category string // appeals: right at stake; events: event kind
	Date     string // YYYY-MM-DD: appeal received, event held
	Deadline string // YYYY-MM-DD answer due, only while an appeal awaits its answer
	DueNext  string // YYYY-MM-DD earliest open follow-up action of an event
	Title    string
	RegNo    string
	// Facts is what reports count of the record beyond these columns
	// (package facts), opaque to the index.
	Facts string
	// Search is the Fold()ed text a search looks in (see SearchText).
	// Marshal leaves it out: it is stored apart, and the in-memory index
	// keeps only its words.
	Search  string
	Deleted bool
	Updated uint64
}

// Key is the row's unique key in the index.
func (r *Row) Key() string { return r.Kind + ":" + r.ID }

// rowVersion changes whenever the stored form of a Row changes; stored rows
// of another version are rebuilt from the record states at open.
// 2: the search text is stored apart (it is read after the rows).
// 3: the record's facts (what reports count) after the other strings.
const rowVersion = 3

// ErrRowVersion means a stored row was written by another version.
var ErrRowVersion = errors.New("index row of another version")

// Marshal encodes the row compactly for Badger: the index is rebuilt from
// these at every start, and decoding them must be much faster than decoding
// full record states.
func (r *Row) Marshal() []byte {
	strs := r.strings()
	n := 1 + 1 + binary.MaxVarintLen64
	for _, s := range strs {
		n += binary.MaxVarintLen64 + len(s)
	}
	b := make([]byte, 0, n)
	b = append(b, rowVersion)
	var flags byte
	if r.Deleted {
		flags |= 1
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, r.Updated)
	for _, s := range strs {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func (r *Row) strings() []string {
	return []string{r.Council, r.Oblast, r.District, r.Status, r.Category, r.Date, r.Deadline, r.DueNext, r.Title, r.RegNo, r.Facts}
}

// Unmarshal decodes a row written by Marshal; kind and id come from the key.
func Unmarshal(kind, id string, b []byte) (*Row, error) {
	r := &Row{}
	// One string holds every field: one allocation a row instead of ten.
	if err := unmarshalInto(r, kind, id, b, string(b)); err != nil {
		return nil, err
	}
	return r, nil
}

// unmarshalInto decodes b into r, its strings cut from all, which holds
// the same bytes as b.
func unmarshalInto(r *Row, kind, id string, b []byte, all string) error {
	if len(b) < 2 {
		return fmt.Errorf("index row %s:%s: too short", kind, id)
	}
	if b[0] != rowVersion {
		return ErrRowVersion
	}
	*r = Row{Kind: kind, ID: id, Deleted: b[1]&1 != 0}
	u, n := binary.Uvarint(b[2:])
	if n <= 0 {
		return fmt.Errorf("index row %s:%s: damaged", kind, id)
	}
	r.Updated = u
	off := 2 + n
	for _, p := range [...]*string{&r.Council, &r.Oblast, &r.District, &r.Status, &r.Category, &r.Date, &r.Deadline, &r.DueNext, &r.Title, &r.RegNo, &r.Facts} {
		l, n := binary.Uvarint(b[off:])
		if n <= 0 || uint64(len(b)-off-n) < l {
			return fmt.Errorf("index row %s:%s: damaged", kind, id)
		}
		off += n
		*p = all[off : off+int(l)]
		off += int(l)
	}
	return nil
}

// toLower is unicode.ToLower, with ASCII and the Cyrillic of Kyrgyz and
// Russian (А-Я, Ѐ-Џ, а-џ) answered without its tables: Fold runs over
// every description a laptop indexes (a new laptop's first pull folds
// 100,000 of them). TestToLower compares every rune.
func toLower(r rune) rune {
	switch {
	case r < 0x80:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	case 0x410 <= r && r <= 0x42f: // А-Я
		return r + 0x20
	case 0x400 <= r && r <= 0x40f: // Ѐ-Џ
		return r + 0x50
	case 0x430 <= r && r <= 0x45f: // а-я, ѐ-џ
		return r
	}
	return unicode.ToLower(r)
}

// Fold prepares text for search: lower case, and the Kyrgyz letters ң ө ү
// (and Russian ё) folded to the letters people type for them on a Russian
// keyboard, so "Көл", "көл" and "кол" find the same record.
func Fold(s string) string { return strings.Map(foldRune, s) }

func foldRune(r rune) rune {
	r = toLower(r)
	switch r {
	case 'ң':
		return 'н'
	case 'ө':
		return 'о'
	case 'ү':
		return 'у'
	case 'ё':
		return 'е'
	case '\n', '\t', '\r':
		return ' '
	}
	return r
}

// appendFold appends Fold(s) to b.
func appendFold(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, byte(foldRune(rune(c))))
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, foldRune(r)) // an invalid byte: U+FFFD, as strings.Map writes it
		i += size
	}
	return b
}
