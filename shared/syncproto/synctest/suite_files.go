package synctest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// testFile is a file of chunks, as a laptop cuts it.
type testFile struct {
	att    domain.Attachment
	chunks [][]byte
}

// newFile is a file of the given chunks.
func newFile(name string, chunks ...[]byte) testFile {
	f := testFile{att: domain.Attachment{ID: domain.NewID(), Name: name, MIME: "application/pdf", AddedOn: caldate.Of(time.Now())}, chunks: chunks}
	whole := sha256.New()
	for _, c := range chunks {
		sum := sha256.Sum256(c)
		f.att.Chunks = append(f.att.Chunks, domain.Chunk{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(c))})
		f.att.Size += int64(len(c))
		whole.Write(c)
	}
	f.att.SHA256 = hex.EncodeToString(whole.Sum(nil))
	return f
}

func (f testFile) sums() []string {
	var out []string
	for _, c := range f.att.Chunks {
		out = append(out, c.SHA256)
	}
	return out
}

func noise(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func text(n int) []byte {
	return []byte(strings.Repeat("Жер үлүшү боюнча арыздын сканы. ", n/40+1))[:n]
}

// attach makes the laptop's operation adding f to a record (not sent).
func (l *laptop) attach(kind, record, council string, f testFile) syncproto.WireOp {
	return l.op(kind, record, council, changeset.ActionUpdate, map[string]any{"attachments/" + f.att.ID: f.att})
}

// appealWith makes a new appeal of council carrying f (not sent).
func (l *laptop) appealWith(council string, f testFile) syncproto.WireOp {
	op := l.appeal(council, "Жер үлүшү тартылып алынды")
	b, _ := jsonMarshal(f.att)
	op.Fields["attachments/"+f.att.ID] = syncproto.WireChange{V: b}
	return op
}

// put sends chunks (content, each named by its hash) for a record.
func (l *laptop) put(ref syncproto.RecordRef, chunks ...[]byte) (*syncproto.PutResponse, error) {
	i := 0
	return l.c.PutChunks(context.Background(), ref, func() (*syncclient.OutChunk, error) {
		if i == len(chunks) {
			return nil, nil
		}
		c := chunks[i]
		i++
		enc, payload, err := syncproto.EncodeChunk(c, true)
		return &syncclient.OutChunk{Sum: sha256.Sum256(c), Enc: enc, Payload: payload}, err
	})
}

// have asks about one record's chunks.
func (l *laptop) have(ref syncproto.RecordRef, sums ...string) (syncproto.HaveAnswer, error) {
	resp, err := l.c.Have(context.Background(), &syncproto.HaveRequest{Records: []syncproto.HaveRecord{{RecordRef: ref, Chunks: sums}}})
	if err != nil {
		return syncproto.HaveAnswer{}, err
	}
	return resp.Records[0], nil
}

// get fetches chunks of a record: the content of each (nil for a status)
// and its encoding.
func (l *laptop) get(ref syncproto.RecordRef, sums ...string) ([][]byte, []syncproto.ChunkEncoding, error) {
	var out [][]byte
	var encs []syncproto.ChunkEncoding
	err := l.c.GetChunks(context.Background(), &syncproto.GetRequest{RecordRef: ref, Chunks: sums}, func(c *syncproto.StreamChunk) error {
		out = append(out, bytes.Clone(c.Plain))
		encs = append(encs, c.Enc)
		return nil
	})
	return out, encs, err
}

func ref(op syncproto.WireOp) syncproto.RecordRef {
	return syncproto.RecordRef{Kind: op.Kind, Record: op.Record}
}

// A file travels up after its record and down to every device that may
// read the record, checked chunk by chunk; a chunk sent twice is stored
// once; another council's device learns nothing of it.
func testFiles(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	a2 := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы 2")
	central := s.enroll(domain.RoleCentral, "", "Борбор")
	b := s.enroll(domain.RoleSecretary, "OSH-ARA", "Араван")
	trainer := s.enroll(domain.RoleTrainer, "", "Тренер")
	f := newFile("арыз.pdf", text(100_000), noise(1, 50_000))
	op := a.appealWith("NRN-ATB", f)
	a.push(op)
	r := ref(op)

	h, err := a.have(r, f.sums()...)
	if err != nil || h.Code != "" || len(h.Missing) != 2 || len(h.NotNamed) != 0 {
		t.Fatalf("have before the upload: %+v %v", h, err)
	}
	pr, err := a.put(r, f.chunks...)
	if err != nil || pr.Stored != 2 || pr.Held != 0 || pr.Bytes >= int64(f.att.Size) {
		t.Fatalf("put: %+v %v (the text compresses: fewer bytes than the file's %d)", pr, err, f.att.Size)
	}
	if h, _ := a.have(r, f.sums()...); len(h.Missing) != 0 {
		t.Fatalf("have after the upload: %+v", h)
	}
	if pr, err := a2.put(r, f.chunks...); err != nil || pr.Stored != 0 || pr.Held != 2 {
		t.Fatalf("the same chunks again: %+v %v", pr, err)
	}
	for _, l := range []*laptop{a2, central} {
		got, encs, err := l.get(r, f.sums()...)
		if err != nil || len(got) != 2 || !bytes.Equal(got[0], f.chunks[0]) || !bytes.Equal(got[1], f.chunks[1]) {
			t.Fatalf("%s: get: %v", l.name, err)
		}
		if encs[0] != syncproto.ChunkZstd || encs[1] != syncproto.ChunkRaw {
			t.Errorf("%s: encodings %v: text travels compressed, noise raw", l.name, encs)
		}
	}
	// A chunk the record names but nobody sent, and one it does not name.
	g := newFile("сүрөт.jpg", noise(2, 1000))
	op2 := a.attach(domain.KindAppeal, r.Record, "NRN-ATB", g)
	a.push(op2)
	other := sha256.Sum256([]byte("another file"))
	h, _ = a.have(r, g.sums()[0], hex.EncodeToString(other[:]))
	if len(h.Missing) != 1 || h.Missing[0] != g.sums()[0] || len(h.NotNamed) != 1 {
		t.Fatalf("have: %+v", h)
	}
	_, encs, err := central.get(r, g.sums()[0], hex.EncodeToString(other[:]), f.sums()[1])
	if err != nil || len(encs) != 3 || encs[0] != syncproto.ChunkAbsent || encs[1] != syncproto.ChunkNotNamed || encs[2] != syncproto.ChunkRaw {
		t.Fatalf("get of an absent, an unnamed and a held chunk: %v %v", encs, err)
	}
	// Another council's laptop, and a trainer's, learn nothing of it.
	for _, l := range []*laptop{b, trainer} {
		h, err := l.have(r, f.sums()...)
		if err != nil || h.Code != syncproto.CodeNotFound || h.Missing != nil || h.NotNamed != nil {
			t.Errorf("%s: have of another council's record: %+v %v", l.name, h, err)
		}
		_, _, err = l.get(r, f.sums()...)
		wantCode(t, l.name+": get of another council's record", err, syncproto.CodeNotFound)
		_, err = l.put(r, f.chunks[0])
		wantCode(t, l.name+": put for another council's record", err, syncproto.CodeNotFound)
	}
	// No record at all is answered the same.
	if h, _ := a.have(syncproto.RecordRef{Kind: domain.KindAppeal, Record: domain.NewID()}, f.sums()...); h.Code != syncproto.CodeNotFound {
		t.Errorf("have of a record that does not exist: %+v", h)
	}
}

// No hash oracle: a laptop that names another council's chunk in a
// record of its own is told the server does not hold it, and gets it only
// by sending its content first (proof that it has it).
func testFilesNoOracle(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	b := s.enroll(domain.RoleSecretary, "OSH-ARA", "Араван")
	secret := text(70_000)
	f := newFile("арыз.pdf", secret)
	op := a.appealWith("NRN-ATB", f)
	a.push(op)
	if _, err := a.put(ref(op), secret); err != nil {
		t.Fatal(err)
	}
	// b knows the hash and size (say, from a leak) and names them.
	probe := newFile("probe.pdf", secret)
	own := b.appealWith("OSH-ARA", probe)
	b.push(own)
	h, err := b.have(ref(own), probe.sums()...)
	if err != nil || len(h.Missing) != 1 {
		t.Fatalf("have: %+v %v: the server must say it does not hold another council's chunk", h, err)
	}
	_, encs, err := b.get(ref(own), probe.sums()...)
	if err != nil || len(encs) != 1 || encs[0] != syncproto.ChunkAbsent {
		t.Fatalf("get: %v %v: another council's chunk was given out", encs, err)
	}
	// Content that does not match the hash is refused and changes nothing.
	forged := bytes.Clone(secret)
	forged[0] ^= 1
	_, err = b.c.PutChunks(context.Background(), ref(own), oneChunk(sha256.Sum256(secret), syncproto.ChunkRaw, forged))
	wantCode(t, "a chunk that does not match its hash", err, syncproto.CodeFrame)
	if h, _ := b.have(ref(own), probe.sums()...); len(h.Missing) != 1 {
		t.Fatalf("after a forged chunk: %+v", h)
	}
	// A chunk its record does not name is refused.
	_, err = b.put(ref(own), text(500))
	wantCode(t, "a chunk the record does not name", err, syncproto.CodeForbidden)
	// With the content, b has proved it holds the file.
	if pr, err := b.put(ref(own), secret); err != nil || pr.Stored != 1 {
		t.Fatalf("put of the real content: %+v %v", pr, err)
	}
	got, _, err := b.get(ref(own), probe.sums()...)
	if err != nil || !bytes.Equal(got[0], secret) {
		t.Fatalf("get after sending it: %v", err)
	}
}

// Chunks damaged on the way, or not what the record says, are refused and
// not stored; a stream cut off keeps the chunks that arrived whole.
func testFilesDamaged(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	one, two := text(60_000), noise(3, 60_000)
	f := newFile("минута.pdf", one, two)
	op := a.appealWith("NRN-ATB", f)
	a.push(op)
	r := ref(op)
	// A flipped byte in a compressed chunk.
	enc, payload, _ := syncproto.EncodeChunk(one, true)
	payload = bytes.Clone(payload)
	payload[len(payload)/2] ^= 0x40
	_, err := a.c.PutChunks(context.Background(), r, oneChunk(sha256.Sum256(one), enc, payload))
	wantCode(t, "a damaged chunk", err, syncproto.CodeFrame)
	if h, _ := a.have(r, f.sums()...); len(h.Missing) != 2 {
		t.Fatalf("a damaged chunk was stored: %+v", h)
	}
	// A stream cut inside its second chunk: the first is kept.
	var b bytes.Buffer
	w := syncproto.NewChunkWriter(&b)
	for _, c := range [][]byte{one, two} {
		enc, payload, _ := syncproto.EncodeChunk(c, true)
		w.Write(sha256.Sum256(c), enc, payload)
	}
	body := b.Bytes()[:b.Len()-1000]
	status, _, _ := s.post(syncproto.PathFilesPut+"?kind=appeal&record="+r.Record, syncproto.ChunkContentType, a.token, body, nil)
	if status == http.StatusOK {
		t.Errorf("a cut stream answered %d", status)
	}
	h, _ := a.have(r, f.sums()...)
	if len(h.Missing) != 1 || h.Missing[0] != f.sums()[1] {
		t.Fatalf("after a stream cut in its second chunk: %+v, want the second missing only", h)
	}
	if pr, err := a.put(r, two); err != nil || pr.Stored != 1 {
		t.Fatalf("the rest: %+v %v", pr, err)
	}
}

// Each council has room for so many bytes of files on the server; past it
// a chunk is refused with CodeQuota, and what came before is kept.
func testFilesQuota(t *testing.T, s *suite) {
	s.tg.(FilesTarget).SetFilesQuota(t, 150_000)
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	b := s.enroll(domain.RoleSecretary, "OSH-ARA", "Араван")
	f := newFile("видео.mp4", noise(4, 100_000), noise(5, 100_000))
	op := a.appealWith("NRN-ATB", f)
	a.push(op)
	_, err := a.put(ref(op), f.chunks...)
	e := wantCode(t, "over the quota", err, syncproto.CodeQuota)
	if !strings.Contains(e.Message, "NRN-ATB") {
		t.Errorf("the refusal does not say whose room is full: %q", e.Message)
	}
	if h, _ := a.have(ref(op), f.sums()...); len(h.Missing) != 1 || h.Missing[0] != f.sums()[1] {
		t.Fatalf("after the quota: %+v, want the first chunk kept", h)
	}
	// Another council's room is its own.
	g := newFile("сүрөт.jpg", noise(6, 100_000))
	op2 := b.appealWith("OSH-ARA", g)
	b.push(op2)
	if _, err := b.put(ref(op2), g.chunks...); err != nil {
		t.Fatalf("another council: %v", err)
	}
}

// A trainer's material reaches every device; a council's copy of it (the
// version downloaded, the version read) reaches the trainer.
func testFilesMaterials(t *testing.T, s *suite) {
	trainer := s.enroll(domain.RoleTrainer, "", "Тренер")
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы катчысы")
	b := s.enroll(domain.RoleSecretary, "OSH-ARA", "Араван")
	central := s.enroll(domain.RoleCentral, "", "Борбор")
	f := newFile("колдонмо.pdf", text(80_000), noise(7, 20_000))
	m := domain.Material{ID: domain.NewID(), Title: "Аялдардын укуктары", Language: "ky", Version: 1, PublishedOn: caldate.Of(time.Now()), File: f.att}
	fields, _ := (changeset.Schema{}).ToFields(m, domain.NotFields...)
	values := map[string]any{}
	for k, v := range fields {
		values[k] = rawJSON(v)
	}
	op := trainer.op(domain.KindMaterial, m.ID, "", changeset.ActionCreate, values)
	if resp := trainer.push(op); len(resp.Refused) != 0 {
		t.Fatalf("the material was refused: %+v", resp.Refused)
	}
	if _, err := trainer.put(ref(op), f.chunks...); err != nil {
		t.Fatal(err)
	}
	for _, l := range []*laptop{a, b, central} {
		got, _, err := l.get(ref(op), f.sums()...)
		if err != nil || len(got) != 2 || !bytes.Equal(got[0], f.chunks[0]) {
			t.Fatalf("%s: %v", l.name, err)
		}
	}
	// A secretary's laptop says it downloaded version 1 and read it.
	now := time.Now().UTC().Truncate(time.Second)
	cp := a.op(domain.KindMaterialCopy, domain.MaterialCopyID(m.ID, a.id), "NRN-ATB", changeset.ActionCreate,
		map[string]any{"council": "NRN-ATB", "material": m.ID, "downloaded": 1, "downloaded_at": now, "read": 1, "read_at": now})
	if resp := a.push(cp); len(resp.Refused) != 0 {
		t.Fatalf("the copy was refused: %+v", resp.Refused)
	}
	for _, l := range []*laptop{trainer, central} {
		mc, err := l.c.MaterialCopies(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", l.name, err)
		}
		if len(mc.Copies) != 1 || mc.Copies[0].Material != m.ID || mc.Copies[0].Council != "NRN-ATB" || mc.Copies[0].Laptop != "Ат-Башы катчысы" ||
			mc.Copies[0].Downloaded != 1 || mc.Copies[0].Read != 1 || mc.Copies[0].ReadAt == nil || !mc.Copies[0].ReadAt.Equal(now) {
			t.Errorf("%s: copies %+v", l.name, mc.Copies)
		}
	}
	_, err := b.c.MaterialCopies(context.Background())
	wantCode(t, "a secretary asks what councils hold", err, syncproto.CodeForbidden)
}

// Files requests over the limits, malformed or without a token are
// refused whole, with a code.
func testFilesRequests(t *testing.T, s *suite) {
	a := s.enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы")
	f := newFile("арыз.pdf", text(1000))
	op := a.appealWith("NRN-ATB", f)
	a.push(op)
	r := ref(op)
	many := make([]string, syncproto.MaxHaveChunks+1)
	for i := range many {
		many[i] = f.sums()[0]
	}
	_, err := a.have(r, many...)
	wantCode(t, "too many chunks in a have", err, syncproto.CodeTooLarge)
	_, err = a.have(r, "not a hash")
	wantCode(t, "a have of something that is not a hash", err, syncproto.CodeInvalid)
	_, _, err = a.get(r, many[:syncproto.MaxGetChunks+1]...)
	wantCode(t, "too many chunks in a get", err, syncproto.CodeTooLarge)
	_, err = a.c.PutChunks(context.Background(), r, oneChunk(sha256.Sum256(f.chunks[0]), syncproto.ChunkAbsent, nil))
	wantCode(t, "a put of a status", err, syncproto.CodeInvalid)
	bad := syncproto.RecordRef{Kind: "appeal:x", Record: r.Record}
	_, err = a.have(bad, f.sums()...)
	wantCode(t, "a record's name with ':'", err, syncproto.CodeInvalid)
	for _, path := range []string{syncproto.PathFilesHave, syncproto.PathFilesGet, syncproto.PathFilesPut + "?kind=appeal&record=" + r.Record} {
		status, _, body := s.post(path, syncproto.ContentType, "", []byte("x"), nil)
		if eb := s.errorBody(status, body); eb.Code != syncproto.CodeUnauthorized {
			t.Errorf("%s without a token: %+v", path, eb)
		}
	}
	status, _, body := s.post(syncproto.PathFilesPut+"?kind=appeal&record="+r.Record, "text/html", a.token, []byte("<html>"), nil)
	if eb := s.errorBody(status, body); eb.Code != syncproto.CodeInvalid {
		t.Errorf("a put that is not a chunk stream: %+v", eb)
	}
	if errors.Is(err, syncclient.ErrNoFiles) {
		t.Error("a server of capability 6 said it carries no files")
	}
}

// oneChunk is a put's source of one chunk as given.
func oneChunk(sum [32]byte, enc syncproto.ChunkEncoding, payload []byte) func() (*syncclient.OutChunk, error) {
	done := false
	return func() (*syncclient.OutChunk, error) {
		if done {
			return nil, nil
		}
		done = true
		return &syncclient.OutChunk{Sum: sum, Enc: enc, Payload: payload}, nil
	}
}

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

func jsonMarshal(v any) ([]byte, error) {
	b, err := syncproto.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	return b, nil
}
