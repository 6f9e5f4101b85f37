package changeset

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestKindOfJSON(t *testing.T) {
	for v, want := range map[string]JSONKind{
		``: JSONNone, ` `: JSONNone, "\n\t": JSONNone, `null`: JSONNull, ` null `: JSONNull, `true`: JSONBool, `false`: JSONBool,
		`0`: JSONNumber, `-1.5e3`: JSONNumber, `""`: JSONString, ` "a"`: JSONString, `[]`: JSONArray, `{}`: JSONObject,
		"\r{\"id\":\"a\"}": JSONObject, `x`: JSONInvalid, `}`: JSONInvalid,
	} {
		if got := KindOfJSON([]byte(v)); got != want {
			t.Errorf("KindOfJSON(%q) = %d, want %d", v, got, want)
		}
	}
	for v, want := range map[string]bool{``: true, `null`: true, ` null`: true, `"null"`: false, `0`: false, `{}`: false} {
		if got := isNull([]byte(v)); got != want {
			t.Errorf("isNull(%q) = %v", v, got)
		}
	}
}

const itemID = "0190a5c2-0000-7000-8000-00000000c001"

// isItemCases are values of the item itemID: items, and what is not one.
var isItemCases = map[string]bool{
	`{"id":"` + itemID + `"}`:                                             true,
	`{"id":"` + itemID + `","note":"кеңешүү"}`:                            true,
	` { "note" : {"id":"x","a":[1,"]}",{}]} , "id" : "` + itemID + `" } `: true,
	`{"note":"\"id\":\"x\"","id":"` + itemID + `"}`:                       true,
	`{"Id":"` + itemID + `"}`:                                             true, // encoding/json takes it for "id"
	`{"\u0069d":"` + itemID + `"}`:                                        true,
	`{"id":"\u0030190a5c2-0000-7000-8000-00000000c001"}`:                  true,
	`{"id":"` + itemID + `","ID":"` + itemID + `"}`:                       true,
	`"text"`:                                 false,
	`3`:                                      false,
	`[]`:                                     false,
	`[{"id":"` + itemID + `"}]`:              false,
	`null`:                                   false, // a removed item is null, but no item
	`true`:                                   false,
	`{}`:                                     false,
	`{"note":"x"}`:                           false,
	`{"id":"another"}`:                       false,
	`{"id":3}`:                               false,
	`{"id":null}`:                            false,
	`{"id":["` + itemID + `"]}`:              false,
	`{"ids":"` + itemID + `"}`:               false,
	`{"i":"` + itemID + `"}`:                 false,
	`{"note":{"id":"` + itemID + `"}}`:       false, // not the top level
	`{"id":"` + itemID + `","Id":"another"}`: false, // which one reads depends on the decoder
	`{"id":"another","id":"` + itemID + `"}`: false,
	`{"\u0069d":"another","id":"` + itemID + `"}`: false,
	`{"id":"` + itemID + `x"}`:                    false,
	`{"id":"` + itemID[:10] + `"}`:                false,
	`{"id":"` + itemID + `"`:                      false, // not JSON: never an item either
	`{"id":"` + itemID + `",}`:                    false,
	`{"id" "` + itemID + `"}`:                     false,
	`{"id":"` + itemID + `"}x`:                    false,
	`{"id":"` + itemID:                            false,
	`{`:                                           false,
	``:                                            false,
}

func TestIsItem(t *testing.T) {
	for v, want := range isItemCases {
		if got := IsItem(itemID, []byte(v)); got != want {
			t.Errorf("IsItem(%s) = %v, want %v", v, got, want)
		}
	}
}

// isItemAsDecoded is IsItem by encoding/json, for valid JSON: an object
// whose every top-level key that encoding/json matches to a field tagged
// "id" holds the string id, with at least one such key.
func isItemAsDecoded(id string, v []byte) bool {
	if KindOfJSON(v) != JSONObject {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	if _, err := dec.Token(); err != nil {
		return false
	}
	found := false
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return false
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return false
		}
		if strings.EqualFold(k.(string), "id") {
			var s string
			if KindOfJSON(val) != JSONString || json.Unmarshal(val, &s) != nil || s != id {
				return false
			}
			found = true
		}
	}
	return found
}

// FuzzIsItem: on any bytes, IsItem does not panic; on valid JSON, it says what decoding says
// (isItemAsDecoded), and an item it takes decodes with its id. It may
// refuse, never take, a value whose id holds bytes that are not UTF-8
// (encoding/json reads them as U+FFFD; no laptop writes them).
func FuzzIsItem(f *testing.F) {
	for v := range isItemCases {
		f.Add(itemID, []byte(v))
	}
	f.Add("a", []byte(`{"id":"a"}`))
	f.Add("a", []byte(`{"ID":"a","x":[{"id":"b"},"}"]}`))
	f.Fuzz(func(t *testing.T, id string, v []byte) {
		got := IsItem(id, v) // never a panic
		if !json.Valid(v) {
			return // IsItem's callers check first (Op.Validate)
		}
		if got {
			var item struct {
				ID *string `json:"id"`
			}
			if err := json.Unmarshal(v, &item); err != nil || item.ID == nil || *item.ID != id {
				t.Fatalf("IsItem(%q, %q) took it; it decodes to %v (%v)", id, v, item.ID, err)
			}
		}
		if want := isItemAsDecoded(id, v); got != want && (got || utf8.Valid(v) && utf8.ValidString(id)) {
			t.Fatalf("IsItem(%q, %q) = %v; decoding says %v", id, v, got, want)
		}
	})
}

// BenchmarkIsItem: an item as a council's laptop writes one (an appeal's
// consultation), by IsItem and by a decode of its id.
func BenchmarkIsItem(b *testing.B) {
	v := []byte(`{"date":"2026-11-03","id":"` + itemID + `","note":"Райондук ооруканага жолдомо берилди, дарылар боюнча маалымат берилди.","with":"Асанова Б."}`)
	b.Run("IsItem", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !IsItem(itemID, v) {
				b.Fatal("not an item")
			}
		}
	})
	b.Run("Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var item struct {
				ID *string `json:"id"`
			}
			if json.Unmarshal(v, &item) != nil || *item.ID != itemID {
				b.Fatal("not an item")
			}
		}
	})
}
