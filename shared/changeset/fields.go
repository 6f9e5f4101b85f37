package changeset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
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
	for _, ids := range items {
		sort.Strings(ids)
	}
	// The fields are written as one JSON object, decoded once: json.Marshal
	// of the map would check and copy every value again (they are valid
	// JSON: Op.Validate). Names in order, so that two names encoding/json
	// matches alike ("Summary", "summary") always decode alike.
	names := make([]string, 0, len(top)+len(items))
	size := 2
	for name, val := range top {
		names = append(names, name)
		size += len(name) + len(val) + 4
	}
	for coll, ids := range items {
		if _, ok := top[coll]; !ok {
			names = append(names, coll)
		}
		size += len(coll) + 6
		for _, id := range ids {
			size += len(fields[coll+ItemSep+id]) + 1
		}
	}
	sort.Strings(names)
	raw := make([]byte, 0, size)
	raw = append(raw, '{')
	for i, name := range names {
		if i > 0 {
			raw = append(raw, ',')
		}
		raw = appendJSONString(raw, name)
		raw = append(raw, ':')
		ids, isColl := items[name]
		if !isColl {
			if val := top[name]; len(val) > 0 {
				raw = append(raw, val...)
			} else {
				raw = append(raw, "null"...)
			}
			continue
		}
		raw = append(raw, '[')
		for j, id := range ids {
			if j > 0 {
				raw = append(raw, ',')
			}
			raw = append(raw, fields[name+ItemSep+id]...)
		}
		raw = append(raw, ']')
	}
	raw = append(raw, '}')
	if err := json.Unmarshal(raw, v); err == nil {
		return nil
	}
	for coll, ids := range items {
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
	return s.fromFieldsOneByOne(fields, top, items, v)
}

// FromState is FromFields of the values of st named in only (nil: every
// one; a collection's items by the collection's name), without the maps
// FromFields is given and makes: the object is written straight from
// st's fields, into a buffer kept for the next call. A report as of a past
// day rebuilds the appeals of 90,000 merged states: the maps and the
// object were a fifth of the replay's allocations. v is what FromFields
// would make of the same fields (it is called, with them, when a value does
// not fit).
func (s Schema) FromState(st *State, only map[string]bool, v any) error {
	if s.fromStateDirect(st, only, v) {
		return nil
	}
	return s.fromStateObject(st, only, v)
}

// fromStateObject is FromState through the JSON object.
func (s Schema) fromStateObject(st *State, only map[string]bool, v any) error {
	sc := objScratches.Get().(*objScratch)
	defer func() {
		if cap(sc.raw) <= 1<<20 { // an odd huge record's buffer is not kept
			objScratches.Put(sc)
		}
	}()
	ents := sc.ents[:0]
	for name, f := range st.Fields {
		key, id, isItem := strings.Cut(name, ItemSep)
		if only != nil && !only[key] {
			continue
		}
		if isItem && s.isCollection(key) {
			if !isNull(f.Value) {
				ents = append(ents, objEntry{key: key, id: id, val: f.Value, item: true})
			}
			continue
		}
		if strings.HasPrefix(name, "_") {
			continue // merge metadata such as the tombstone
		}
		ents = append(ents, objEntry{key: name, val: f.Value})
	}
	if foldDistinct(ents) {
		ents = plainOrder(ents)
	} else {
		ents = sortedOrder(ents)
	}
	sc.ents = ents
	raw := append(sc.raw[:0], '{')
	for i := 0; i < len(ents); {
		j := i + 1
		for j < len(ents) && ents[j].key == ents[i].key {
			j++
		}
		if i > 0 {
			raw = append(raw, ',')
		}
		raw = appendJSONString(raw, ents[i].key)
		raw = append(raw, ':')
		switch group := ents[i:j]; {
		case group[len(group)-1].item:
			raw = append(raw, '[')
			n := 0
			for _, e := range group {
				if !e.item {
					continue
				}
				if n > 0 {
					raw = append(raw, ',')
				}
				raw = append(raw, e.val...)
				n++
			}
			raw = append(raw, ']')
		case len(group[0].val) > 0:
			raw = append(raw, group[0].val...)
		default:
			raw = append(raw, "null"...)
		}
		i = j
	}
	raw = append(raw, '}')
	sc.raw = raw
	if err := json.Unmarshal(raw, v); err == nil {
		return nil
	}
	fields := make(map[string]json.RawMessage, len(st.Fields))
	for name, f := range st.Fields {
		if key, _, _ := strings.Cut(name, ItemSep); only == nil || only[key] {
			fields[name] = f.Value
		}
	}
	return s.FromFields(fields, v)
}

// sortedOrder orders ents as FromFields writes the names: in order; a
// collection's items by id, after a top-level value of the same name,
// which they replace.
func sortedOrder(ents []objEntry) []objEntry {
	slices.SortFunc(ents, compareEntries)
	return ents
}

func compareEntries(a, b objEntry) int {
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	if a.item != b.item {
		if a.item {
			return 1
		}
		return -1
	}
	return strings.Compare(a.id, b.id)
}

// foldDistinct reports whether no two of the names can match one field of
// a struct: encoding/json matches a name to a field exactly or else
// folding case (Unicode's too: "K" and the Kelvin sign), the last of two
// names that match one field winning, which is why FromFields writes
// names in order. Names of lower-case ASCII (what Kenesh writes) that
// differ fold differently: their order does not matter.
func foldDistinct(ents []objEntry) bool {
	for _, e := range ents {
		for i := 0; i < len(e.key); i++ {
			if c := e.key[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
				return false
			}
		}
	}
	return true
}

// plainOrder is sortedOrder for names whose order does not matter
// (foldDistinct): the top-level values as they come, then each
// collection's items by id; a top-level value named like a collection
// with items is left out (the items replace it). Sorting every name was
// a twentieth of rebuilding an appeal.
func plainOrder(ents []objEntry) []objEntry {
	top := 0
	for i, e := range ents {
		if !e.item {
			ents[top], ents[i] = ents[i], ents[top]
			top++
		}
	}
	items := ents[top:]
	if len(items) == 0 {
		return ents
	}
	slices.SortFunc(items, compareEntries)
	out := ents[:0]
	for _, e := range ents[:top] {
		if _, found := slices.BinarySearchFunc(items, e.key, func(it objEntry, key string) int { return strings.Compare(it.key, key) }); !found {
			out = append(out, e)
		}
	}
	return append(out, items...)
}

type objEntry struct {
	key, id string
	val     json.RawMessage
	item    bool
}

type objScratch struct {
	ents []objEntry
	raw  []byte
}

var objScratches = sync.Pool{New: func() any { return &objScratch{} }}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// FieldsError is returned by FromFields when some fields (or collection
// items) do not fit the record type: v holds every other field. A value of
// the wrong type comes from a peer's bug or from a newer version that
// changed a field; it is kept in the record's state and history, but must
// not make the whole record, or a pull, or opening the store fail.
type FieldsError struct {
	Fields []string // field names, "collection/itemID" for an item
	Err    error    // why the first of them did not fit
}

func (e *FieldsError) Error() string {
	return fmt.Sprintf("fields that do not fit the record type: %s (%v)", strings.Join(e.Fields, ", "), e.Err)
}

func (e *FieldsError) Unwrap() error { return e.Err }

// fromFieldsOneByOne decodes fields into v one at a time (a collection item
// by item), skipping what does not fit. encoding/json stops at the first
// value an UnmarshalJSON method refuses, so the fast path cannot be trusted
// to have filled the rest.
func (s Schema) fromFieldsOneByOne(fields, top map[string]json.RawMessage, items map[string][]string, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("rebuild: need a non-nil pointer, got %T", v)
	}
	rv.Elem().SetZero()
	// obj is one field as a JSON object; fits decodes it into a fresh
	// value, so a field that does not fit leaves nothing half-set in v.
	obj := func(name string, val []byte) []byte {
		b, _ := json.Marshal(map[string]json.RawMessage{name: val}) // val is valid JSON (Op.Validate)
		return b
	}
	fits := func(b []byte) error { return json.Unmarshal(b, reflect.New(rv.Elem().Type()).Interface()) }
	fe := &FieldsError{}
	bad := func(name string, err error) {
		fe.Fields = append(fe.Fields, name)
		if fe.Err == nil {
			fe.Err = err
		}
	}
	for _, name := range sortedKeys(top) {
		val := top[name]
		if ids, ok := items[name]; ok {
			var b bytes.Buffer
			b.WriteByte('[')
			for _, id := range ids {
				item := fields[name+ItemSep+id]
				if err := fits(obj(name, append(append([]byte{'['}, item...), ']'))); err != nil {
					bad(name+ItemSep+id, err)
					continue
				}
				if b.Len() > 1 {
					b.WriteByte(',')
				}
				b.Write(item)
			}
			b.WriteByte(']')
			val = b.Bytes()
		}
		one := obj(name, val)
		if err := fits(one); err != nil {
			bad(name, err)
			continue
		}
		_ = json.Unmarshal(one, v) // it fits: decoded just above
	}
	if len(fe.Fields) == 0 {
		return nil
	}
	return fe
}

// Names returns the top-level field names of record type v (a struct, or a
// pointer to one, with JSON tags): every field ToFields of such a value can
// produce, present or not.
func Names(v any) map[string]bool {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n, ok := namesCache.Load(t); ok {
		return n.(map[string]bool)
	}
	out := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			if name == "-" && !strings.HasPrefix(tag, "-,") {
				continue
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				walk(ft) // encoding/json flattens untagged embedded structs
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			out[name] = true
		}
	}
	if t != nil && t.Kind() == reflect.Struct {
		walk(t)
	}
	namesCache.Store(t, out)
	return out
}

var namesCache sync.Map // reflect.Type -> map[string]bool

// Diff returns the changes that turn old into new: changed and added fields
// with their new value, removed ones as null. Base is the version of each
// field the author saw, taken from the current state.
//
// Only fields in known (Names of the record type; nil: all) are removed
// when next lacks them: a field this version does not know was written by
// a newer one, and editing the record here must keep it. Nor is an item of
// a collection ("name/id") whose value is no item (IsItem): next, made
// from the record as read, could not hold it.
func Diff(cur *State, next map[string]json.RawMessage, known map[string]bool) map[string]Change {
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
			if _, still := next[name]; still {
				continue
			}
			top, id, item := strings.Cut(name, ItemSep)
			if known != nil && !known[top] {
				continue
			}
			if item && !IsItem(id, f.Value) {
				// No item (text a laptop of before policy.CheckItem
				// wrote where one belongs): the record read could not
				// hold it, so next lacking it is no removal. Written
				// null, it removed at the centre the item the server
				// had kept when it refused that text.
				continue
			}
			out[name] = Change{Value: json.RawMessage("null"), Base: f.HLC}
		}
	}
	return out
}
