package files

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/kenesh/kenesh/shared/syncproto"
)

// A chunk is kept as it came (its encoding byte and its payload, raw or
// zstd), so that a get sends it without compressing it again, sealed with
// AES-256-GCM under a key derived from the server's data key, its
// SHA-256 as the additional data: a blob on disk or in an object store
// says nothing of the file (appeals' attachments are personal data), and
// a blob damaged, or moved under another chunk's key, does not open.
//
//	version (1 byte, sealVersion) | nonce (12 bytes) | GCM(encoding | payload)
//
// Without a key (tests of this package only) the blob is the encoding and
// the payload, and every read is checked against the SHA-256 instead.
const sealVersion = 1

// ErrDamaged marks a blob that does not open or does not match its
// chunk: the server's copy is damaged.
var ErrDamaged = errors.New("the server's copy of a chunk is damaged")

type sealer struct{ aead cipher.AEAD }

func newSealer(dataKey []byte) (*sealer, error) {
	if len(dataKey) == 0 {
		return nil, nil
	}
	k := sha256.Sum256(append([]byte("kenesh-files-v1:"), dataKey...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal makes the blob of a chunk as it came, appended to dst.
func (s *sealer) seal(dst []byte, sum [32]byte, enc syncproto.ChunkEncoding, payload []byte) []byte {
	if s == nil {
		dst = append(dst, byte(enc))
		return append(dst, payload...)
	}
	dst = append(dst, sealVersion)
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	dst = append(dst, nonce...)
	plain := make([]byte, 0, 1+len(payload))
	plain = append(append(plain, byte(enc)), payload...)
	return s.aead.Seal(dst, nonce, plain, sum[:])
}

// open reads a blob back: the chunk's encoding and payload, checked.
func (s *sealer) open(sum [32]byte, blob []byte) (syncproto.ChunkEncoding, []byte, error) {
	if s == nil {
		if len(blob) < 2 {
			return 0, nil, fmt.Errorf("%w: chunk %x: %d bytes", ErrDamaged, sum[:6], len(blob))
		}
		enc, payload := syncproto.ChunkEncoding(blob[0]), blob[1:]
		if _, err := syncproto.DecodeChunk(sum, enc, payload, nil); err != nil {
			return 0, nil, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		return enc, payload, nil
	}
	ns := s.aead.NonceSize()
	if len(blob) < 1+ns+s.aead.Overhead()+2 || blob[0] != sealVersion {
		return 0, nil, fmt.Errorf("%w: chunk %x is not a sealed blob", ErrDamaged, sum[:6])
	}
	plain, err := s.aead.Open(blob[1+ns:1+ns], blob[1:1+ns], blob[1+ns:], sum[:])
	if err != nil {
		return 0, nil, fmt.Errorf("%w: chunk %x does not open: %v", ErrDamaged, sum[:6], err)
	}
	enc := syncproto.ChunkEncoding(plain[0])
	if enc != syncproto.ChunkRaw && enc != syncproto.ChunkZstd {
		return 0, nil, fmt.Errorf("%w: chunk %x has encoding %#x", ErrDamaged, sum[:6], plain[0])
	}
	return enc, plain[1:], nil
}

// blobKey is where a chunk's blob is: spread over 256 directories.
func blobKey(sum [32]byte) string {
	return fmt.Sprintf("chunks/%02x/%x", sum[0], sum[:])
}
