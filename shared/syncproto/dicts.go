package syncproto

import (
	"fmt"
	"io/fs"
	"path"
	"sync"

	"github.com/kenesh/kenesh/assets"
)

var (
	defaultCodec     *Codec
	defaultCodecErr  error
	defaultCodecOnce sync.Once
)

// DefaultCodec knows the zstd dictionaries shipped in assets/zstd: what
// both the laptop and the server speak.
func DefaultCodec() (*Codec, error) {
	defaultCodecOnce.Do(func() {
		dicts, err := Dictionaries()
		if err != nil {
			defaultCodecErr = err
			return
		}
		defaultCodec, defaultCodecErr = NewCodec(dicts)
	})
	return defaultCodec, defaultCodecErr
}

// Dictionaries reads assets/zstd/*.dict, keyed by the id in each header.
func Dictionaries() (map[uint32][]byte, error) {
	out := map[uint32][]byte{}
	names, err := fs.Glob(assets.FS, "zstd/*.dict")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b, err := fs.ReadFile(assets.FS, n)
		if err != nil {
			return nil, err
		}
		id := TrainedID(b)
		if id == 0 {
			return nil, fmt.Errorf("dictionary %s has no id (train it with zstd --train --dictID=N)", path.Base(n))
		}
		out[id] = b
	}
	return out, nil
}
