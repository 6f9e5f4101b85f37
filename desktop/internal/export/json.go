package export

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"

	"github.com/kenesh/kenesh/desktop/internal/reports"
)

// jsonOut writes an array of records as keneshctl show prints them (with
// personal data) or as domain.Anonymise leaves them; with several kinds,
// an object with an array per kind ({"appeal": [...], "event": [...]}).
type jsonOut struct {
	w        io.Writer
	personal bool
	several  bool
	kinds    int
	n        int
	err      error
}

func newJSON(w io.Writer, several bool) *jsonOut { return &jsonOut{w: w, several: several} }

func (j *jsonOut) write(s string) {
	if j.err == nil {
		_, j.err = io.WriteString(j.w, s)
	}
}

func (j *jsonOut) summary(*reports.Report, []*reports.Section) error { return nil }

func (j *jsonOut) begin(k *Kind, _ []Column) error {
	if j.several {
		if j.kinds == 0 {
			j.write("{\n")
		} else {
			j.write(",\n")
		}
		j.write("  " + strconv.Quote(k.Name) + ": [")
	} else {
		j.write("[")
	}
	j.kinds++
	j.n = 0
	return j.err
}

func (j *jsonOut) record(rec any, m map[string]any) error {
	var v any = m
	if j.personal {
		v = rec // the record type's own order of fields, as show prints it
	}
	indent := "  "
	if j.several {
		indent = "    "
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as keneshctl prints: a summary's "<" stays "<"
	enc.SetIndent(indent, "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if j.n > 0 {
		j.write(",")
	}
	j.write("\n" + indent)
	if j.err == nil {
		_, j.err = j.w.Write(b)
	}
	j.n++
	return j.err
}

func (j *jsonOut) end() error {
	if j.n > 0 {
		if j.several {
			j.write("\n  ")
		} else {
			j.write("\n")
		}
	}
	j.write("]")
	if !j.several {
		j.write("\n")
	}
	return j.err
}

func (j *jsonOut) close() error {
	if j.several {
		j.write("\n}\n")
	}
	return j.err
}
