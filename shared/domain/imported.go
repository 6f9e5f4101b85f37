package domain

import "regexp"

// Imported says where a record imported from a legacy spreadsheet came
// from: the file, the row, and a digest of the row's values. An import of
// the same rows again (the same file twice, or the same rows saved in
// another format) is recognised by the digest and adds nothing; the
// record's history shows it as imported from that file and row.
type Imported struct {
	File string `json:"file"`
	Row  int    `json:"row"` // counted as the spreadsheet shows it: the header is row 1
	// Digest is the SHA-256, in hex, of the row's values as the import
	// read them (importer.RowDigest).
	Digest string `json:"digest"`
	// Ref is the number the row had in the register it comes from, if it
	// had one (a council's own "№ 15/2019").
	Ref string `json:"ref,omitempty"`
}

var digestHex = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (c *checker) imported(im *Imported) {
	if im == nil {
		return
	}
	c.text("imported.file", im.File, MaxShort, true)
	if im.Row < 1 {
		c.add("imported.row", CodeRange, "a spreadsheet's rows count from 1")
	}
	if !digestHex.MatchString(im.Digest) {
		c.add("imported.digest", CodeFormat, "is not a SHA-256 in hex")
	}
	c.text("imported.ref", im.Ref, MaxShort, false)
}
