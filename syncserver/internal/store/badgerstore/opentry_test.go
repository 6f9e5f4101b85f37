package badgerstore

import (
	"encoding/json"
	"testing"
)

func TestOpEntryEncoding(t *testing.T) {
	for _, e := range []opEntry{
		{ServerSeq: 1, HLC: 117677491360104448, Kind: "appeal", Record: "01JREC"},
		{HLC: 5, Kind: "appeal", Record: "r", Code: "forbidden", Message: "кеңеш NRN-ATB: not yours"},
		{},
	} {
		b := e.appendBinary(nil)
		got, err := decodeOpEntry(b)
		if err != nil || *got != e {
			t.Fatalf("round trip of %+v: %+v, %v", e, got, err)
		}
		for n := 0; n < len(b); n++ {
			if _, err := decodeOpEntry(b[:n]); err == nil {
				t.Fatalf("%+v cut at %d/%d decoded", e, n, len(b))
			}
		}
		js, _ := json.Marshal(e)
		if got, err := decodeOpEntry(js); err != nil || *got != e {
			t.Fatalf("JSON of an older store: %+v, %v", got, err)
		}
	}
}

func FuzzDecodeOpEntry(f *testing.F) {
	f.Add(opEntry{ServerSeq: 3, HLC: 9, Kind: "appeal", Record: "r", Code: "x", Message: "m"}.appendBinary(nil))
	f.Add([]byte(`{"s":1,"t":2,"k":"a","r":"b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeOpEntry(b)
		if err != nil {
			return
		}
		if back, err := decodeOpEntry(e.appendBinary(nil)); err != nil || *back != *e {
			t.Fatalf("re-encoding %+v: %+v, %v", e, back, err)
		}
	})
}
