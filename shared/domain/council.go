package domain

import "github.com/kenesh/kenesh/shared/refdata"

// KindCouncil is the record kind of a council.
const KindCouncil = "council"

// Council is a public council. Councils are data: an installation defines
// its own (the programme has 21 in 7 oblasts), and they sync like records.
// The code is the record id: it is what people write and what numbers carry.
type Council struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Oblast   string `json:"oblast"`
	District string `json:"district,omitempty"`
}

// Validate checks a council against the reference data.
func (co *Council) Validate(cat *refdata.Catalog) error {
	c := &checker{kind: KindCouncil}
	c.councilRef("code", co.Code)
	c.text("name", co.Name, MaxShort, true)
	c.place(cat, "oblast", co.Oblast, "district", co.District)
	return c.err()
}
