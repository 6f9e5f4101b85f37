package syncproto

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/domain"
)

// chunkStream writes a stream of the given chunks (content, or nil for a
// status), compressing where it helps.
func chunkStream(t testing.TB, chunks ...[]byte) ([]byte, [][32]byte) {
	t.Helper()
	var b bytes.Buffer
	w := NewChunkWriter(&b)
	var sums [][32]byte
	for i, c := range chunks {
		sum := sha256.Sum256(c)
		var err error
		if c == nil {
			sum = [32]byte{byte(i)}
			err = w.Write(sum, ChunkAbsent, nil)
		} else {
			enc, payload, eerr := EncodeChunk(c, true)
			if eerr != nil {
				t.Fatal(eerr)
			}
			err = w.Write(sum, enc, payload)
		}
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sum)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	if int64(b.Len()) != w.Bytes() {
		t.Fatalf("the writer counts %d bytes, wrote %d", w.Bytes(), b.Len())
	}
	return b.Bytes(), sums
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Text travels compressed, what does not compress travels raw, a status
// carries nothing; each chunk comes back checked against its SHA-256.
func TestChunkStream(t *testing.T) {
	text := []byte(strings.Repeat("Аялдардын укуктарын коргоо боюнча колдонмо. ", 3000))
	random := randomBytes(1, 200_000)
	stream, sums := chunkStream(t, text, random, nil)
	if len(stream) > len(random)+len(text)/4 {
		t.Errorf("stream of %d bytes: the text was not compressed", len(stream))
	}
	r := NewChunkReader(bytes.NewReader(stream))
	want := []struct {
		enc   ChunkEncoding
		plain []byte
	}{{ChunkZstd, text}, {ChunkRaw, random}, {ChunkAbsent, nil}}
	for i, w := range want {
		c, err := r.Next()
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if c.Sum != sums[i] || c.Enc != w.enc || !bytes.Equal(c.Plain, w.plain) {
			t.Fatalf("chunk %d: encoding %#x, %d bytes", i, c.Enc, len(c.Plain))
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last chunk: %v", err)
	}
	if r.Bytes() != int64(len(stream)) {
		t.Errorf("read %d of %d bytes", r.Bytes(), len(stream))
	}
	// Content known not to compress is not tried.
	if enc, _, _ := EncodeChunk(text, false); enc != ChunkRaw {
		t.Error("compressed what the caller said does not compress")
	}
}

// A stream cut anywhere gives every chunk that arrived whole, and then
// says it was cut, never a part of a chunk.
func TestChunkStreamCut(t *testing.T) {
	a, b := randomBytes(2, 3000), []byte(strings.Repeat("ң ө ү ", 2000))
	stream, sums := chunkStream(t, a, b)
	for cut := 0; cut < len(stream); cut++ {
		r := NewChunkReader(bytes.NewReader(stream[:cut]))
		got := 0
		var err error
		for {
			var c *StreamChunk
			if c, err = r.Next(); err != nil {
				break
			}
			if c.Sum != sums[got] {
				t.Fatalf("cut at %d: chunk %d is another", cut, got)
			}
			got++
		}
		whole := 0
		if end := 4 + ChunkHeaderBytes + len(a); cut >= end {
			whole = 1
		}
		switch {
		case got != whole:
			t.Fatalf("cut at %d: %d chunks, want %d", cut, got, whole)
		case cut == 4+ChunkHeaderBytes+len(a) && err != io.EOF:
			t.Fatalf("cut between chunks: %v", err)
		case cut > 4 && cut != 4+ChunkHeaderBytes+len(a) && !errors.Is(err, io.ErrUnexpectedEOF):
			t.Fatalf("cut at %d: %v, want an unexpected end", cut, err)
		}
	}
}

// A damaged chunk is refused: a flipped byte anywhere in it, a stream
// that is not one, sizes over the limits, and a zstd frame that would
// decode beyond the largest chunk.
func TestChunkStreamDamaged(t *testing.T) {
	text := []byte(strings.Repeat("Маалымат. ", 5000))
	stream, _ := chunkStream(t, text)
	for i := 4; i < len(stream); i += 97 {
		bad := bytes.Clone(stream)
		bad[i] ^= 0x10
		_, err := NewChunkReader(bytes.NewReader(bad)).Next()
		if err == nil {
			t.Fatalf("a byte flipped at %d was not seen", i)
		}
		if i >= 4+ChunkHeaderBytes && !errors.Is(err, ErrChunk) {
			t.Fatalf("flip at %d: %v, want ErrChunk", i, err)
		}
	}
	bomb := func() []byte {
		enc, _, _ := chunkCodecs()
		z := enc.EncodeAll(make([]byte, 2*domain.MaxChunkSize), nil)
		var b bytes.Buffer
		w := NewChunkWriter(&b)
		w.Write(sha256.Sum256(make([]byte, 2*domain.MaxChunkSize)), ChunkZstd, z)
		return b.Bytes()
	}()
	oversized := append([]byte("KNC1"), make([]byte, ChunkHeaderBytes)...)
	oversized[4+33] = 0x7f // declares about 2 GB
	status := append([]byte("KNC1"), make([]byte, ChunkHeaderBytes)...)
	status[4+32], status[4+36] = byte(ChunkAbsent), 1
	for name, s := range map[string][]byte{
		"not a stream":            []byte("<html>login</html>"),
		"empty":                   nil,
		"a decompression bomb":    bomb,
		"over the size limit":     oversized,
		"a status with content":   status,
		"an unknown encoding":     append([]byte("KNC1"), append(make([]byte, 32), 7, 0, 0, 0, 1, 'x')...),
		"an empty chunk":          append([]byte("KNC1"), make([]byte, ChunkHeaderBytes)...),
		"content under no status": append([]byte("KNC1"), append(make([]byte, 32), 0, 0, 0, 0, 1, 'x')...),
	} {
		if _, err := NewChunkReader(bytes.NewReader(s)).Next(); !errors.Is(err, ErrChunk) {
			t.Errorf("%s: %v, want ErrChunk", name, err)
		}
	}
	// The writer refuses what no reader takes.
	w := NewChunkWriter(io.Discard)
	if w.Write([32]byte{}, ChunkRaw, nil) == nil || w.Write([32]byte{}, ChunkAbsent, []byte("x")) == nil ||
		w.Write([32]byte{}, 9, []byte("x")) == nil || w.Write([32]byte{}, ChunkRaw, make([]byte, MaxChunkPayload+1)) == nil {
		t.Error("the writer wrote a chunk no reader takes")
	}
}

// A chunk stream as this version writes it: a raw chunk, a compressed one
// and the two statuses; every stream kept in testdata/golden (*.knc)
// still reads.
func TestGoldenChunkStream(t *testing.T) {
	raw := randomBytes(3, 300)
	text := []byte(strings.Repeat("Жергиликтүү өз алдынча башкаруу органдарына кайрылуу. ", 40))
	var b bytes.Buffer
	w := NewChunkWriter(&b)
	for _, c := range [][]byte{raw, text} {
		enc, payload, err := EncodeChunk(c, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(sha256.Sum256(c), enc, payload); err != nil {
			t.Fatal(err)
		}
	}
	w.Write(sha256.Sum256([]byte("absent")), ChunkAbsent, nil)
	w.Write(sha256.Sum256([]byte("not named")), ChunkNotNamed, nil)
	golden(t, "chunks.knc", b.Bytes())
	r := NewChunkReader(bytes.NewReader(b.Bytes()))
	for i, want := range []ChunkEncoding{ChunkRaw, ChunkZstd, ChunkAbsent, ChunkNotNamed} {
		c, err := r.Next()
		if err != nil || c.Enc != want {
			t.Fatalf("chunk %d: %v %+v", i, err, c)
		}
	}
}

func FuzzChunkReader(f *testing.F) {
	stream, _ := chunkStream(f, []byte(strings.Repeat("ab", 500)), randomBytes(4, 100), nil)
	f.Add(stream)
	f.Add([]byte("KNC1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewChunkReader(bytes.NewReader(b))
		for range 1000 {
			c, err := r.Next()
			if err != nil {
				return
			}
			if c.Enc.Status() {
				if c.Plain != nil {
					t.Fatal("a status with content")
				}
				continue
			}
			if sha256.Sum256(c.Plain) != c.Sum || len(c.Plain) > domain.MaxChunkSize {
				t.Fatal("a chunk given out that does not match its hash")
			}
		}
	})
}

// A have or get request from a laptop decodes into its message or is
// refused with ErrFrame or ErrLimit, whatever it holds.
func FuzzFilesRequest(f *testing.F) {
	for _, name := range []string{"have-request.json", "get-request.json"} {
		b, err := Marshal(goldenMessages()[name])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"records":[{"kind":"appeal","record":"x","chunks":null}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var have HaveRequest
		if err := DecodeFilesRequest(b, &have); err != nil && !errors.Is(err, ErrFrame) && !errors.Is(err, ErrLimit) {
			t.Fatalf("have: %v", err)
		}
		_ = have.CountHaveChunks()
		var get GetRequest
		if err := DecodeFilesRequest(b, &get); err != nil && !errors.Is(err, ErrFrame) && !errors.Is(err, ErrLimit) {
			t.Fatalf("get: %v", err)
		}
	})
}
