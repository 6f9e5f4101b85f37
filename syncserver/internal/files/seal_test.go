package files

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/syncproto"
)

// A sealed chunk opens to what came, hides its content, and does not
// open when damaged, moved under another chunk's key or read with
// another key; unsealed, it is checked against its SHA-256.
func TestSeal(t *testing.T) {
	plain := []byte(strings.Repeat("Токтогулов Эрмек, +996 555 123 987. ", 200))
	sum := sha256.Sum256(plain)
	enc, payload, err := syncproto.EncodeChunk(plain, true)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newSealer(bytes.Repeat([]byte{7}, 32))
	other, _ := newSealer(bytes.Repeat([]byte{8}, 32))
	var unsealed *sealer
	for name, sl := range map[string]*sealer{"sealed": s, "unsealed": unsealed} {
		blob := sl.seal(nil, sum, enc, payload)
		if sl != nil && bytes.Contains(blob, []byte("Токтогулов")) {
			t.Errorf("%s: the blob shows the content", name)
		}
		gotEnc, got, err := sl.open(sum, blob)
		if err != nil || gotEnc != enc || !bytes.Equal(got, payload) {
			t.Fatalf("%s: open: %v", name, err)
		}
		bad := bytes.Clone(blob)
		bad[len(bad)/2] ^= 1
		if _, _, err := sl.open(sum, bad); !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: a damaged blob opened: %v", name, err)
		}
		if _, _, err := sl.open(sha256.Sum256([]byte("another")), blob); !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: a blob under another chunk's key opened: %v", name, err)
		}
		if _, _, err := sl.open(sum, blob[:1]); !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: a cut blob opened: %v", name, err)
		}
	}
	if _, _, err := other.open(sum, s.seal(nil, sum, enc, payload)); !errors.Is(err, ErrDamaged) {
		t.Errorf("a blob opened with another key: %v", err)
	}
	if k := blobKey(sum); !strings.HasPrefix(k, "chunks/") || len(k) != len("chunks/00/")+64 {
		t.Errorf("blob key %q", k)
	}
}
