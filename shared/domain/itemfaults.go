package domain

import (
	"encoding/json"
	"strings"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

// ItemFaults are the faults Validate finds in one item of collection coll
// of a record of kind (its id, its texts' lengths, its terms, its dates),
// judged alone: item, JSON of the item's type, decoded and checked by the
// check Validate makes of each item of the collection, each fault named
// by the item's member ("summary", "due"; "id" for the item's id). One
// rule, for a server and a laptop that judge an item without its record
// (policy.CheckItem). today bounds dates as Validate's does (zero: no
// rule that depends on the day). nil for an item it does not judge: of a
// kind whose whole record is judged (a grant, a competition, a response)
// or none, or one that does not decode (its type is judged apart).
func ItemFaults(kind, coll string, item []byte, cat *refdata.Catalog, today caldate.Date) []FieldError {
	c := &checker{kind: kind}
	switch {
	case kind == KindAppeal && coll == "consultations":
		var k Consultation
		if json.Unmarshal(item, &k) != nil {
			return nil
		}
		c.consultation(coll, k, today)
	case (kind == KindAppeal || kind == KindEvent) && coll == "attachments":
		var a Attachment
		if json.Unmarshal(item, &a) != nil {
			return nil
		}
		c.file(coll, a, MaxAttachmentSize)
	case kind == KindEvent && coll == "followups":
		var f FollowUp
		if json.Unmarshal(item, &f) != nil {
			return nil
		}
		c.followUp(cat, coll, f)
	case kind == KindEvent && coll == "attendees":
		var a Attendee
		if json.Unmarshal(item, &a) != nil {
			return nil
		}
		c.attendee(cat, a, false)
	case kind == KindEvent && coll == "materials":
		var m MaterialUse
		if json.Unmarshal(item, &m) != nil {
			return nil
		}
		c.materialUse(m, false)
	default:
		return nil
	}
	// Named as the records' checks name them ("consultations.summary",
	// "attendees/ID.name", "materials/ID"): by the member alone here.
	for i, f := range c.errs {
		rest := strings.TrimPrefix(f.Field, coll)
		if _, member, ok := strings.Cut(rest, "."); ok {
			c.errs[i].Field = member
		} else {
			c.errs[i].Field = "id"
		}
	}
	return c.errs
}
