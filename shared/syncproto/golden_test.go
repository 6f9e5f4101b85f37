package syncproto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/kenesh/kenesh/assets"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or writes it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed: laptops and servers in the field read the old form. If the change is meant, and additive (a capability version in the package doc), run go test -update.\ngot:  %s\nwant: %s", name, got, want)
	}
}

// goldenOps are operations of every shape: a creation, an edit with a
// base, a deletion, and a resolution that settles two values, with text
// that needs escaping and Kyrgyz letters.
func goldenOps() []WireOp {
	return []WireOp{
		{Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Seq: 1, HLC: 117675588638146560, Kind: domain.KindAppeal,
			Record: "01a21154-2c3d-7e4f-8a5b-6c7d8e9f0a1b", Council: "NRN-ATB", Action: "create", Author: "Ат-Башы ноутбугу",
			Fields: map[string]WireChange{
				"council":  {V: json.RawMessage(`"NRN-ATB"`)},
				"reg_no":   {V: json.RawMessage(`"NRN-ATB-2026-K7QH-0001"`)},
				"summary":  {V: json.RawMessage(`"Милиция арызды каттоодон баш тартты: \"ң ө ү\" <&>"`)},
				"status":   {V: json.RawMessage(`"received"`)},
				"received": {V: json.RawMessage(`"2026-11-25"`)},
			}},
		{Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Seq: 2, HLC: 117675588638146561, Kind: domain.KindAppeal,
			Record: "01a21154-2c3d-7e4f-8a5b-6c7d8e9f0a1b", Council: "NRN-ATB", Action: "update", Author: "Ат-Башы ноутбугу",
			Fields: map[string]WireChange{"status": {V: json.RawMessage(`"under_review"`), B: 117675588638146560}}},
		{Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Seq: 3, HLC: 117675588638146562, Kind: domain.KindEvent,
			Record: "01a21155-0000-7000-8000-000000000001", Council: "NRN-ATB", Action: "delete", Author: "Ат-Башы ноутбугу",
			Fields: map[string]WireChange{changeset.DeletedField: {V: json.RawMessage(`true`), B: 117675588638140000}}},
		{Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Seq: 4, HLC: 117675588638146563, Kind: domain.KindAppeal,
			Record: "01a21154-2c3d-7e4f-8a5b-6c7d8e9f0a1b", Council: "NRN-ATB", Action: "update", Author: "Ат-Башы ноутбугу",
			Fields: map[string]WireChange{"summary": {V: json.RawMessage(`"биригди"`), B: 117675588638146560,
				S: []WireVersion{{T: 117675588638146001, D: "01a21160-0b49-7f01-9325-83417e1d6f9e"}, {T: 117675588638146560, D: "01a21153-0b49-7f01-9325-83417e1d6f9d"}}}}},
	}
}

// goldenMessages is one of every message, filled as a server of this
// version fills it.
func goldenMessages() map[string]any {
	return map[string]any{
		"enroll-request.json": EnrollRequest{Proto: Proto, Code: "7QH2-K9XM-4RTP-8WNB", DeviceID: "01a21153-0b49-7f01-9325-83417e1d6f9d",
			DeviceName: "Ат-Башы ноутбугу", Cap: CurrentCapability},
		"enroll-response.json": EnrollResponse{Proto: Proto, ServerID: "01a21100-0000-7000-8000-000000000000", Token: "k1.9f86d081884c7d659a2feaa0c55ad015",
			Council: "NRN-ATB", Role: domain.RoleSecretary, Name: "Ат-Башы катчысы", Dicts: []uint32{1}, MinProto: MinProto, Cap: CurrentCapability},
		"sync-request.json": SyncRequest{Proto: Proto, Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Ops: goldenOps(), Cursor: 41,
			Pull: true, MaxPull: 262144, Cap: CurrentCapability},
		"sync-response.json": SyncResponse{Proto: Proto, Acked: 4, Cursor: 97, More: true, Head: 1200, Time: 1764064800000,
			Refused: []Refusal{{Seq: 3, Code: CodeForbidden, Message: "published is written by central staff after review, not by a council's laptop",
				Fields: []FieldReason{{Field: "published", Code: domain.CodeForbidden, Message: "published is written by central staff after review, not by a council's laptop"}}}},
			Ops: goldenOps()[:2]},
		"error-gap.json":      ErrorBody{Code: CodeGap, Message: "the server holds this laptop's operations up to 3; this change set starts at 7", Acked: 3},
		"error-protocol.json": CheckProto(0).(*Error).Body(),
		"error-fields.json": ErrorBody{Code: CodeInvalid, Message: "council is not valid: oblast: unknown oblast",
			Fields: []FieldReason{{Field: "oblast", Code: domain.CodeUnknown, Message: "unknown oblast \"KG-Z\""}}},
		"have-request.json": HaveRequest{Proto: Proto, Cap: CurrentCapability, Records: []HaveRecord{
			{RecordRef: RecordRef{Kind: domain.KindAppeal, Record: "01a21154-2c3d-7e4f-8a5b-6c7d8e9f0a1b"}, Chunks: []string{goldenSum('a'), goldenSum('b')}},
			{RecordRef: RecordRef{Kind: domain.KindMaterial, Record: "01a21156-0000-7000-8000-000000000002"}, Chunks: []string{goldenSum('c')}}}},
		"have-response.json": HaveResponse{Proto: Proto, Records: []HaveAnswer{
			{RecordRef: RecordRef{Kind: domain.KindAppeal, Record: "01a21154-2c3d-7e4f-8a5b-6c7d8e9f0a1b"}, Missing: []string{goldenSum('a')}, NotNamed: []string{goldenSum('b')}},
			{RecordRef: RecordRef{Kind: domain.KindMaterial, Record: "01a21156-0000-7000-8000-000000000002"}, Code: CodeNotFound}}},
		"get-request.json": GetRequest{Proto: Proto, Cap: CurrentCapability, RecordRef: RecordRef{Kind: domain.KindMaterial, Record: "01a21156-0000-7000-8000-000000000002"},
			Chunks: []string{goldenSum('c'), goldenSum('d')}},
		"put-response.json": PutResponse{Proto: Proto, Stored: 3, Held: 1, Bytes: 412345},
		"material-copies.json": MaterialCopies{Proto: Proto, Copies: []MaterialCopy{{Material: "01a21156-0000-7000-8000-000000000002", Council: "NRN-ATB",
			Laptop: "Ат-Башы катчысы", Downloaded: 2, DownloadedAt: goldenTime(), Read: 1, ReadAt: goldenTime()}}},
		"error-quota.json": ErrorBody{Code: CodeQuota, Message: "council NRN-ATB has used 2.0 GiB of its 2.0 GiB for files on the server: ask the administrator to raise it"},
		"health.json":      Health{Status: "ok", ServerID: "01a21100-0000-7000-8000-000000000000", Proto: Proto, MinProto: MinProto, Cap: CurrentCapability, Dicts: []uint32{1}, Version: "0.6.0"},
	}
}

func goldenSum(c byte) string { return string(bytes.Repeat([]byte{c}, 64)) }

func goldenTime() *time.Time {
	t := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	return &t
}

// Every message, as this version writes it, and read back the same.
func TestGoldenMessages(t *testing.T) {
	for name, msg := range goldenMessages() {
		b, err := Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, name, append(b, '\n'))
		back := reflect.New(reflect.TypeOf(msg))
		if err := json.Unmarshal(b, back.Interface()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(back.Elem().Interface(), msg) {
			t.Errorf("%s does not read back:\n%+v\n%+v", name, back.Elem().Interface(), msg)
		}
	}
	// The server's streaming decoder reads the request as Unmarshal does.
	b, _ := Marshal(goldenMessages()["sync-request.json"])
	req, err := DecodeSyncRequest(b)
	if err != nil || !reflect.DeepEqual(*req, goldenMessages()["sync-request.json"]) {
		t.Errorf("DecodeSyncRequest: %v\n%+v", err, req)
	}
}

// A pull page's operations, as the server writes them without reflection
// (AppendOp), are the golden operations byte for byte.
func TestGoldenPageOps(t *testing.T) {
	var page []byte
	for _, w := range goldenOps() {
		op, err := FromWire(w)
		if err != nil {
			t.Fatal(err)
		}
		b, err := MarshalOp(op)
		if err != nil {
			t.Fatal(err)
		}
		page = append(append(page, b...), '\n')
	}
	golden(t, "page-ops.jsonl", page)
}

// dict1SHA256 pins dictionary 1: frames compressed with it travel from
// laptops that may not be updated for years, so it never changes; a
// better dictionary takes a new id (make dict, and both sides announce
// the ids they have).
const dict1SHA256 = "8baf00f552290244274733fead3b23166230ac707e9198ecc6796d65c6fa28bb"

func TestDictionaryOneNeverChanges(t *testing.T) {
	dicts, err := Dictionaries()
	if err != nil {
		t.Fatal(err)
	}
	d, ok := dicts[1]
	if !ok {
		t.Fatal("no dictionary 1 in assets/zstd")
	}
	sum := sha256.Sum256(d)
	if got := hex.EncodeToString(sum[:]); got != dict1SHA256 {
		t.Errorf("dictionary 1 changed (sha256 %s, was %s): frames of every laptop in the field would no longer decode; give a new dictionary a new id instead", got, dict1SHA256)
	}
	names, _ := fs.Glob(assets.FS, "zstd/*.dict")
	if len(names) != len(dicts) {
		t.Errorf("%d dictionary files, %d ids: two share an id", len(names), len(dicts))
	}
}

// A frame with dictionary 1, as this version writes it: every frame kept
// in testdata/golden (*.knf, older ones included) still decodes to the
// payload, and today's encoding is the golden one byte for byte.
func TestGoldenFrames(t *testing.T) {
	codec, err := DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	payload, err := Marshal(goldenMessages()["sync-request.json"])
	if err != nil {
		t.Fatal(err)
	}
	for _, dict := range []uint32{0, 1} {
		frame, err := codec.Encode(payload, dict)
		if err != nil {
			t.Fatal(err)
		}
		name := map[uint32]string{0: "frame-nodict.knf", 1: "frame-dict1.knf"}[dict]
		// A change of the zstd library's output (not of the format) shows
		// here: keep the old file under another name (it must still
		// decode), then -update.
		golden(t, name, frame)
		if raw, err := codec.Decode(frame); err != nil || !bytes.Equal(raw, payload) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Protocol 2's binary request, and its frame with dictionary 1.
	want := goldenMessages()["sync-request.json"].(SyncRequest)
	bin, err := AppendSyncRequest(nil, &want)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sync-request-v2.bin", bin)
	if req, err := DecodeSyncRequest(bin); err != nil || !bytes.Equal(mustMarshal(t, req), mustMarshal(t, &want)) {
		t.Errorf("sync-request-v2.bin decodes to %+v, %v", req, err)
	}
	frame, err := codec.Encode(bin, 1)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "frame-dict1-v2.knf", frame)
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.knf"))
	if len(files) < 2 {
		t.Fatalf("golden frames: %v", files)
	}
	for _, f := range files {
		frame, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := codec.Decode(frame)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if _, err := DecodeSyncRequest(raw); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
