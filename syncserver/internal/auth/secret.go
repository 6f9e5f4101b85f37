package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// CodeAlphabet is the alphabet of enrollment codes: digits and capital
// letters without 0/O, 1/I/L and U, which are misread or misheard when a
// code is dictated over a bad phone line. 30 symbols.
const CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

// CodeLen is the number of symbols of a code: 16 × log2(30) ≈ 78 bits.
const CodeLen = 16

// NewCode returns a random enrollment code, grouped by four: K7QH-3MPX-9DTR-2WFA.
func NewCode() string {
	var b strings.Builder
	// Draw bytes and reject those that would bias the alphabet (≥ 240).
	buf := make([]byte, 64)
	n := 0
	for n < CodeLen {
		rand.Read(buf) // never fails (crypto/rand panics on a broken source)
		for _, c := range buf {
			if n == CodeLen {
				break
			}
			if int(c) >= 256/len(CodeAlphabet)*len(CodeAlphabet) {
				continue
			}
			if n > 0 && n%4 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(CodeAlphabet[int(c)%len(CodeAlphabet)])
			n++
		}
	}
	return b.String()
}

// NormalizeCode removes separators and spaces and upper-cases a code as a
// person typed it.
func NormalizeCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case '-', ' ', '\t', '_', '.':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// HashCode is what the server keeps of a code.
func HashCode(code string) [32]byte {
	return sha256.Sum256([]byte("kenesh-code:" + NormalizeCode(code)))
}

// NewToken returns a device token (32 random bytes, base64url) and its hash.
func NewToken() (string, [32]byte) {
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, HashToken(tok)
}

// HashToken is what the server keeps of a token.
func HashToken(tok string) [32]byte { return sha256.Sum256([]byte(tok)) }
