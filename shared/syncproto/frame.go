package syncproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
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
	encs  sync.Map // dict id -> *zstd.Encoder
	dec   *zstd.Decoder
}

// NewCodec returns a codec knowing the given dictionaries (id -> content as
// written by zstd --train).
func NewCodec(dicts map[uint32][]byte) (*Codec, error) {
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
	return &Codec{dicts: dicts, dec: dec}, nil
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

func (c *Codec) encoder(dict uint32) (*zstd.Encoder, error) {
	if e, ok := c.encs.Load(dict); ok {
		return e.(*zstd.Encoder), nil
	}
	opts := []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedBetterCompression), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true)}
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
	e, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		return nil, err
	}
	actual, _ := c.encs.LoadOrStore(dict, e)
	return actual.(*zstd.Encoder), nil
}

// Encode wraps raw in a frame compressed with dictionary dict (0: none).
func (c *Codec) Encode(raw []byte, dict uint32) ([]byte, error) {
	if len(raw) > MaxRawBytes {
		return nil, fmt.Errorf("%w: payload of %d bytes, at most %d", ErrFrame, len(raw), MaxRawBytes)
	}
	enc, err := c.encoder(dict)
	if err != nil {
		return nil, err
	}
	out := make([]byte, frameHeader, frameHeader+len(raw)/4+64)
	copy(out, frameMagic[:])
	binary.BigEndian.PutUint32(out[4:], dict)
	binary.BigEndian.PutUint32(out[8:], uint32(len(raw)))
	binary.BigEndian.PutUint32(out[12:], crc32.Checksum(raw, crcTable))
	return enc.EncodeAll(raw, out), nil
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
