package synctest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/kenesh/kenesh/shared/syncproto"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/v1")

func v1Samples() map[string]any {
	v := func(s string) v1WireChange { return v1WireChange{V: json.RawMessage(s)} }
	op := v1WireOp{Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Seq: 7, HLC: 117675588638146560, Kind: "appeal",
		Record: "01a21154-2c3d-7e4f-8a5b-6c7d8e9f0a1b", Council: "NRN-ATB", Action: "update", Author: "Ат-Башы",
		Fields: map[string]v1WireChange{"status": v(`"verified"`), "summary": {V: json.RawMessage(`"биригди"`), B: 117675588638146001,
			S: []v1WireVersion{{T: 117675588638146001, D: "01a21160-0b49-7f01-9325-83417e1d6f9e"}}}}}
	return map[string]any{
		"enroll-request.json": v1EnrollRequest{Proto: 1, Code: "7QH2-K9XM-4RTP-8WNB", DeviceID: "01a21153-0b49-7f01-9325-83417e1d6f9d", DeviceName: "Ат-Башы ноутбугу"},
		"sync-request.json":   v1SyncRequest{Proto: 1, Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Ops: []v1WireOp{op}, Cursor: 41, Pull: true, MaxPull: 262144},
	}
}

// The frozen v1 messages encode as laptops in the field send them.
func TestV1Golden(t *testing.T) {
	for name, msg := range v1Samples() {
		b, err := syncproto.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
		path := filepath.Join("testdata", "v1", name)
		if *update {
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, want) {
			t.Errorf("%s: the frozen v1 messages changed; they are what laptops in the field send, never edit them\ngot:  %s\nwant: %s", name, b, want)
		}
	}
}

// Today's protocol reads what a v1 laptop sends, and a v1 laptop reads
// what today's server answers (syncproto's golden files), losing nothing
// it knew.
func TestV1ReadsAndIsRead(t *testing.T) {
	req, err := os.ReadFile(filepath.Join("testdata", "v1", "sync-request.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := syncproto.DecodeSyncRequest(bytes.TrimSpace(req))
	if err != nil {
		t.Fatal(err)
	}
	if got.Proto != 1 || got.Cap != 0 || got.Cursor != 41 || !got.Pull || len(got.Ops) != 1 || got.Ops[0].Fields["summary"].B != 117675588638146001 ||
		len(got.Ops[0].Fields["summary"].S) != 1 || syncproto.CheckProto(got.Proto) != nil {
		t.Errorf("a v1 sync request read today: %+v", got)
	}
	enr, _ := os.ReadFile(filepath.Join("testdata", "v1", "enroll-request.json"))
	var er syncproto.EnrollRequest
	if err := json.Unmarshal(enr, &er); err != nil || er.Proto != 1 || er.DeviceID == "" || er.Cap != 0 {
		t.Errorf("a v1 enrollment read today: %v %+v", err, er)
	}

	golden := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "golden", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var now syncproto.SyncResponse
	var v1 v1SyncResponse
	if err := json.Unmarshal(golden("sync-response.json"), &now); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(golden("sync-response.json"), &v1); err != nil {
		t.Fatal(err)
	}
	if v1.Acked != now.Acked || v1.Cursor != now.Cursor || v1.More != now.More || v1.Head != now.Head || v1.Time != now.Time ||
		len(v1.Ops) != len(now.Ops) || len(v1.Refused) != len(now.Refused) || v1.Refused[0].Code != string(now.Refused[0].Code) ||
		v1.Refused[0].Message != now.Refused[0].Message || v1.Ops[0].Record != now.Ops[0].Record || string(v1.Ops[0].Fields["summary"].V) != string(now.Ops[0].Fields["summary"].V) {
		t.Errorf("a v1 laptop reads today's sync answer as\n%+v\nnot\n%+v", v1, now)
	}
	var en syncproto.EnrollResponse
	var ev1 v1EnrollResponse
	json.Unmarshal(golden("enroll-response.json"), &en)
	if err := json.Unmarshal(golden("enroll-response.json"), &ev1); err != nil || ev1.Token != en.Token || ev1.Role != en.Role ||
		ev1.Council != en.Council || ev1.Name != en.Name || len(ev1.Dicts) != len(en.Dicts) || ev1.Proto != en.Proto {
		t.Errorf("a v1 laptop reads today's enrollment as %+v", ev1)
	}
	for _, name := range []string{"error-gap.json", "error-protocol.json", "error-fields.json"} {
		var eb syncproto.ErrorBody
		var e1 v1ErrorBody
		json.Unmarshal(golden(name), &eb)
		if err := json.Unmarshal(golden(name), &e1); err != nil || e1.Code != string(eb.Code) || e1.Message != eb.Message || e1.Acked != eb.Acked {
			t.Errorf("%s: a v1 laptop reads %+v", name, e1)
		}
	}
}
