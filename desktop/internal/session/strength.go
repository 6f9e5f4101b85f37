package session

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
)

// Strength grades a new passphrase for the hint under the field.
type Strength int

const (
	TooShort Strength = iota // refused: under keyfile.MinPassphraseLen
	Weak                     // a guess list or a laptop finds it
	Fair                     // fine against a casual thief
	Strong                   // several words, or long and varied
)

// common passphrases and their parts that people in Kyrgyzstan reach for
// first; a passphrase made mostly of one of them is weak whatever its length.
var common = []string{
	"password", "passw0rd", "qwerty", "йцукен", "123456", "111111", "000000", "abc123", "iloveyou",
	"kenesh", "кеңеш", "кенеш", "bishkek", "бишкек", "kyrgyzstan", "кыргызстан", "admin", "пароль", "parol",
}

// Estimate grades passphrase by an entropy estimate: the size of the
// alphabets it draws on times its length, discounted for repeats,
// sequences and common words. It is a hint for a person, not a guarantee.
func Estimate(passphrase string) Strength {
	n := utf8.RuneCountInString(passphrase)
	if n < keyfile.MinPassphraseLen { // letters, not bytes: a Cyrillic letter is two
		return TooShort
	}
	lower := strings.ToLower(passphrase)
	for _, c := range common {
		if strings.Contains(lower, c) && utf8.RuneCountInString(c)*2 >= n {
			return Weak
		}
	}
	var lowerL, upperL, digit, space, other, cyr bool
	distinct := map[rune]bool{}
	runs := 0
	var prev rune
	for i, r := range passphrase {
		distinct[unicode.ToLower(r)] = true
		switch {
		case unicode.Is(unicode.Cyrillic, r):
			cyr = true
		case unicode.IsLower(r):
			lowerL = true
		case unicode.IsUpper(r):
			upperL = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsSpace(r):
			space = true
		default:
			other = true
		}
		// repeats ("aaaa") and sequences ("1234", "abcd") add little
		if i > 0 && (r == prev || r == prev+1 || r == prev-1) {
			runs++
		}
		prev = r
	}
	pool := 0
	for _, p := range []struct {
		has  bool
		size int
	}{{lowerL, 26}, {upperL, 26}, {digit, 10}, {space, 1}, {other, 33}, {cyr, 72}} {
		if p.has {
			pool += p.size
		}
	}
	effective := float64(n-runs) * math.Min(1, float64(len(distinct))/float64(n)*1.5)
	bits := effective * math.Log2(float64(max(pool, 2)))
	words := len(strings.Fields(passphrase))
	switch {
	case bits >= 70 || (words >= 4 && n >= 20):
		return Strong
	case bits >= 45:
		return Fair
	}
	return Weak
}
