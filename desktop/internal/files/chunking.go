package files

import (
	"io"

	"github.com/restic/chunker"

	"github.com/kenesh/kenesh/shared/domain"
)

// Files are cut into chunks where their content says (content-defined
// chunking, restic's Rabin fingerprints), not every so many bytes: a new
// version of a document with a page changed keeps every other chunk, and
// so sends only the changed ones.
const (
	// Polynomial is the one every laptop cuts with, so that the same
	// content is cut the same way everywhere and stored and sent once.
	// Never change it: every file would be cut anew and sent again.
	Polynomial = chunker.Pol(0x3DA3358B4DC173)
	// MinChunk and MaxChunk bound a chunk; averageBits makes the cut
	// points about 64 KiB apart after the minimum (chunks of about 128
	// KiB): small enough that a 2G transfer cut off repeats little and a
	// small edit sends little, large enough that a 512 MiB material's
	// list of chunks fits one operation (domain.MaxMaterialSize).
	MinChunk    = 64 << 10
	MaxChunk    = domain.MaxChunkSize
	averageBits = 16
)

// splitter cuts a stream into chunks, holding one chunk and the
// chunker's window of input at a time.
type splitter struct {
	c   *chunker.Chunker
	buf []byte
}

func newSplitter(r io.Reader) *splitter {
	c := chunker.NewWithBoundaries(r, Polynomial, MinChunk, MaxChunk)
	c.SetAverageBits(averageBits)
	return &splitter{c: c, buf: make([]byte, MaxChunk)}
}

// next returns the next chunk (valid until the next call), or io.EOF.
func (s *splitter) next() ([]byte, error) {
	ch, err := s.c.Next(s.buf)
	if err != nil {
		return nil, err
	}
	return ch.Data, nil
}
