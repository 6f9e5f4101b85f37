package changeset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// A record travels as a flat map of fields. A top-level JSON property is one
// field; a collection (consultations, follow-up actions, attachments) is one
// field per item, "name/itemID", so that two secretaries adding an item each
// to the same record both keep theirs.

// ItemSep separates a collection's name from an item's id in a field name.
const ItemSep = "/"

// Schema says which top-level properties of a record type are collections
// (JSON arrays of objects with an "id").
type Schema struct {
	Collections []string
}

func (s Schema) isCollection(name string) bool {
	for _, c := range s.Collections {
		if c == name {
			return true
		}
	}
	return false
}

// ToFields flattens v (a struct with JSON tags) into fields. Properties
// named in skip (the id, derived values) are left out.
func (s Schema) ToFields(v any, skip ...string) (map[string]json.RawMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("flatten: %w", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("flatten: %w", err)
	}
	for _, k := range skip {
		delete(top, k)
	}
	out := make(map[string]json.RawMessage, len(top))
	for name, val := range top {
		if !s.isCollection(name) {
			out[name] = val
			continue
		}
		var items []json.RawMessage
		if err := json.Unmarshal(val, &items); err != nil {
			return nil, fmt.Errorf("flatten %s: %w", name, err)
		}
		for i, item := range items {
			var head struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(item, &head); err != nil || head.ID == "" {
				return nil, fmt.Errorf("flatten %s: item %d has no id", name, i+1)
			}
			out[name+ItemSep+head.ID] = item
		}
	}
	return out, nil
}

// FromFields rebuilds v from fields: the inverse of ToFields. Collection
// items come back ordered by id (time-ordered ids: the order they were made).
// Fields that v does not know are ignored, so an old client reads records a
// newer one wrote.
func (s Schema) FromFields(fields map[string]json.RawMessage, v any) error {
	top := make(map[string]json.RawMessage, len(fields))
	items := map[string][]string{}
	for name, val := range fields {
		if coll, id, ok := strings.Cut(name, ItemSep); ok && s.isCollection(coll) {
			if isNull(val) {
				continue
			}
			items[coll] = append(items[coll], id)
			continue
		}
		if strings.HasPrefix(name, "_") {
			continue // merge metadata such as the tombstone
		}
		top[name] = val
	}
	for coll, ids := range items {
		sort.Strings(ids)
		var b bytes.Buffer
		b.WriteByte('[')
		for i, id := range ids {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(fields[coll+ItemSep+id])
		}
		b.WriteByte(']')
		top[coll] = b.Bytes()
	}
	raw, err := json.Marshal(top)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	return nil
}

// Diff returns the changes that turn old into new: changed and added fields
// with their new value, removed ones as null. Base is the version of each
// field the author saw, taken from the current state.
func Diff(cur *State, next map[string]json.RawMessage) map[string]Change {
	out := map[string]Change{}
	for name, val := range next {
		val = compact(val)
		var base FieldValue
		if cur != nil {
			base = cur.Fields[name]
		}
		if base.Value != nil && bytes.Equal(base.Value, val) {
			continue
		}
		if base.Value == nil && isNull(val) {
			continue
		}
		out[name] = Change{Value: val, Base: base.HLC}
	}
	if cur != nil {
		for name, f := range cur.Fields {
			if strings.HasPrefix(name, "_") || isNull(f.Value) {
				continue
			}
			if _, still := next[name]; !still {
				out[name] = Change{Value: json.RawMessage("null"), Base: f.HLC}
			}
		}
	}
	return out
}

func isNull(v json.RawMessage) bool { return len(v) == 0 || string(v) == "null" }
