package subjectaccess

import (
	"encoding/json"
	"io"
)

// WriteJSON writes d as indented JSON, text as it is (no \u escapes for
// Cyrillic or for < > &), ending in a newline.
func WriteJSON(w io.Writer, d *Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(d)
}
