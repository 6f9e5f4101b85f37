package policy

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// A record's fields, and an item's members, fit the domain's types: a
// value every replica can read (changeset.Schema.FromFields decodes them
// with encoding/json into the kind's type, and marks a field that does
// not fit unreadable). One laptop's bug, or a hostile one, would otherwise
// put such a value in every other laptop's copy. What fits is what
// encoding/json takes, judged by a scan of the value (no decode, no
// allocation for the types a record is made of: text, numbers, true or
// false, dates, lists, objects of those), the type's shape worked out
// once from the domain's types. Members a type does not know are kept,
// as a record's fields are (FromFields ignores them; "Editing a record
// keeps fields this version does not know"): a newer version's.

// recordTypes are the domain's types of the kinds of records.
var recordTypes = map[string]reflect.Type{
	domain.KindAppeal:        reflect.TypeFor[domain.Appeal](),
	domain.KindEvent:         reflect.TypeFor[domain.Event](),
	domain.KindResponse:      reflect.TypeFor[domain.Response](),
	domain.KindGrant:         reflect.TypeFor[domain.Grant](),
	domain.KindCompetition:   reflect.TypeFor[domain.Competition](),
	domain.KindCouncil:       reflect.TypeFor[domain.Council](),
	domain.KindMaterial:      reflect.TypeFor[domain.Material](),
	domain.KindMaterialCopy:  reflect.TypeFor[domain.MaterialCopy](),
	domain.KindQuestionnaire: reflect.TypeFor[domain.Questionnaire](),
	domain.KindSubmission:    reflect.TypeFor[domain.Submission](),
	domain.KindExport:        reflect.TypeFor[domain.Export](),
}

// fit is how a shape judges a value.
type fit uint8

const (
	fitAny    fit = iota // json.RawMessage, an interface: any JSON value
	fitString            // a string kind
	fitBool
	fitInt  // a signed integer of bits
	fitUint // an unsigned integer of bits
	fitDate // caldate.Date
	fitStruct
	fitSlice
	fitMap // string keys
	// fitDecode is any other type (a float, time.Time, a type with its
	// own decoding, an array, []byte): decoded by encoding/json into a
	// fresh value, as a replica would. None is on a council's hot path.
	fitDecode
)

// shape is what a value of a Go type must be as JSON.
type shape struct {
	fit  fit
	bits int
	typ  reflect.Type // fitDecode
	elem *shape       // fitSlice, fitMap
	// fitStruct: its members (encoding/json's names), sorted by name,
	// found by exact name (those of its first byte b are
	// members[first[b]:first[b+1]]: no hashing of every field's name),
	// else by encoding/json's case folding (folded, for a key that could
	// fold to a member's only: plain says when not).
	members []member
	first   *[257]uint16
	folded  map[string]int
	// plain: every member's name is lower-case ASCII letters, digits and
	// "_", so that a key of those alone which is no member's exact name
	// folds to none either (what an honest newer version's field is).
	plain bool
}

type member struct {
	name  string
	shape *shape
}

// shapes are the kinds' record shapes, worked out once.
var shapes = sync.OnceValue(func() map[string]*shape {
	m := make(map[string]*shape, len(recordTypes))
	for kind, t := range recordTypes {
		m[kind] = shapeOf(t, map[reflect.Type]*shape{})
	}
	return m
})

// recordShape is kind's record shape, nil for a kind with no type.
func recordShape(kind string) *shape { return shapes()[kind] }

// itemShape is the shape of an item of collection coll of kind, nil if
// coll is none of its collections.
func itemShape(kind, coll string) *shape {
	s := recordShape(kind)
	if s == nil {
		return nil
	}
	m := s.member([]byte(coll))
	if m == nil || m.shape.fit != fitSlice {
		return nil
	}
	return m.shape.elem
}

var (
	rawType       = reflect.TypeFor[json.RawMessage]()
	dateType      = reflect.TypeFor[caldate.Date]()
	unmarshaler   = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshal = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// shapeOf works out t's shape; seen breaks a type that holds itself.
func shapeOf(t reflect.Type, seen map[reflect.Type]*shape) *shape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case rawType:
		return &shape{fit: fitAny}
	case dateType:
		return &shape{fit: fitDate}
	}
	if t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) ||
		t.Implements(textUnmarshal) || reflect.PointerTo(t).Implements(textUnmarshal) {
		return &shape{fit: fitDecode, typ: t}
	}
	if s, ok := seen[t]; ok {
		if s == nil {
			return &shape{fit: fitDecode, typ: t}
		}
		return s
	}
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return &shape{fit: fitAny}
		}
	case reflect.String:
		return &shape{fit: fitString}
	case reflect.Bool:
		return &shape{fit: fitBool}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &shape{fit: fitInt, bits: t.Bits()}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &shape{fit: fitUint, bits: t.Bits()}
	case reflect.Slice:
		if t.Elem().Kind() != reflect.Uint8 { // []byte is base64 text
			seen[t] = nil
			s := &shape{fit: fitSlice, elem: shapeOf(t.Elem(), seen)}
			seen[t] = s
			return s
		}
	case reflect.Map:
		if t.Key().Kind() == reflect.String && !reflect.PointerTo(t.Key()).Implements(textUnmarshal) {
			seen[t] = nil
			s := &shape{fit: fitMap, elem: shapeOf(t.Elem(), seen)}
			seen[t] = s
			return s
		}
	case reflect.Struct:
		seen[t] = nil
		if s := structShape(t, seen); s != nil {
			seen[t] = s
			return s
		}
	}
	return &shape{fit: fitDecode, typ: t}
}

// structShape is the shape of struct t by encoding/json's rules for its
// fields' names, or nil for a struct they do not cover simply (an
// embedded field, a ",string" option): that one is decoded.
func structShape(t reflect.Type, seen map[reflect.Type]*shape) *shape {
	s := &shape{fit: fitStruct, folded: map[string]int{}, plain: true}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",string,") {
			return nil
		}
		if name == "" {
			name = f.Name
		}
		if slices.Contains(names, name) {
			return nil
		}
		names = append(names, name)
		s.plain = s.plain && plainName([]byte(name))
		s.members = append(s.members, member{name: name, shape: shapeOf(f.Type, seen)})
	}
	// The first field of a folding is the one encoding/json takes for it.
	for i, m := range s.members {
		if k := string(foldName(nil, []byte(m.name))); !hasKey(s.folded, k) {
			s.folded[k] = i
		}
	}
	order := make([]int, len(s.members))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(s.members[a].name, s.members[b].name) })
	sorted := make([]member, len(s.members))
	for i, j := range order {
		sorted[i] = s.members[j]
	}
	for k, i := range s.folded {
		s.folded[k] = slices.Index(order, i)
	}
	s.members = sorted
	s.first = new([257]uint16)
	for b := range 257 {
		s.first[b] = uint16(len(sorted))
		if j := slices.IndexFunc(sorted, func(m member) bool { return m.name != "" && int(m.name[0]) >= b }); j >= 0 {
			s.first[b] = uint16(j)
		}
	}
	return s
}

// plainName says whether name is lower-case ASCII letters, digits and
// "_" alone (shape.plain).
func plainName(name []byte) bool {
	for _, c := range name {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// member finds the member a key (unescaped) names, as encoding/json does:
// by its exact name, else by its case folding; nil for one the type does
// not know.
func (s *shape) member(key []byte) *member {
	m, _ := s.lookup(key)
	return m
}

// lookup is member, and whether the key is the member's exact name.
func (s *shape) lookup(key []byte) (*member, bool) {
	if len(key) > 0 {
		// The members of the key's first byte, its length compared
		// first (a comparison with string(key), which the compiler
		// makes without a copy).
		for i := s.first[key[0]]; i < s.first[key[0]+1]; i++ {
			if name := s.members[i].name; len(name) == len(key) && name == string(key) {
				return &s.members[i], true
			}
		}
	}
	if s.plain && plainName(key) {
		return nil, false
	}
	var buf [64]byte
	if i, ok := s.folded[string(foldName(buf[:0], key))]; ok {
		return &s.members[i], false
	}
	return nil, false
}

// foldName is encoding/json's folding of a name (its fold.go): ASCII
// letters upper case, any other rune the smallest of its fold set.
func foldName(out, in []byte) []byte {
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		out = utf8.AppendRune(out, foldRune(r))
		i += n
	}
	return out
}

func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// fits reports whether v (one JSON value, white space around it allowed)
// is a value of the shape: whether encoding/json decodes it into the type
// without an error.
func (s *shape) fits(v []byte) bool {
	end, ok := s.scan(v, 0)
	return ok && skipSpace(v, end) == len(v)
}

// badMember is the first member of a struct shape's object v that does not
// fit ("" when each does, or v is no object: fits says).
func (s *shape) badMember(v []byte) string {
	if s.fit != fitStruct {
		return ""
	}
	bad := ""
	_, _ = eachMember(v, skipSpace(v, 0), func(key []byte, at int) (int, bool) {
		m := s.member(key)
		if m == nil {
			return skipValue(v, at)
		}
		end, ok := m.shape.scan(v, at)
		if !ok && bad == "" {
			bad = m.name
		}
		return end, ok
	})
	return bad
}

// scan judges the value at b[i:] (after white space) and gives where it
// ends.
func (s *shape) scan(b []byte, i int) (int, bool) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, false
	}
	if b[i] == 'n' {
		// null decodes into anything as nothing (caldate's and
		// time's decoders take it too).
		return literal(b, i, "null")
	}
	switch s.fit {
	case fitAny:
		return skipValue(b, i)
	case fitString:
		if b[i] != '"' {
			return i, false
		}
		end, _, ok := stringEnd(b, i)
		return end, ok
	case fitBool:
		if b[i] == 't' {
			return literal(b, i, "true")
		}
		return literal(b, i, "false")
	case fitInt, fitUint:
		return integer(b, i, s.fit == fitInt, s.bits)
	case fitDate:
		end, ok := skipValue(b, i)
		return end, ok && caldate.FitsJSON(b[i:end])
	case fitSlice:
		if b[i] != '[' {
			return i, false
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			end, ok := s.elem.scan(b, i)
			if !ok {
				return end, false
			}
			i = skipSpace(b, end)
			if i >= len(b) {
				return i, false
			}
			switch b[i] {
			case ',':
				i++
			case ']':
				return i + 1, true
			default:
				return i, false
			}
		}
	case fitMap:
		return eachMember(b, i, func(_ []byte, at int) (int, bool) { return s.elem.scan(b, at) })
	case fitStruct:
		return eachMember(b, i, func(key []byte, at int) (int, bool) {
			if m := s.member(key); m != nil {
				return m.shape.scan(b, at)
			}
			return skipValue(b, at)
		})
	}
	end, ok := skipValue(b, i)
	return end, ok && json.Unmarshal(b[i:end], reflect.New(s.typ).Interface()) == nil
}

// eachMember walks the object at b[i:], giving each key (unescaped) and
// where its value starts to member, which judges the value and says where
// it ends; it stops at the first that does not fit.
func eachMember(b []byte, i int, member func(key []byte, at int) (int, bool)) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return i, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		end, escaped, ok := stringEnd(b, i)
		if !ok {
			return end, false
		}
		key := b[i+1 : end-1]
		if escaped {
			var k string
			if json.Unmarshal(b[i:end], &k) != nil {
				return end, false
			}
			key = []byte(k)
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		if i, ok = member(key, skipSpace(b, i+1)); !ok {
			return i, false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

// stringEnd is where the string at b[i] (its opening quote) ends, past its
// closing quote, and whether it holds an escape: the quote found by
// bytes.IndexByte (most of a value is its strings' text), a backslash
// before it looked for the same way.
func stringEnd(b []byte, i int) (int, bool, bool) {
	escaped := false
	for i++; i < len(b); {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b), escaped, false
		}
		e := bytes.IndexByte(b[i:i+q], '\\')
		if e < 0 {
			return i + q + 1, escaped, true
		}
		escaped = true
		i += e + 2 // the backslash and the byte it escapes
	}
	return i, escaped, false
}

// integer judges the number at b[i:] as encoding/json decodes one into an
// integer of bits (strconv.ParseInt, ParseUint): digits alone, with a
// minus for a signed one, in range.
func integer(b []byte, i int, signed bool, bits int) (int, bool) {
	neg := false
	if i < len(b) && b[i] == '-' {
		if !signed {
			return i, false
		}
		neg = true
		i++
	}
	limit := uint64(1)<<bits - 1 // bits is at most 64: 1<<64 is 0 in Go, so the limit is all ones
	if signed {
		limit = uint64(1)<<(bits-1) - 1
		if neg {
			limit++
		}
	}
	start := i
	var n uint64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if n > (limit-d)/10 {
			return i, false
		}
		n = n*10 + d
	}
	if i == start {
		return i, false
	}
	if i < len(b) {
		switch b[i] {
		case '.', 'e', 'E':
			return i, false
		}
	}
	return i, true
}

// skipValue passes the value at b[i:] (after white space): a string, or
// anything up to the comma, bracket or brace that ends it, nested objects
// and arrays whole.
func skipValue(b []byte, i int) (int, bool) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		end, _, ok := stringEnd(b, i)
		return end, ok
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, _, ok := stringEnd(b, i)
				if !ok {
					return end, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return i, false
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i, i > start
		}
		i++
	}
	return i, i > start
}

// want says what a value of the shape is, for a refusal.
func (s *shape) want() string {
	switch s.fit {
	case fitString:
		return "text"
	case fitBool:
		return "true or false"
	case fitInt, fitUint:
		return "a whole number"
	case fitDate:
		return "a date (YYYY-MM-DD)"
	case fitSlice:
		return "a list"
	case fitMap, fitStruct:
		return "an object"
	}
	return "a value of its type"
}
