package changeset

import "testing"

// plainText finds any byte that is not plain (below 0x20, '"', '\\') at
// every place of words and tails, among plain bytes of both halves of the
// byte range.
func TestPlainText(t *testing.T) {
	naive := func(b []byte) bool {
		for _, c := range b {
			if c < 0x20 || c == '"' || c == '\\' {
				return false
			}
		}
		return true
	}
	for _, fill := range []byte{'a', 0xd0, 0x20, 0xff, 0x7f, 0x21, 0x5d} {
		for n := 0; n <= 19; n++ {
			for at := 0; at < n; at++ {
				for c := 0; c < 256; c++ {
					b := make([]byte, n)
					for i := range b {
						b[i] = fill
					}
					b[at] = byte(c)
					if got, want := plainText(b), naive(b); got != want {
						t.Fatalf("plainText(%q) = %v, want %v", b, got, want)
					}
				}
			}
		}
	}
}
