package hostile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// client is the laptop's protocol client, for the files endpoints.
func (l *laptop) client() *syncclient.Client {
	l.tg.t.Helper()
	c, err := syncclient.New(l.tg.url, syncclient.Options{Token: l.token})
	if err != nil {
		l.tg.t.Fatal(err)
	}
	l.tg.t.Cleanup(c.Close)
	return c
}

// file describes content cut into chunks of at most size bytes.
func file(content []byte, size int) (domain.Attachment, [][]byte) {
	a := domain.Attachment{ID: domain.NewID(), Name: "арыз.pdf", MIME: "application/pdf", AddedOn: caldate.MustParse("2026-11-02")}
	whole := sha256.Sum256(content)
	a.SHA256 = hex.EncodeToString(whole[:])
	var chunks [][]byte
	for len(content) > 0 {
		n := min(size, len(content))
		c := content[:n]
		content = content[n:]
		sum := sha256.Sum256(c)
		a.Chunks = append(a.Chunks, domain.Chunk{SHA256: hex.EncodeToString(sum[:]), Size: int64(n)})
		a.Size += int64(n)
		chunks = append(chunks, c)
	}
	return a, chunks
}

// appealWith pushes a new appeal of the laptop's council naming file a.
func (l *laptop) appealWith(a domain.Attachment) syncproto.RecordRef {
	l.tg.t.Helper()
	id := domain.NewID()
	f := appeal(l.council)
	f["attachments/"+a.ID] = a
	if r := l.mustPush(l.op(domain.KindAppeal, id, changeset.ActionCreate, f)); len(r.Refused) > 0 {
		l.tg.t.Fatalf("the appeal was refused: %+v", r.Refused)
	}
	return syncproto.RecordRef{Kind: domain.KindAppeal, Record: id}
}

// put sends chunks as given.
func put(c *syncclient.Client, ref syncproto.RecordRef, chunks ...syncclient.OutChunk) (*syncproto.PutResponse, error) {
	i := 0
	return c.PutChunks(context.Background(), ref, func() (*syncclient.OutChunk, error) {
		if i == len(chunks) {
			return nil, nil
		}
		i++
		return &chunks[i-1], nil
	})
}

func raw(c []byte) syncclient.OutChunk {
	return syncclient.OutChunk{Sum: sha256.Sum256(c), Enc: syncproto.ChunkRaw, Payload: c}
}

func code(err error) syncproto.Code {
	var e *syncproto.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func noise(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 3))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// No hash oracle: a laptop that knows the SHA-256 of another council's
// scanned complaint learns nothing of it. Asking through the other
// council's record is answered exactly as for a record that does not
// exist; naming the hash in a record of its own, the server says it does
// not hold the chunk and gives nothing out, until the laptop sends the
// content itself; forged content under the hash is refused and changes
// nothing.
func TestFilesHashOracle(t *testing.T) {
	tg := start(t, server.Config{})
	victim := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	thief := tg.enroll(domain.RoleSecretary, "OSH-ARA")
	secret := append([]byte("Токтогулов Эрмек, +996 555 123 987: "), noise(1, 50_000)...)
	att, chunks := file(secret, 40_000)
	ref := victim.appealWith(att)
	if _, err := put(victim.client(), ref, raw(chunks[0]), raw(chunks[1])); err != nil {
		t.Fatal(err)
	}
	tc := thief.client()
	// Through the victim's record, or a record that does not exist: the
	// same code, and the same status.
	ghost := syncproto.RecordRef{Kind: domain.KindAppeal, Record: domain.NewID()}
	for _, r := range []syncproto.RecordRef{ref, ghost} {
		resp, err := tc.Have(context.Background(), &syncproto.HaveRequest{Records: []syncproto.HaveRecord{{RecordRef: r, Chunks: []string{att.Chunks[0].SHA256}}}})
		if err != nil || resp.Records[0].Code != syncproto.CodeNotFound || resp.Records[0].Missing != nil || resp.Records[0].NotNamed != nil {
			t.Errorf("have through %s: %+v %v", r.Record, resp, err)
		}
		err = tc.GetChunks(context.Background(), &syncproto.GetRequest{RecordRef: r, Chunks: []string{att.Chunks[0].SHA256}}, func(*syncproto.StreamChunk) error {
			t.Error("a chunk came through another council's record")
			return nil
		})
		if code(err) != syncproto.CodeNotFound {
			t.Errorf("get through %s: %v", r.Record, err)
		}
		if _, err := put(tc, r, raw(chunks[0])); code(err) != syncproto.CodeNotFound {
			t.Errorf("put through %s: %v", r.Record, err)
		}
	}
	// Through a record of its own that names the victim's chunks.
	own := thief.appealWith(att)
	resp, err := tc.Have(context.Background(), &syncproto.HaveRequest{Records: []syncproto.HaveRecord{{RecordRef: own, Chunks: []string{att.Chunks[0].SHA256, att.Chunks[1].SHA256}}}})
	if err != nil || len(resp.Records[0].Missing) != 2 {
		t.Fatalf("have of the victim's chunks through the thief's record: %+v %v", resp, err)
	}
	err = tc.GetChunks(context.Background(), &syncproto.GetRequest{RecordRef: own, Chunks: []string{att.Chunks[0].SHA256}}, func(c *syncproto.StreamChunk) error {
		if c.Enc != syncproto.ChunkAbsent {
			t.Errorf("the victim's chunk was given out (%#x)", c.Enc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Clone(chunks[0])
	forged[100] ^= 1
	if _, err := put(tc, own, syncclient.OutChunk{Sum: sha256.Sum256(chunks[0]), Enc: syncproto.ChunkRaw, Payload: forged}); code(err) != syncproto.CodeFrame {
		t.Errorf("forged content under the victim's hash: %v", err)
	}
	resp, _ = tc.Have(context.Background(), &syncproto.HaveRequest{Records: []syncproto.HaveRecord{{RecordRef: own, Chunks: []string{att.Chunks[0].SHA256}}}})
	if len(resp.Records[0].Missing) != 1 {
		t.Errorf("after the forged put: %+v", resp.Records[0])
	}
	// The victim's laptop still gets its file whole.
	var got []byte
	err = victim.client().GetChunks(context.Background(), &syncproto.GetRequest{RecordRef: ref, Chunks: []string{att.Chunks[0].SHA256, att.Chunks[1].SHA256}},
		func(c *syncproto.StreamChunk) error { got = append(got, c.Plain...); return nil })
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("the victim's file: %v", err)
	}
}

// A chunk stream built by hand.
func stream(parts ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString("KNC1")
	for _, p := range parts {
		b.Write(p)
	}
	return b.Bytes()
}

func header(sum [32]byte, enc syncproto.ChunkEncoding, n uint32) []byte {
	h := append(sum[:], byte(enc))
	return binary.BigEndian.AppendUint32(h, n)
}

// Damaged, oversized and amplifying puts are refused with a code, store
// nothing of the bad chunk, and the server goes on serving: a zstd bomb
// that would decode to far more than a chunk, a chunk declaring 2 GB, a
// stream over the request's limit, a chunk the record names with another
// size, a stream that is not one.
func TestFilesHostilePuts(t *testing.T) {
	tg := start(t, server.Config{})
	l := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	content := noise(2, 60_000)
	att, chunks := file(content, 30_000)
	ref := l.appealWith(att)
	c := l.client()

	enc, _ := zstd.NewWriter(nil)
	bomb := enc.EncodeAll(make([]byte, 64<<20), nil)
	tooBig := append(header(sha256.Sum256(chunks[0]), syncproto.ChunkRaw, 1<<31), make([]byte, 100)...)
	short := chunks[0][:len(chunks[0])-1]
	for name, c2 := range map[string]struct {
		body []byte
		want syncproto.Code
	}{
		"a zstd bomb":          {stream(header(sha256.Sum256(chunks[0]), syncproto.ChunkZstd, uint32(len(bomb))), bomb), syncproto.CodeFrame},
		"a chunk of 2 GB":      {stream(tooBig), syncproto.CodeFrame},
		"not a stream":         {[]byte("<html>hello</html>"), syncproto.CodeFrame},
		"another size":         {stream(header(sha256.Sum256(short), syncproto.ChunkRaw, uint32(len(short))), short), syncproto.CodeForbidden},
		"a status with no use": {stream(header(sha256.Sum256(chunks[0]), syncproto.ChunkAbsent, 0)), syncproto.CodeInvalid},
	} {
		req, _ := http.NewRequest(http.MethodPost, tg.url+syncproto.PathFilesPut+"?kind=appeal&record="+ref.Record, bytes.NewReader(c2.body))
		req.Header.Set("Authorization", "Bearer "+l.token)
		req.Header.Set("Content-Type", syncproto.ChunkContentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || !strings.Contains(string(body), `"code":"`+string(c2.want)+`"`) {
			t.Errorf("%s: %d %s, want %s", name, resp.StatusCode, body, c2.want)
		}
	}
	// Over the request's limit: the chunks before the limit are kept.
	many := make([]syncclient.OutChunk, 0, 20)
	for range 20 {
		many = append(many, raw(chunks[0]))
	}
	big := noise(3, 1<<20)
	bigAtt, bigChunks := file(big, 1<<20)
	bigRef := l.appealWith(bigAtt)
	var flood []syncclient.OutChunk
	for range syncproto.MaxPutBytes/(1<<20) + 2 {
		flood = append(flood, raw(bigChunks[0]))
	}
	if _, err := put(c, bigRef, flood...); code(err) != syncproto.CodeTooLarge && code(err) != syncproto.CodeFrame {
		t.Errorf("a put over the limit: %v", err)
	}
	if _, err := put(c, ref, many...); err != nil {
		t.Errorf("the same chunk twenty times: %v", err)
	}
	// Nothing bad was kept; the honest chunks go in.
	resp, err := c.Have(context.Background(), &syncproto.HaveRequest{Records: []syncproto.HaveRecord{{RecordRef: ref, Chunks: []string{att.Chunks[1].SHA256}}}})
	if err != nil || len(resp.Records[0].Missing) != 1 {
		t.Fatalf("have: %+v %v", resp, err)
	}
	if pr, err := put(c, ref, raw(chunks[1])); err != nil || pr.Stored != 1 {
		t.Fatalf("an honest put after the attacks: %+v %v", pr, err)
	}
}

// A laptop that fills its council's room for files is refused with
// CodeQuota and a sentence saying whose room is full; its records still
// sync, and another council's files still go in.
func TestFilesQuotaExhaustion(t *testing.T) {
	tg := start(t, server.Config{FilesQuota: 200_000})
	hog := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	other := tg.enroll(domain.RoleSecretary, "OSH-ARA")
	att, chunks := file(noise(4, 400_000), 100_000)
	ref := hog.appealWith(att)
	var out []syncclient.OutChunk
	for _, c := range chunks {
		out = append(out, raw(c))
	}
	_, err := put(hog.client(), ref, out...)
	var e *syncproto.Error
	if !errors.As(err, &e) || e.Code != syncproto.CodeQuota || !strings.Contains(e.Message, "NRN-ATB") || !strings.Contains(e.Message, "--files-quota") || !errors.Is(err, syncproto.ErrQuota) {
		t.Fatalf("over the quota: %v", err)
	}
	if r := hog.push(hog.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))); r.status != http.StatusOK || len(r.resp.Refused) > 0 {
		t.Fatalf("records after the quota: %s", r)
	}
	att2, chunks2 := file(noise(5, 150_000), 100_000)
	ref2 := other.appealWith(att2)
	if pr, err := put(other.client(), ref2, raw(chunks2[0]), raw(chunks2[1])); err != nil || pr.Stored != 2 {
		t.Fatalf("another council's files: %+v %v", pr, err)
	}
}

// A file's chunks are sealed on the server's disk: an attachment that
// holds an appellant's name, phone and complaint, sent raw and sent
// compressed, shows none of them in the data directory (the files are
// in DATA/files).
func TestFilesNothingReadableAtRest(t *testing.T) {
	tg := start(t, server.Config{})
	l := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	content := bytes.Repeat(bytes.Join(secrets, []byte(" ")), 2000)
	att, chunks := file(content, 40_000)
	ref := l.appealWith(att)
	var out []syncclient.OutChunk
	for i, c := range chunks {
		if i%2 == 0 {
			out = append(out, raw(c))
			continue
		}
		enc, payload, err := syncproto.EncodeChunk(c, true)
		if err != nil || enc != syncproto.ChunkZstd {
			t.Fatalf("encode: %v %v", enc, err)
		}
		out = append(out, syncclient.OutChunk{Sum: sha256.Sum256(c), Enc: enc, Payload: payload})
	}
	if pr, err := put(l.client(), ref, out...); err != nil || pr.Stored != len(out) {
		t.Fatalf("put: %+v %v", pr, err)
	}
	if found := grep(t, tg.dir); len(found) > 0 {
		t.Errorf("the data directory shows %v", found)
	}
}

// A server whose disk for files is full refuses a put with CodeUnavailable
// (the laptop keeps its files and tries again later) and a sentence saying
// so; nothing of the refused chunk is kept or counted (have still says it
// is missing, and nothing is left in the files directory), and the
// records still sync. Once there is room, the same put goes in whole and
// the council's other laptop gets the chunks back.
func TestFilesDiskFull(t *testing.T) {
	tg := start(t, server.Config{})
	l := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	other := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	att, chunks := file(noise(6, 150_000), 100_000)
	ref := l.appealWith(att)
	// The files' reserve over what the disk has free: a full disk.
	tg.close()
	tg.cfg.FilesMinFree = 1 << 62
	tg.open()
	pr, err := put(l.client(), ref, raw(chunks[0]), raw(chunks[1]))
	var e *syncproto.Error
	if !errors.As(err, &e) || e.Code != syncproto.CodeUnavailable || !strings.Contains(e.Message, "disk") || !e.Temporary() {
		t.Fatalf("a put on a full disk: %+v %v", pr, err)
	}
	if pr != nil && pr.Stored+pr.Held > 0 {
		t.Fatalf("a put on a full disk kept %+v", pr)
	}
	have := func() []string {
		t.Helper()
		resp, err := l.client().Have(context.Background(), &syncproto.HaveRequest{Records: []syncproto.HaveRecord{{RecordRef: ref, Chunks: []string{att.Chunks[0].SHA256, att.Chunks[1].SHA256}}}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Records[0].Missing
	}
	if m := have(); len(m) != 2 {
		t.Fatalf("after a refused put the server holds %d of 2 chunks", 2-len(m))
	}
	if r := l.push(l.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))); r.status != http.StatusOK || len(r.resp.Refused) > 0 {
		t.Fatalf("records while the files' disk is full: %s", r)
	}
	blobs := func() (n int) {
		t.Helper()
		err := filepath.WalkDir(filepath.Join(tg.dir, "files"), func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := blobs(); n != 0 {
		t.Fatalf("%d files left in the files directory by a refused put", n)
	}
	tg.close()
	tg.cfg.FilesMinFree = 1
	tg.open()
	if pr, err := put(l.client(), ref, raw(chunks[0]), raw(chunks[1])); err != nil || pr.Stored != 2 {
		t.Fatalf("the put once there is room: %+v %v", pr, err)
	}
	if m := have(); len(m) != 0 || blobs() != 2 {
		t.Fatalf("after the put %v are missing, %d blobs", m, blobs())
	}
	var got [][]byte
	err = other.client().GetChunks(context.Background(), &syncproto.GetRequest{RecordRef: ref, Chunks: []string{att.Chunks[0].SHA256, att.Chunks[1].SHA256}}, func(c *syncproto.StreamChunk) error {
		got = append(got, bytes.Clone(c.Plain))
		return nil
	})
	if err != nil || len(got) != 2 || !bytes.Equal(got[0], chunks[0]) || !bytes.Equal(got[1], chunks[1]) {
		t.Fatalf("the other laptop's get: %d chunks, %v", len(got), err)
	}
}
