package syncproto

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/kenesh/kenesh/shared/domain"
)

// A chunk stream carries chunks of files one after another, each complete
// in itself, so that a reader keeps every chunk that arrived whole when
// the connection drops: a transfer cut at 90% sends only what is missing.
// It is the body of a put (PathFilesPut) and the answer of a get
// (PathFilesGet), with ChunkContentType:
//
//	"KNC1"                                   once, at the start
//	then per chunk:
//	SHA-256 of the content (32 bytes)
//	encoding (1 byte): ChunkRaw, ChunkZstd, or a status with no content
//	  (ChunkAbsent, ChunkNotNamed)
//	length of what follows (4 bytes, big-endian), at most MaxChunkPayload
//	the content, raw or one zstd frame of it
//
// The reader decodes each chunk (at most domain.MaxChunkSize, whatever
// the zstd frame declares) and checks it against its SHA-256 before it
// gives it out: a damaged chunk is refused, never stored.
const ChunkContentType = "application/vnd.kenesh.chunks"

// ChunkEncoding is how a chunk is carried in a stream.
type ChunkEncoding byte

const (
	// ChunkRaw: the content as it is (it does not compress: a JPEG, a
	// video, a ZIP).
	ChunkRaw ChunkEncoding = 0
	// ChunkZstd: one zstd frame of the content, without dictionary.
	ChunkZstd ChunkEncoding = 1
	// ChunkAbsent: the server does not hold this chunk (yet: the laptop
	// that has it has not sent it). No content follows.
	ChunkAbsent ChunkEncoding = 0x80
	// ChunkNotNamed: the record, as the server holds it, does not name
	// this chunk. No content follows.
	ChunkNotNamed ChunkEncoding = 0x81
)

// Status reports whether e says why a chunk is not there (no content).
func (e ChunkEncoding) Status() bool { return e&0x80 != 0 }

func (e ChunkEncoding) valid() bool {
	switch e {
	case ChunkRaw, ChunkZstd, ChunkAbsent, ChunkNotNamed:
		return true
	}
	return false
}

// MaxChunkPayload bounds a chunk as carried: a raw chunk of
// domain.MaxChunkSize (a compressed one is smaller, or it is sent raw).
const MaxChunkPayload = domain.MaxChunkSize

// ChunkHeaderBytes is what a stream adds to each chunk.
const ChunkHeaderBytes = 32 + 1 + 4

var chunkMagic = [4]byte{'K', 'N', 'C', '1'}

// ErrChunk marks a chunk stream that is damaged: a chunk that does not
// match its SHA-256, does not decode, or is over the limits, or a stream
// that is not one. Nothing of that chunk may be kept.
var ErrChunk = errors.New("damaged chunk")

var (
	chunkEncOnce sync.Once
	chunkEnc     *zstd.Encoder
	chunkDec     *zstd.Decoder
	chunkErr     error
)

func chunkCodecs() (*zstd.Encoder, *zstd.Decoder, error) {
	chunkEncOnce.Do(func() {
		// The fastest level: on a 2G link anything compresses faster than
		// it travels, and on a quick one the protocol must not be slower
		// than SHA-256 and the disk.
		chunkEnc, chunkErr = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithLowerEncoderMem(true),
			zstd.WithEncoderConcurrency(2))
		if chunkErr != nil {
			return
		}
		chunkDec, chunkErr = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(domain.MaxChunkSize), zstd.WithDecoderConcurrency(2),
			zstd.WithDecoderMaxWindow(domain.MaxChunkSize))
	})
	return chunkEnc, chunkDec, chunkErr
}

// EncodeChunk is how plain travels: one zstd frame of it when that is at
// least 1/32 smaller (and compress is true), else plain itself, raw.
// compress false skips the attempt for content known not to compress (a
// JPEG, a video, a ZIP).
func EncodeChunk(plain []byte, compress bool) (ChunkEncoding, []byte, error) {
	if !compress || len(plain) < 64 {
		return ChunkRaw, plain, nil
	}
	enc, _, err := chunkCodecs()
	if err != nil {
		return 0, nil, err
	}
	z := enc.EncodeAll(plain, make([]byte, 0, len(plain)/2))
	if len(z) >= len(plain)-len(plain)/32 {
		return ChunkRaw, plain, nil
	}
	return ChunkZstd, z, nil
}

// DecodeChunk decodes a chunk as carried and checks it against sum: the
// content, or an error wrapping ErrChunk. dst, if it has room, is reused.
func DecodeChunk(sum [32]byte, enc ChunkEncoding, payload, dst []byte) ([]byte, error) {
	var plain []byte
	switch enc {
	case ChunkRaw:
		plain = payload
	case ChunkZstd:
		_, dec, err := chunkCodecs()
		if err != nil {
			return nil, err
		}
		if plain, err = dec.DecodeAll(payload, dst[:0]); err != nil {
			return nil, fmt.Errorf("%w: chunk %x does not decode: %v", ErrChunk, sum[:6], err)
		}
	default:
		return nil, fmt.Errorf("%w: chunk %x has no content (encoding %#x)", ErrChunk, sum[:6], byte(enc))
	}
	if len(plain) == 0 || len(plain) > domain.MaxChunkSize {
		return nil, fmt.Errorf("%w: chunk %x is %d bytes, 1 to %d allowed", ErrChunk, sum[:6], len(plain), domain.MaxChunkSize)
	}
	if sha256.Sum256(plain) != sum {
		return nil, fmt.Errorf("%w: chunk %x does not match its SHA-256 (damaged on the way)", ErrChunk, sum[:6])
	}
	return plain, nil
}

// ChunkWriter writes a chunk stream. It is not safe for concurrent use.
type ChunkWriter struct {
	w       io.Writer
	started bool
	n       int64
	hdr     [ChunkHeaderBytes]byte
}

// NewChunkWriter writes a chunk stream to w.
func NewChunkWriter(w io.Writer) *ChunkWriter { return &ChunkWriter{w: w} }

// Bytes is what the stream has written so far.
func (cw *ChunkWriter) Bytes() int64 { return cw.n }

// Start writes the stream's magic, if it was not written yet (an empty
// stream is one too).
func (cw *ChunkWriter) Start() error {
	if cw.started {
		return nil
	}
	cw.started = true
	n, err := cw.w.Write(chunkMagic[:])
	cw.n += int64(n)
	return err
}

// Write writes a chunk as carried (EncodeChunk), or a status with no
// payload.
func (cw *ChunkWriter) Write(sum [32]byte, enc ChunkEncoding, payload []byte) error {
	if err := cw.Start(); err != nil {
		return err
	}
	switch {
	case !enc.valid():
		return fmt.Errorf("chunk %x: encoding %#x is not one of the protocol's", sum[:6], byte(enc))
	case enc.Status() && len(payload) > 0, !enc.Status() && (len(payload) == 0 || len(payload) > MaxChunkPayload):
		return fmt.Errorf("chunk %x: %d bytes with encoding %#x", sum[:6], len(payload), byte(enc))
	}
	copy(cw.hdr[:32], sum[:])
	cw.hdr[32] = byte(enc)
	binary.BigEndian.PutUint32(cw.hdr[33:], uint32(len(payload)))
	n, err := cw.w.Write(cw.hdr[:])
	cw.n += int64(n)
	if err != nil {
		return err
	}
	n, err = cw.w.Write(payload)
	cw.n += int64(n)
	return err
}

// StreamChunk is one chunk read from a stream.
type StreamChunk struct {
	Sum [32]byte
	Enc ChunkEncoding
	// Payload is the chunk as carried (nil for a status); Plain its
	// content, checked against Sum. Both are valid until the next call of
	// Next.
	Payload, Plain []byte
}

// Hex is the chunk's SHA-256 in hex.
func (c *StreamChunk) Hex() string { return hex.EncodeToString(c.Sum[:]) }

// ChunkReader reads a chunk stream, checking every chunk. It is not safe
// for concurrent use.
type ChunkReader struct {
	r       *bufio.Reader
	started bool
	n       int64
	payload []byte
	plain   []byte
}

// NewChunkReader reads a chunk stream from r.
func NewChunkReader(r io.Reader) *ChunkReader {
	return &ChunkReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Bytes is what the reader has consumed so far.
func (cr *ChunkReader) Bytes() int64 { return cr.n }

// Next reads the next chunk, decoded and checked against its SHA-256 (a
// status comes with no content). It returns io.EOF at the end of the
// stream; io.ErrUnexpectedEOF (wrapped) when it was cut off inside a
// chunk, whose part is dropped; an error wrapping ErrChunk for a damaged
// chunk or a stream that is not one, after which nothing more of it may
// be read.
func (cr *ChunkReader) Next() (*StreamChunk, error) {
	if !cr.started {
		var m [4]byte
		n, err := io.ReadFull(cr.r, m[:])
		cr.n += int64(n)
		if err == io.EOF {
			return nil, fmt.Errorf("%w: an empty body, not a chunk stream", ErrChunk)
		}
		if err != nil {
			return nil, fmt.Errorf("chunk stream: %w", unexpected(err))
		}
		if m != chunkMagic {
			return nil, fmt.Errorf("%w: not a chunk stream", ErrChunk)
		}
		cr.started = true
	}
	var hdr [ChunkHeaderBytes]byte
	n, err := io.ReadFull(cr.r, hdr[:])
	cr.n += int64(n)
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("chunk stream: %w", unexpected(err))
	}
	c := &StreamChunk{Enc: ChunkEncoding(hdr[32])}
	copy(c.Sum[:], hdr[:32])
	size := binary.BigEndian.Uint32(hdr[33:])
	switch {
	case !c.Enc.valid():
		return nil, fmt.Errorf("%w: chunk %x has an unknown encoding %#x", ErrChunk, c.Sum[:6], hdr[32])
	case c.Enc.Status() && size != 0:
		return nil, fmt.Errorf("%w: chunk %x: a status with %d bytes", ErrChunk, c.Sum[:6], size)
	case c.Enc.Status():
		return c, nil
	case size == 0 || size > MaxChunkPayload:
		return nil, fmt.Errorf("%w: chunk %x declares %d bytes, 1 to %d allowed", ErrChunk, c.Sum[:6], size, MaxChunkPayload)
	}
	if cap(cr.payload) < int(size) {
		cr.payload = make([]byte, size, max(int(size), 256<<10))
	}
	c.Payload = cr.payload[:size]
	n, err = io.ReadFull(cr.r, c.Payload)
	cr.n += int64(n)
	if err != nil {
		return nil, fmt.Errorf("chunk %x: %w", c.Sum[:6], unexpected(err))
	}
	if cr.plain == nil && c.Enc == ChunkZstd {
		cr.plain = make([]byte, 0, domain.MaxChunkSize)
	}
	if c.Plain, err = DecodeChunk(c.Sum, c.Enc, c.Payload, cr.plain); err != nil {
		return nil, err
	}
	return c, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
