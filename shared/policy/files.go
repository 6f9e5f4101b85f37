package policy

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// FileKinds are the kinds whose records name files (Files): what a
// laptop sends and fetches, and what the sweeps of the laptop and of the
// server keep (a kind left out here has its files dropped by both).
var FileKinds = []string{domain.KindAppeal, domain.KindEvent, domain.KindMaterial, domain.KindCompetition}

// Files are the files a record's state names: an appeal's or event's
// attachments, a material's file. Their chunks are what a device that may
// read the record may fetch, and what the server takes from a device for
// it: nothing else (no hash oracle: a chunk is reached through a record
// the device may read, never by its hash alone). Values that do not
// decode as a file are left out.
func Files(st *changeset.State) []domain.Attachment {
	if st == nil {
		return nil
	}
	var out []domain.Attachment
	add := func(v json.RawMessage) {
		var a domain.Attachment
		if len(v) > 0 && string(v) != "null" && json.Unmarshal(v, &a) == nil && a.SHA256 != "" {
			out = append(out, a)
		}
	}
	switch st.Kind {
	case domain.KindAppeal, domain.KindEvent:
		for name, f := range st.Fields {
			if strings.HasPrefix(name, "attachments"+changeset.ItemSep) {
				add(f.Value)
			}
		}
	case domain.KindMaterial:
		if f, ok := st.Fields["file"]; ok {
			add(f.Value)
		}
	case domain.KindCompetition:
		// An entry sent as a file.
		for name, f := range st.Fields {
			if strings.HasPrefix(name, "entries"+changeset.ItemSep) && len(f.Value) > 0 && string(f.Value) != "null" {
				var e struct {
					File json.RawMessage `json:"file"`
				}
				if json.Unmarshal(f.Value, &e) == nil {
					add(e.File)
				}
			}
		}
	}
	return out
}

// Chunk is a chunk's SHA-256.
type Chunk [32]byte

func (c Chunk) String() string { return hex.EncodeToString(c[:]) }

// ParseChunk reads a chunk's SHA-256 in hex.
func ParseChunk(s string) (Chunk, error) {
	var c Chunk
	if !domain.ValidSHA256(s) {
		return c, fmt.Errorf("%.80q is not a SHA-256 (64 lower-case hex digits)", s)
	}
	hex.Decode(c[:], []byte(s))
	return c, nil
}

// Chunks are the chunks of the files a record's state names, with their
// sizes.
func Chunks(st *changeset.State) map[Chunk]int64 {
	out := map[Chunk]int64{}
	for _, f := range Files(st) {
		for _, ch := range f.Chunks {
			if c, err := ParseChunk(ch.SHA256); err == nil {
				out[c] = ch.Size
			}
		}
	}
	return out
}

// CheckRecord judges a record as an accepted operation leaves it, for the
// kinds whose whole record the server checks after merging: a material
// (every laptop downloads what it names), a material copy and a
// questionnaire's definition (a response is checked against its
// definition by CheckResponse). Other kinds
// are judged by CheckWrite alone (and councils against the reference
// data). today bounds a material's day of publication (zero: unchecked).
func CheckRecord(st *changeset.State, today caldate.Date) *Refusal {
	if st.Deleted() {
		return nil
	}
	var err error
	switch st.Kind {
	case domain.KindMaterial:
		var m domain.Material
		if err = (changeset.Schema{}).FromFields(st.Values(), &m); err == nil {
			err = m.Validate(today)
		}
	case domain.KindMaterialCopy:
		var m domain.MaterialCopy
		if err = (changeset.Schema{}).FromFields(st.Values(), &m); err == nil {
			err = m.Validate()
		}
	case domain.KindQuestionnaire:
		err = checkQuestionnaireRecord(st, today)
	}
	if err != nil {
		return invalid(fmt.Errorf("%s %s: %w", st.Kind, st.ID, err))
	}
	return nil
}

// invalid is the refusal of a record that breaks the domain's rules, with
// its fields.
func invalid(err error) *Refusal {
	r := refuse(syncproto.CodeInvalid, "%v", err)
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		r.Fields = ve.Fields
	}
	return r
}

// checkMaterialCopy keeps a material copy its laptop's: its id is the one
// MaterialCopyID gives for its material and the device that writes it, so
// no laptop writes another's.
func checkMaterialCopy(op *changeset.Op, cur *changeset.State) *Refusal {
	var material string
	if f, ok := op.Fields["material"]; ok {
		if err := json.Unmarshal(f.Value, &material); err != nil {
			return refuse(syncproto.CodeInvalid, "material copy %s: its material is not an id", op.Record).about(domain.CodeFormat, "material")
		}
	} else if cur != nil {
		if f, ok := cur.Fields["material"]; ok {
			json.Unmarshal(f.Value, &material)
		}
	}
	if material == "" {
		return refuse(syncproto.CodeInvalid, "material copy %s names no material", op.Record).about(domain.CodeRequired, "material")
	}
	if op.Record != domain.MaterialCopyID(material, op.Device) {
		return refuse(syncproto.CodeForbidden, "material copy %s is not this laptop's copy of material %s", op.Record, trunc(material))
	}
	return nil
}

// GlobalOwner owns the chunks sent through records that every device
// reads (materials); it is no council's code.
const GlobalOwner = "_global"

// Owner is whom the chunks sent through a record are kept for, and
// counted against (a council's quota): the record's council, or
// GlobalOwner for the kinds every device reads. A chunk is given out
// through a record only once it was sent through a record of the same
// owner: a device that names another council's chunk in a record of its
// own must send the content itself (proof that it has it) before the
// server says it holds it.
func Owner(st *changeset.State) string {
	if IsGlobal(st.Kind) {
		return GlobalOwner
	}
	return st.Council
}
