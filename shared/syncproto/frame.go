package syncproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Limits. A change set on a 2G link is small; these bound what any one
// request can make the server hold in memory.
const (
	MaxFrameBytes = 4 << 20  // compressed body
	MaxRawBytes   = 16 << 20 // decoded payload
	MaxPushOps    = 2000     // operations in one push
	// A pull page holds at most MaxPullOps operations and MaxPullBytes of
	// them (WireSize). A laptop catching up on a quick link asks for the
	// largest pages. Measured (syncbench, server at its default pace of 2
	// syncs a second per laptop): a central laptop's first pull of 100,000
	// demo appeals (502,490 operations) took 125 s with pages of at most
	// 2,000 operations, 68 s with pages of up to 10,000 (4 MiB).
	MaxPullOps   = 10_000
	MaxPullBytes = 4 << 20
	// MaxOpBytes bounds one operation as a pull page carries it (WireSize,
	// Marshal): the server refuses a larger one at push, and withholds
	// from pulls one it stored before this limit existed, so that every
	// operation fits a page with room for the rest of the reply (at most
	// MaxPushOps refusals) under MaxFrameBytes, however badly it
	// compresses: a page always makes progress. Fifty times the longest
	// text a record field takes (domain.MaxLong, 20,000 characters).
	MaxOpBytes  = 1 << 20
	frameHeader = 16
)

var frameMagic = [4]byte{'K', 'N', 'F', '1'}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrFrame marks a body that is not a valid frame: truncated, damaged,
// too large, or compressed with an unknown dictionary.
var ErrFrame = errors.New("bad frame")

// Codec compresses and decompresses frames with the dictionaries it knows.
// It is safe for concurrent use.
type Codec struct {
	dicts map[uint32][]byte
	encs  *encoders // shared with the codecs FastBelow derives
	dec   *zstd.Decoder
	// fastBelow: payloads shorter than this are compressed at zstd's
	// fastest level (0: none), see FastBelow.
	fastBelow int
}

// NewCodec returns a codec knowing the given dictionaries (id -> content as
// written by zstd --train).
func NewCodec(dicts map[uint32][]byte) (*Codec, error) {
	// DecodeAll takes one of GOMAXPROCS decoders, each made once: no
	// request waits for another's.
	opts := []zstd.DOption{zstd.WithDecoderMaxMemory(MaxRawBytes), zstd.WithDecoderConcurrency(0)}
	for id, d := range dicts {
		if isTrained(d) {
			opts = append(opts, zstd.WithDecoderDicts(d))
		} else {
			opts = append(opts, zstd.WithDecoderDictRaw(id, d))
		}
	}
	dec, err := zstd.NewReader(nil, opts...)
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return &Codec{dicts: dicts, dec: dec, encs: &encoders{pools: map[encoderKey]*encoderPool{}}}, nil
}

// FastBelow returns a codec like c (the same dictionaries, decoder and
// encoders) that compresses payloads shorter than n bytes at zstd's
// fastest level instead of the better one. The better level with a
// dictionary restores 4 MiB of match tables for every frame (the
// dictionary's, which each frame dirties): measured on the replies of
// syncbench's 500 laptops (about 50 KiB each), 589 µs of CPU a reply
// against 140 µs at the fastest level, for 14% more bytes (0.095 of the
// payload against 0.083); under a few hundred KiB that copy is most of the
// work. The server compresses its replies so while it is busy; a laptop's
// requests keep the better level (its CPU is its own, its link slow).
func (c *Codec) FastBelow(n int) *Codec {
	f := *c
	f.fastBelow = n
	return &f
}

// Dicts lists the dictionary ids this codec knows.
func (c *Codec) Dicts() []uint32 {
	out := make([]uint32, 0, len(c.dicts))
	for id := range c.dicts {
		out = append(out, id)
	}
	return out
}

// Has reports whether the codec knows dictionary id (0 is always known).
func (c *Codec) Has(id uint32) bool {
	_, ok := c.dicts[id]
	return ok || id == 0
}

// encoders are a codec's zstd encoders, a pool for each dictionary,
// level and window: one encoder compresses one frame at a time, and replies to
// different laptops are compressed at once, up to one per core.
type encoders struct {
	mu    sync.Mutex
	pools map[encoderKey]*encoderPool
}

type encoderKey struct {
	dict  uint32
	fast  bool
	small bool // window smallWindow
}

// smallWindow is the window of the encoders of payloads that fit in it
// with their dictionary: zstd's default (8 MiB at the better level, 4 at
// the fastest) is kept in each encoder's history buffer once it has
// compressed anything, and nearly every frame is far smaller (a push's
// reply, an ordinary pull page, a laptop's change set). Matches cannot
// reach past the payload and its dictionary, so such a frame is
// compressed to the same bytes either way (TestSmallWindowSameBytes);
// an encoder with dictionary 1 holds 9.9 MB instead of 17.2 at the
// better level, 1.9 instead of 5.0 at the fastest.
const smallWindow = 1 << 20

// encoderPool holds up to cap(free) encoders of one kind, made when first
// needed: a laptop, which compresses one request at a time, makes one
// (an encoder with a dictionary at the better level holds about 9 MiB of
// tables).
type encoderPool struct {
	opts []zstd.EOption
	free chan *zstd.Encoder
	mu   sync.Mutex
	made int
}

// maxEncoders bounds the encoders of one kind: the cores that compress
// at once, at most 4 (their tables' memory).
func maxEncoders() int { return min(max(runtime.GOMAXPROCS(0), 1), 4) }

func (c *Codec) pool(dict uint32, fast, small bool) (*encoderPool, error) {
	k := encoderKey{dict, fast, small}
	c.encs.mu.Lock()
	defer c.encs.mu.Unlock()
	if p, ok := c.encs.pools[k]; ok {
		return p, nil
	}
	level := zstd.SpeedBetterCompression
	if fast {
		level = zstd.SpeedFastest
	}
	// No zstd checksum: the frame's header has the payload's CRC-32C,
	// checked after decoding; 4 bytes less a frame.
	opts := []zstd.EOption{zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true), zstd.WithEncoderCRC(false)}
	if small {
		opts = append(opts, zstd.WithWindowSize(smallWindow))
	}
	if dict != 0 {
		d, ok := c.dicts[dict]
		if !ok {
			return nil, fmt.Errorf("%w: no dictionary %d", ErrFrame, dict)
		}
		if isTrained(d) {
			opts = append(opts, zstd.WithEncoderDict(d))
		} else {
			opts = append(opts, zstd.WithEncoderDictRaw(dict, d))
		}
	}
	p := &encoderPool{opts: opts, free: make(chan *zstd.Encoder, maxEncoders())}
	c.encs.pools[k] = p
	return p, nil
}

// get takes a free encoder, makes one if fewer than the pool's bound
// exist, else waits for one (a frame takes milliseconds at most).
func (p *encoderPool) get() (*zstd.Encoder, error) {
	select {
	case e := <-p.free:
		return e, nil
	default:
	}
	p.mu.Lock()
	if p.made < cap(p.free) {
		p.made++
		p.mu.Unlock()
		e, err := zstd.NewWriter(nil, p.opts...)
		if err != nil {
			p.mu.Lock()
			p.made--
			p.mu.Unlock()
			return nil, err
		}
		return e, nil
	}
	p.mu.Unlock()
	return <-p.free, nil
}

// put returns an encoder; it never blocks (at most cap(free) are made).
func (p *encoderPool) put(e *zstd.Encoder) { p.free <- e }

// Encode wraps raw in a frame compressed with dictionary dict (0: none).
func (c *Codec) Encode(raw []byte, dict uint32) ([]byte, error) {
	return c.AppendEncode(make([]byte, 0, frameHeader+len(raw)/4+64), raw, dict)
}

// AppendEncode appends to dst the frame Encode makes: a server reuses
// the buffers of its replies with it.
func (c *Codec) AppendEncode(dst, raw []byte, dict uint32) ([]byte, error) {
	if len(raw) > MaxRawBytes {
		return nil, fmt.Errorf("%w: payload of %d bytes, at most %d", ErrFrame, len(raw), MaxRawBytes)
	}
	p, err := c.pool(dict, len(raw) < c.fastBelow, len(raw)+len(c.dicts[dict]) <= smallWindow)
	if err != nil {
		return nil, err
	}
	enc, err := p.get()
	if err != nil {
		return nil, err
	}
	defer p.put(enc)
	at := len(dst)
	dst = append(dst, make([]byte, frameHeader)...)
	head := dst[at:]
	copy(head, frameMagic[:])
	binary.BigEndian.PutUint32(head[4:], dict)
	binary.BigEndian.PutUint32(head[8:], uint32(len(raw)))
	binary.BigEndian.PutUint32(head[12:], crc32.Checksum(raw, crcTable))
	return enc.EncodeAll(raw, dst), nil
}

// DecodedLen is the payload length a frame declares, if frame starts like
// one: what decoding it will allocate, known before decoding.
func DecodedLen(frame []byte) (int, bool) {
	if len(frame) < frameHeader || !bytes.Equal(frame[:4], frameMagic[:]) {
		return 0, false
	}
	return int(binary.BigEndian.Uint32(frame[8:])), true
}

// Decode checks and unwraps a frame. The declared length is checked against
// MaxRawBytes before decompressing and the result against it after; the
// checksum last.
func (c *Codec) Decode(frame []byte) ([]byte, error) {
	if len(frame) > MaxFrameBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrFrame, len(frame), MaxFrameBytes)
	}
	if len(frame) < frameHeader || !bytes.Equal(frame[:4], frameMagic[:]) {
		return nil, fmt.Errorf("%w: not a Kenesh frame", ErrFrame)
	}
	dict := binary.BigEndian.Uint32(frame[4:])
	n := binary.BigEndian.Uint32(frame[8:])
	sum := binary.BigEndian.Uint32(frame[12:])
	if n > MaxRawBytes {
		return nil, fmt.Errorf("%w: declares %d bytes, at most %d", ErrFrame, n, MaxRawBytes)
	}
	if !c.Has(dict) {
		return nil, fmt.Errorf("%w: compressed with dictionary %d, which this side does not have", ErrFrame, dict)
	}
	// The decoder finds the dictionary by the id zstd wrote in the data;
	// the header's id only lets the receiver refuse early and clearly.
	raw, err := c.dec.DecodeAll(frame[frameHeader:], make([]byte, 0, n))
	if err != nil {
		return nil, fmt.Errorf("%w: %v (cut off or damaged)", ErrFrame, err)
	}
	if uint32(len(raw)) != n {
		return nil, fmt.Errorf("%w: %d bytes decoded, %d declared (cut off or damaged)", ErrFrame, len(raw), n)
	}
	if crc32.Checksum(raw, crcTable) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch (damaged)", ErrFrame)
	}
	return raw, nil
}

// isTrained tells a dictionary written by zstd --train (it starts with the
// dictionary magic and carries its own id) from raw content used as one.
func isTrained(d []byte) bool {
	return len(d) >= 8 && binary.LittleEndian.Uint32(d) == 0xEC30A437
}

// TrainedID is the id written in a trained dictionary's header (0 if raw).
func TrainedID(d []byte) uint32 {
	if !isTrained(d) {
		return 0
	}
	return binary.LittleEndian.Uint32(d[4:])
}
