package files

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

func noise(seed uint64, n int) []byte {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

// cut returns the SHA-256 of every chunk of b and their sizes.
func cut(t testing.TB, b []byte) ([][32]byte, []int) {
	t.Helper()
	sp := newSplitter(bytes.NewReader(b))
	var sums [][32]byte
	var sizes []int
	for {
		c, err := sp.next()
		if errors.Is(err, io.EOF) {
			return sums, sizes
		}
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sha256.Sum256(c))
		sizes = append(sizes, len(c))
	}
}

// The polynomial is one the chunker can use, and chunks are within their
// bounds, about 128 KiB on average.
func TestChunkBounds(t *testing.T) {
	if !Polynomial.Irreducible() {
		t.Fatal("the polynomial is not irreducible")
	}
	b := noise(1, 4<<20)
	_, sizes := cut(t, b)
	total := 0
	for i, n := range sizes {
		if n > MaxChunk || n < MinChunk && i < len(sizes)-1 {
			t.Errorf("chunk %d is %d bytes", i, n)
		}
		total += n
	}
	if total != len(b) {
		t.Fatalf("chunks add up to %d of %d", total, len(b))
	}
	if avg := total / len(sizes); avg < 96<<10 || avg > 192<<10 {
		t.Errorf("chunks of %d bytes on average", avg)
	}
}

// A new version with 1% of it changed keeps all but a few of its chunks:
// a few pages rewritten or inserted in one place make under 5% of the
// file new; the same 1% spread over five places under 10% (each place
// costs about a chunk on either side). The same content is cut the same
// way every time.
func TestChunkEditLocality(t *testing.T) {
	old := noise(2, 20<<20)
	oldSums, _ := cut(t, old)
	again, _ := cut(t, bytes.Clone(old))
	if len(again) != len(oldSums) || again[0] != oldSums[0] || again[len(again)-1] != oldSums[len(oldSums)-1] {
		t.Fatal("the same content was cut another way")
	}
	have := map[[32]byte]bool{}
	for _, s := range oldSums {
		have[s] = true
	}
	n := len(old) / 100
	overwrite := func(b []byte, at, n int, seed uint64) []byte { copy(b[at:], noise(seed, n)); return b }
	insert := func(b []byte, at, n int, seed uint64) []byte {
		return append(b[:at:at], append(noise(seed, n), b[at:]...)...)
	}
	remove := func(b []byte, at, n int, _ uint64) []byte { return append(b[:at:at], b[at+n:]...) }
	spread := bytes.Clone(old)
	for i, at := range []int{len(old) / 10, 3 * len(old) / 10, len(old) / 2, 7 * len(old) / 10, 9 * len(old) / 10} {
		spread = []func([]byte, int, int, uint64) []byte{overwrite, insert, remove}[i%3](spread, at, n/5, uint64(10+i))
	}
	for _, c := range []struct {
		name string
		b    []byte
		most float64
	}{
		{"overwritten in one place", overwrite(bytes.Clone(old), len(old)/3, n, 3), 5},
		{"inserted in one place", insert(bytes.Clone(old), len(old)/3, n, 4), 5},
		{"spread over five places", spread, 10},
	} {
		sums, sizes := cut(t, c.b)
		newBytes := 0
		for i, s := range sums {
			if !have[s] {
				newBytes += sizes[i]
			}
		}
		pct := 100 * float64(newBytes) / float64(len(c.b))
		if pct >= c.most {
			t.Errorf("1%% %s: %.1f%% of the file in new chunks, want under %.0f%%", c.name, pct, c.most)
		}
		t.Logf("1%% %s: %.1f%% of the file in new chunks", c.name, pct)
	}
}
