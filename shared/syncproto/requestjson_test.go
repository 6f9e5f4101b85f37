package syncproto

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// AppendSyncRequestJSON writes the bytes Marshal writes for the request's
// WireOps, whatever its fields hold: empty ones, negative sizes, strings
// to escape, values with HTML's characters, settled versions.
func TestAppendSyncRequestJSON(t *testing.T) {
	odd := &changeset.Op{Device: "dev \"ü\" <&>\u2028\x01", Seq: 7, HLC: 1 << 60, Kind: "appeal", Record: "r\\1", Action: changeset.ActionUpdate,
		Fields: map[string]changeset.Change{
			"b":   {Value: json.RawMessage(`"<b>&amp;</b>"`), Base: 3},
			"a":   {Value: json.RawMessage(`{"x":[1,2.5e3,null,true]}`), Settles: []changeset.Version{{HLC: 9, Device: "d<1>"}, {HLC: 10, Device: "d2"}}},
			"ж":   {Value: json.RawMessage(`"жер"`)},
			"\"q": {Value: json.RawMessage(`-0.5`)},
		}}
	noFields := &changeset.Op{Device: "d", Seq: 1, HLC: hlc.Timestamp(1), Kind: "k", Record: "r", Council: "NRN-ATB", Action: changeset.ActionDelete, Author: "a", Fields: map[string]changeset.Change{}}
	reqs := []*SyncRequest{
		{},
		{Proto: Proto, Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Cursor: 41, Pull: true, MaxPull: 256 << 10, Cap: CurrentCapability, Push: benchOps(5)},
		{Proto: 1, Device: "x", Cursor: 1<<64 - 1, MaxPull: -1, Push: []*changeset.Op{odd, noFields}},
		{Proto: Proto, Device: "y", Pull: true, Cap: 5, Push: benchOps(30)},
		benchRequest(3), // Ops: Marshal's
	}
	for i, req := range reqs {
		want, err := Marshal(req.WithWire())
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendSyncRequestJSON([]byte("prefix"), req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("request %d:\n got %s\nwant prefix%s", i, got, want)
		}
	}
	bad := &SyncRequest{Device: "d", Push: []*changeset.Op{{Device: "d", Seq: 1, Kind: "k", Record: "r", Action: changeset.ActionUpdate,
		Fields: map[string]changeset.Change{"f": {Value: json.RawMessage(`{not json`)}}}}}
	if _, err := AppendSyncRequestJSON(nil, bad); err == nil {
		t.Error("a value that is not JSON written; want an error")
	}
}
