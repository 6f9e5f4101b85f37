package policy

import (
	"slices"
	"strings"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// Collections names the collections of records of kind: their items are
// fields "name/itemID" (changeset.Schema.Collections). nil for a kind with
// none.
func Collections(kind string) []string {
	switch kind {
	case domain.KindAppeal:
		return domain.AppealCollections
	case domain.KindEvent:
		return domain.EventCollections
	case domain.KindResponse:
		return domain.ResponseCollections
	case domain.KindGrant:
		return domain.GrantCollections
	case domain.KindCompetition:
		return domain.CompetitionCollections
	}
	return nil
}

// IsItemField says whether field of a record of kind is an item of one of
// its collections ("name/itemID", Collections).
func IsItemField(kind, field string) bool {
	coll, _, ok := strings.Cut(field, changeset.ItemSep)
	return ok && slices.Contains(Collections(kind), coll)
}

// CheckItem refuses a value for a field of record id of kind that is an
// item of a collection ("name/itemID", Collections) and is neither null
// (the item removed) nor an object with that item's id
// (changeset.IsItem), as every laptop writes one (Schema.ToFields), whose
// members fit the item's type (a consultation's "on" a date, an
// attendee's name text: fits). nil for every other field. value is valid
// JSON.
//
// No replica could read such an item: the server refused it for a
// response (the record no longer fits its type, CheckResponse) but kept
// it in an appeal or an event, which it does not check whole; a merge
// written as text for a removed item's conflict was one (records.Resolve
// checks it here too), and an item with the right id and a member of the
// wrong type another.
func CheckItem(kind, id, field string, value []byte) *Refusal {
	if !IsItemField(kind, field) {
		return nil
	}
	coll, item, _ := strings.Cut(field, changeset.ItemSep)
	switch changeset.KindOfJSON(value) {
	case changeset.JSONNull:
		return nil
	case changeset.JSONObject:
		if !changeset.IsItem(item, value) {
			break
		}
		s := itemShape(kind, coll)
		if s == nil || s.fits(value) {
			// Then its values, by the domain's rules for the item
			// (lengths, terms, ids, dates), none that depends on the
			// day: every replica judges an operation alike, whenever.
			if f := domain.ItemFaults(kind, coll, value, refdata.Default(), caldate.Date{}); len(f) > 0 {
				return refuse(syncproto.CodeInvalid, "%s %s: %s is an item of %s whose %s %s",
					kind, trunc(id), trunc(field), coll, f[0].Field, f[0].Message).about(f[0].Code, field)
			}
			return nil
		}
		want := "a value of its type"
		m := s.badMember(value)
		if bad := s.member([]byte(m)); bad != nil {
			want = bad.shape.want()
		}
		return refuse(syncproto.CodeInvalid, "%s %s: %s is an item of %s whose %s is %s: %s does not fit",
			kind, trunc(id), trunc(field), coll, trunc(m), want, trunc(string(value))).about(domain.CodeFormat, field)
	}
	return refuse(syncproto.CodeInvalid, "%s %s: %s is an item of %s, null (removed) or an object whose id is %q, not %s",
		kind, trunc(id), trunc(field), coll, trunc(item), trunc(string(value))).about(domain.CodeFormat, field)
}

// CheckField refuses a value for a field of record id of kind that does
// not fit the kind's type: an item of a collection (CheckItem), or a
// field of the record the type has (its "received_on" a date, its
// "summary" text), or a field named as one of its fields in another case
// ("PUBLISHED": every copy reads it as "published", which a council's
// laptop may not write). A field the type does not know is kept (a newer
// version's), and one whose name begins with "_" is the merge's own (the
// tombstone). value is valid JSON.
func CheckField(kind, id, field string, value []byte) *Refusal {
	s := recordShape(kind)
	if s == nil || fieldFits(s, kind, id, field, value) {
		return nil
	}
	if strings.IndexByte(field, itemSep) >= 0 && IsItemField(kind, field) {
		return CheckItem(kind, id, field, value)
	}
	m, exact := s.lookup([]byte(field))
	if exact && slices.Contains(Collections(kind), m.name) {
		return refuse(syncproto.CodeInvalid, "%s %s: %s is a collection: its items are written one by one (%s/ID), never the list whole (null removes such a field)",
			kind, trunc(id), m.name, m.name).about(domain.CodeFormat, field)
	}
	if !exact {
		return refuse(syncproto.CodeInvalid, "%s %s: %s is %s written in another case: every copy reads it as %s, which is written by that name alone",
			kind, trunc(id), trunc(field), m.name, m.name).about(domain.CodeFormat, field)
	}
	return refuse(syncproto.CodeInvalid, "%s %s: %s is %s, not %s", kind, trunc(id), trunc(field), m.shape.want(), trunc(string(value))).about(domain.CodeFormat, field)
}

// fieldFits is CheckField's judgement alone, for s the kind's shape:
// nothing made but for an item that is not one.
func fieldFits(s *shape, kind, id, field string, value []byte) bool {
	if strings.IndexByte(field, itemSep) >= 0 && IsItemField(kind, field) {
		return CheckItem(kind, id, field, value) == nil
	}
	if strings.HasPrefix(field, "_") {
		return true
	}
	// A field named in another case than its member's ("PUBLISHED",
	// "Council") is that member to every copy, which decodes a record
	// with encoding/json; the rules of who writes what name fields
	// exactly, so it is refused, whatever its value.
	m, exact := s.lookup([]byte(field))
	switch {
	case m == nil:
		return true
	case !exact:
		return false
	case slices.Contains(Collections(kind), m.name):
		// A collection written whole: every copy reads it as the
		// record's items when the record has none of its own, past
		// CheckItem; no laptop writes it (Schema.ToFields writes an
		// item a field). null removes one an old version left.
		return changeset.KindOfJSON(value) == changeset.JSONNull
	}
	return m.shape.fits(value)
}

// itemSep is changeset.ItemSep as a byte, for strings.IndexByte
// (TestItemSep).
const itemSep = '/'

// CheckFields is CheckField of each of op's fields, refusing for the
// first by name that does not fit (the same refusal whatever the map's
// order): a look up of each field's name in the kind's shape and a scan
// of its value, no decode (every operation of a council's push is
// judged). CheckWrite asks it of every write; a laptop not enrolled (no
// writer to judge by) asks it alone.
func CheckFields(op *changeset.Op) *Refusal {
	s := recordShape(op.Kind)
	if s == nil {
		return nil
	}
	bad := ""
	for name, c := range op.Fields {
		if (bad == "" || name < bad) && !fieldFits(s, op.Kind, op.Record, name, c.Value) {
			bad = name
		}
	}
	if bad == "" {
		return nil
	}
	return CheckField(op.Kind, op.Record, bad, op.Fields[bad].Value)
}

// CheckFieldsSorted is CheckFields, for op's fields gathered in name order
// in s (changeset.SortedFields, by its ValidateBound or Sort of op, or of
// an operation with the very same fields): one walk in that order, the
// first that does not fit refused, with no map to go through. A server
// checks an operation's form on such a walk before it judges it; this is
// the same judgement as CheckFields (TestCheckFieldsSorted,
// FuzzCheckFieldsSorted). s gathered from other fields (a count that
// differs) is not used: CheckFields judges op.
func CheckFieldsSorted(op *changeset.Op, s *changeset.SortedFields) *Refusal {
	sh := recordShape(op.Kind)
	if sh == nil {
		return nil
	}
	if s == nil || s.Len() != len(op.Fields) {
		return CheckFields(op)
	}
	for i := range s.Len() {
		name, c := s.Field(i)
		if !fieldFits(sh, op.Kind, op.Record, name, c.Value) {
			return CheckField(op.Kind, op.Record, name, c.Value)
		}
	}
	return nil
}

// FieldsJudged is an operation's fields judged alone, before who writes
// it is (JudgeFields), for CheckWriteJudged. The zero value is not a
// judgement: CheckWriteJudged then judges the fields itself.
type FieldsJudged struct {
	ref    *Refusal
	judged bool
}

// JudgeFields judges op's fields alone (CheckFieldsSorted, s as it says),
// for CheckWriteJudged: a server does it with its check of the
// operation's form, before the operation's turn to be judged on the
// record's state.
func JudgeFields(op *changeset.Op, s *changeset.SortedFields) FieldsJudged {
	return FieldsJudged{ref: CheckFieldsSorted(op, s), judged: true}
}

// CheckWriteJudged is CheckWrite for op whose fields f judged
// (JudgeFields of op): the rules of who writes what first, then f's
// refusal, the very order and refusals of CheckWrite. A zero f judges
// the fields here (CheckFields).
func CheckWriteJudged(dev Device, op *changeset.Op, cur *changeset.State, f FieldsJudged) *Refusal {
	if !f.judged {
		return CheckWrite(dev, op, cur)
	}
	if r := mayWrite(dev, op, cur); r != nil {
		return r
	}
	return f.ref
}
