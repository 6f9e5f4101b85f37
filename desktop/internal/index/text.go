package index

import (
	"encoding/binary"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// textIndex maps folded words to the slots whose search text has them: a
// search for a word prefix unions the lists of the words with that prefix,
// instead of reading the text of every row (about 40 MB for 100,000
// appeals, most of it descriptions).
type textIndex struct {
	ids   map[string]uint32 // word -> word id
	words []string          // word id -> word
	post  [][]uint32        // word id -> slots, unordered
	// slotWords remembers each slot's words, to take the slot out of
	// their lists when its text changes: sorted word ids, each stored as
	// its difference from the one before in a varint (about half the
	// bytes of a []uint32 for 100,000 rows of 30 words).
	slotWords [][]byte
	// saved marks slots whose words came from a save (Put), which text
	// read from storage at start must not overwrite.
	saved []bool
	// byWord is the word ids in word order, for prefix ranges; rebuilt on
	// the first search after new words arrived.
	byWord []uint32
	stale  bool
	// digits are the ids of long runs of digits (phone and ID numbers),
	// which a search for digits finds anywhere inside, not only at the
	// start: "123456" finds 0555123456.
	digits []uint32
	// scratch and prevBuf are set's buffers, reused from one row to the next.
	scratch, prevBuf []uint32
}

// set replaces the words of slot s with those of its Fold()ed text;
// saved says they come from a save, not from storage at start (which then
// leaves them alone).
func (t *textIndex) set(s uint32, folded string, saved bool) {
	if t.ids == nil {
		t.ids = map[string]uint32{}
	}
	for int(s) >= len(t.slotWords) {
		t.slotWords = append(t.slotWords, nil)
		t.saved = append(t.saved, false)
	}
	if !saved && t.saved[s] {
		return
	}
	t.saved[s] = t.saved[s] || saved
	// Words are looked up as they are cut from the text, without a slice of
	// strings in between: at start this runs for 100,000 texts.
	next := t.scratch[:0]
	eachWord(folded, func(w string) {
		id, ok := t.ids[w]
		if !ok {
			id = uint32(len(t.words))
			w = strings.Clone(w)
			t.ids[w] = id
			t.words = append(t.words, w)
			t.post = append(t.post, nil)
			t.stale = true
			if len(w) >= minDigitRun && allDigits(w) {
				t.digits = append(t.digits, id)
			}
		}
		next = append(next, id)
	})
	slices.Sort(next)
	next = slices.Compact(next)
	t.scratch = next
	prev := decodeIDs(t.prevBuf[:0], t.slotWords[s])
	t.prevBuf = prev
	// Both lists are sorted: walk them together, touching only the words
	// that came or went (an edit of the status leaves the text alone).
	i, j := 0, 0
	for i < len(prev) || j < len(next) {
		switch {
		case j == len(next) || (i < len(prev) && prev[i] < next[j]):
			t.remove(prev[i], s)
			i++
		case i == len(prev) || next[j] < prev[i]:
			t.post[next[j]] = append(t.post[next[j]], s)
			j++
		default:
			i++
			j++
		}
	}
	if !slices.Equal(prev, next) {
		t.slotWords[s] = encodeIDs(next)
	}
}

// encodeIDs writes sorted ids as varint differences.
func encodeIDs(ids []uint32) []byte {
	if len(ids) == 0 {
		return nil
	}
	b := make([]byte, 0, len(ids)*2)
	last := uint32(0)
	for _, id := range ids {
		b = binary.AppendUvarint(b, uint64(id-last))
		last = id
	}
	return slices.Clip(b)
}

// decodeIDs appends the ids encodeIDs wrote to dst.
func decodeIDs(dst []uint32, b []byte) []uint32 {
	last := uint32(0)
	for len(b) > 0 {
		d, n := binary.Uvarint(b)
		if n <= 0 {
			break // written by encodeIDs: cannot happen
		}
		last += uint32(d)
		dst = append(dst, last)
		b = b[n:]
	}
	return dst
}

// trim gives back what the word lists grew by while loading: appending
// doubles a list's capacity, which for 3 million entries is megabytes.
func (t *textIndex) trim() {
	for i, p := range t.post {
		if cap(p) > len(p) {
			t.post[i] = slices.Clone(p)
		}
	}
}

func (t *textIndex) remove(id, s uint32) {
	p := t.post[id]
	if k := slices.Index(p, s); k >= 0 {
		p[k] = p[len(p)-1]
		t.post[id] = p[:len(p)-1]
	}
}

// match returns the slots that have, for every query word, a word starting
// with it.
func (t *textIndex) match(query []string, slots int) bitmap {
	if t.stale {
		t.byWord = make([]uint32, len(t.words))
		for i := range t.byWord {
			t.byWord[i] = uint32(i)
		}
		sort.Slice(t.byWord, func(a, b int) bool { return t.words[t.byWord[a]] < t.words[t.byWord[b]] })
		t.stale = false
	}
	var all bitmap
	for _, q := range query {
		one := newBitmap(slots)
		from := sort.Search(len(t.byWord), func(i int) bool { return t.words[t.byWord[i]] >= q })
		for _, id := range t.byWord[from:] {
			if !strings.HasPrefix(t.words[id], q) {
				break
			}
			one.addAll(t.post[id])
		}
		if len(q) >= minDigitSuffix && allDigits(q) {
			for _, id := range t.digits {
				if w := t.words[id]; !strings.HasPrefix(w, q) && strings.Contains(w, q) {
					one.addAll(t.post[id])
				}
			}
		}
		if all == nil {
			all = one
		} else {
			all.and(one)
		}
	}
	return all
}

// Words splits text into the distinct folded words a search matches:
// letters and digits, split at everything else.
func Words(text string) []string {
	out := []string{}
	eachWord(Fold(text), func(w string) { out = append(out, w) })
	slices.Sort(out)
	return slices.Compact(out)
}

// SearchText is what a record's search text is stored as: its distinct
// folded words, space separated. Searches match words, so the words are
// all that is kept: a description's repeated words and punctuation are
// not read again at every start.
//
// The set of words seen and the buffers are kept for the next call: a
// new laptop's first pull builds 100,000 search texts, and growing a new
// map for each was a third of SearchText, folding each part into a string
// of its own a fifth.
func SearchText(parts ...string) string {
	sc := searchScratches.Get().(*searchScratch)
	// Every part folded into one string, a space between two: the words
	// are Fold's of each part, and kept in seen without a string each.
	buf := sc.folded[:0]
	for _, p := range parts {
		buf = appendFold(buf, p)
		buf = append(buf, ' ')
	}
	sc.folded = buf
	out := sc.out[:0]
	eachBaseWord(string(buf), func(w string) {
		if _, ok := sc.seen[w]; !ok {
			sc.seen[w] = struct{}{}
			if len(out) > 0 {
				out = append(out, ' ')
			}
			out = append(out, w...)
		}
	})
	sc.out = out
	text := string(out)
	// clear costs what the map has grown to: an odd record of thousands
	// of words does not leave every later call clearing its table.
	if len(sc.seen) <= maxSeenWords {
		clear(sc.seen)
		searchScratches.Put(sc)
	}
	return text
}

// searchScratch is what SearchText keeps for its next call: the set of
// words seen (empty) and the buffers of the folded text and of the words.
type searchScratch struct {
	seen        map[string]struct{}
	folded, out []byte
}

var searchScratches = sync.Pool{New: func() any { return &searchScratch{seen: make(map[string]struct{}, 64)} }}

// maxSeenWords is the most words a set SearchText keeps for the next call
// may have held.
const maxSeenWords = 512

// eachWord calls fn with every word of Fold()ed text; a word may come more
// than once.
func eachWord(text string, fn func(string)) { eachBaseWord(text, fn) }

// eachBaseWord calls fn with every word of Fold()ed text.
func eachBaseWord(text string, fn func(string)) {
	start := -1
	for i := 0; i < len(text); {
		c := text[i]
		var word bool
		size := 1
		switch {
		case c < utf8.RuneSelf:
			word = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z'
		default:
			var r rune
			r, size = utf8.DecodeRuneInString(text[i:])
			// Cyrillic is all letters but for a few signs; the rest of
			// Unicode asks the tables.
			word = r >= 0x400 && r <= 0x4ff || unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			fn(text[start:i])
			start = -1
		}
		i += size
	}
	if start >= 0 {
		fn(text[start:])
	}
}

// Digit runs this long are phone or ID numbers; their endings from this
// length on are words too.
const (
	minDigitRun    = 6
	minDigitSuffix = 3
)

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// bitmap is a set of slots.
type bitmap []uint64

func newBitmap(n int) bitmap  { return make(bitmap, (n+63)/64) }
func (b bitmap) add(s uint32) { b[s/64] |= 1 << (s % 64) }

func (b bitmap) addAll(slots []uint32) {
	for _, s := range slots {
		b.add(s)
	}
}
func (b bitmap) has(s uint32) bool {
	return int(s/64) < len(b) && b[s/64]&(1<<(s%64)) != 0
}

func (b bitmap) and(o bitmap) {
	for i := range b {
		b[i] &= o[i]
	}
}
