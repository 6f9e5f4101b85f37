package changeset

import (
	"encoding/binary"
	"encoding/json"
)

// JSONKind is what a JSON value is, as its first byte says.
type JSONKind uint8

// The kinds of JSON values. JSONNone is no value at all: empty, or white
// space only (a field written without a value reads as null: isNull).
// JSONInvalid is a first byte no JSON value starts with.
const (
	JSONNone JSONKind = iota
	JSONInvalid
	JSONNull
	JSONBool
	JSONNumber
	JSONString
	JSONArray
	JSONObject
)

// KindOfJSON says what the JSON value v is by its first byte after white
// space, without reading the rest: v is valid JSON (Op.Validate checks
// every value of an operation; a value a person typed is checked before
// this is asked). The one place that decides it by hand: a removed value
// (null), text for a conflict's merge, an item of a collection.
func KindOfJSON(v []byte) JSONKind {
	for _, c := range v {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case 'n':
			return JSONNull
		case 't', 'f':
			return JSONBool
		case '"':
			return JSONString
		case '[':
			return JSONArray
		case '{':
			return JSONObject
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return JSONNumber
		}
		return JSONInvalid
	}
	return JSONNone
}

// isNull says whether v removes a value: null, or no value at all.
func isNull(v []byte) bool {
	k := KindOfJSON(v)
	return k == JSONNull || k == JSONNone
}

// IsItem reports whether v, valid JSON, is an item with the id id as
// Schema.ToFields writes one: an object whose "id" is the string id.
// Every top-level key that reads as the id (encoding/json matches a key
// to a struct's field case-insensitively, after its escapes) must hold
// id, and one must: then the item reads back with that id, whatever
// decoder's rule takes which of two. A scan of the top level, not a decode
// into a map: every operation of a council's push is checked (an item of
// an appeal, an event, a response...; policy.CheckWrite), and nothing is
// allocated unless a key or the id is escaped.
func IsItem(id string, v []byte) bool {
	s := itemScan{b: v}
	if s.space() != '{' {
		return false
	}
	s.i++
	found := false
	for {
		if s.space() != '"' {
			return false
		}
		key, escaped, ok := s.str()
		if !ok || s.space() != ':' {
			return false
		}
		s.i++
		isID := false
		if escaped {
			var k string
			isID = json.Unmarshal(key, &k) == nil && len(k) == 2 && k[0]|0x20 == 'i' && k[1]|0x20 == 'd'
		} else {
			isID = len(key) == 4 && key[1]|0x20 == 'i' && key[2]|0x20 == 'd'
		}
		if isID {
			if s.space() != '"' {
				return false
			}
			val, escaped, ok := s.str()
			if !ok {
				return false
			}
			if escaped {
				var got string
				if json.Unmarshal(val, &got) != nil || got != id {
					return false
				}
			} else if string(val[1:len(val)-1]) != id {
				return false
			}
			found = true
		} else if !s.skip() {
			return false
		}
		switch s.space() {
		case ',':
			s.i++
		case '}':
			s.i++
			return found && s.space() == 0
		default:
			return false
		}
	}
}

// itemScan walks a JSON value for IsItem: b from i.
type itemScan struct {
	b []byte
	i int
}

// space skips white space and gives the byte there (0 at the end).
func (s *itemScan) space() byte {
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

// str reads the string at i (its opening quote): the string with its
// quotes, and whether it holds an escape.
func (s *itemScan) str() (raw []byte, escaped, ok bool) {
	start := s.i
	for s.i++; s.i < len(s.b); {
		j := quoteOrBackslash(s.b[s.i:])
		if j < 0 {
			break
		}
		s.i += j
		if s.b[s.i] == '"' {
			s.i++
			return s.b[start:s.i], escaped, true
		}
		escaped = true
		s.i += 2 // the backslash and the byte it escapes
	}
	return nil, false, false
}

// quoteOrBackslash is the index of the first '"' or '\\' in b, -1 for
// none: eight bytes at a time, as plainText reads (most of an item is its
// strings' text).
func quoteOrBackslash(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q, e := x^('"'*ones), x^('\\'*ones)
		if (q-ones)&^q&highs|(e-ones)&^e&highs != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] == '"' || b[i] == '\\' {
			return i
		}
	}
	return -1
}

// skip passes the value at i (after white space): anything up to the
// comma or brace that ends it, nested objects and arrays whole (with the
// strings in them, whose brackets do not count).
func (s *itemScan) skip() bool {
	start, depth := s.i, 0
	for s.space() != 0 {
		switch s.b[s.i] {
		case '"':
			if _, _, ok := s.str(); !ok {
				return false
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return s.i > start
			}
			depth--
		case ',':
			if depth == 0 {
				return s.i > start
			}
		}
		s.i++
	}
	return false
}
