package policy

import (
	"slices"
	"strings"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
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
// (changeset.IsItem), as every laptop writes one (Schema.ToFields). nil
// for every other field. value is valid JSON.
//
// No replica could read such an item: the server refused it for a
// response (the record no longer fits its type, CheckResponse) but kept
// it in an appeal or an event, which it does not check whole; a merge
// written as text for a removed item's conflict was one (records.Resolve
// checks it here too).
func CheckItem(kind, id, field string, value []byte) *Refusal {
	if !IsItemField(kind, field) {
		return nil
	}
	coll, item, _ := strings.Cut(field, changeset.ItemSep)
	switch changeset.KindOfJSON(value) {
	case changeset.JSONNull:
		return nil
	case changeset.JSONObject:
		if changeset.IsItem(item, value) {
			return nil
		}
	}
	return refuse(syncproto.CodeInvalid, "%s %s: %s is an item of %s, null (removed) or an object whose id is %q, not %s",
		kind, trunc(id), trunc(field), coll, trunc(item), trunc(string(value))).about(domain.CodeFormat, field)
}

// itemSep is changeset.ItemSep as a byte, for strings.IndexByte
// (TestItemSep).
const itemSep = '/'

// checkItems is CheckItem of each of op's fields, refusing for the first
// by name that does not fit (the same refusal whatever the map's order):
// for a kind with collections, one look for the separator in each
// field's name and a scan of each item's value, no decode (every
// operation of a council's push is judged).
func checkItems(op *changeset.Op) *Refusal {
	if Collections(op.Kind) == nil {
		return nil
	}
	bad := ""
	for name := range op.Fields { // the name only: a Change is 64 bytes to copy
		if strings.IndexByte(name, itemSep) >= 0 && (bad == "" || name < bad) && CheckItem(op.Kind, op.Record, name, op.Fields[name].Value) != nil {
			bad = name
		}
	}
	if bad == "" {
		return nil
	}
	return CheckItem(op.Kind, op.Record, bad, op.Fields[bad].Value)
}
