package spoken

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// TestRecordings: ten Kyrgyz digits, each a word's length, loud enough and
// not one of the others.
func TestRecordings(t *testing.T) {
	for d, r := range recordings {
		secs := float64(len(r)) / Rate
		if secs < 0.25 || secs > 1.2 {
			t.Errorf("%d lasts %.2f s: not one spoken word", d, secs)
		}
		if p := peak(r); p < 0.5 {
			t.Errorf("%d peaks at %.2f: too quiet", d, p)
		}
		for e := range d {
			if bytes.Equal(pcmBytes(r), pcmBytes(recordings[e])) {
				t.Errorf("%d and %d are the same recording", d, e)
			}
		}
	}
}

// TestWAV: a WAV file browsers play (8 kHz, 8-bit, mono), as long as the
// digits need, the same for the same seed and another for another.
func TestWAV(t *testing.T) {
	digits := []byte{4, 0, 9, 7, 1}
	seed := Seed("token", digits)
	w, err := WAV(seed, digits)
	if err != nil {
		t.Fatal(err)
	}
	pcm := parseWAV(t, w)
	if secs := float64(len(pcm)) / Rate; secs < 5 || secs > 16 {
		t.Errorf("%d digits last %.1f s", len(digits), secs)
	}
	if again, _ := WAV(seed, digits); !bytes.Equal(again, w) {
		t.Error("the same challenge sounds different when fetched again (fresh noise to average away)")
	}
	if other, _ := WAV(Seed("another token", digits), digits); bytes.Equal(other, w) {
		t.Error("two challenges sound the same")
	}
	if Seed("token", digits) != seed || Seed("token", []byte{4, 0, 9, 7, 2}) == seed {
		t.Error("the seed is not the challenge's id and digits")
	}
	if _, err := WAV(seed, []byte{1, 10}); err == nil {
		t.Error("10 taken for a digit")
	}
}

// TestDigitsStandOut: each digit is louder than the babble around it, and
// nothing else speaks where the digits are not (the noise alone).
func TestDigitsStandOut(t *testing.T) {
	for _, digits := range [][]byte{{0, 1, 2, 3, 4, 5}, {6, 7, 8, 9, 6, 7}, {3, 3, 3, 3, 3, 3}, {0, 0, 0, 4, 4, 4}} {
		for s := range 8 {
			seed := [32]byte{byte(s), digits[0]} // fixed: the same sounds every run
			pcm, spans, err := render(seed, digits, true)
			if err != nil {
				t.Fatal(err)
			}
			quiet, _, _ := render(seed, digits, false)
			if len(quiet) != len(pcm) {
				t.Fatalf("the background moved the digits: %d samples against %d", len(quiet), len(pcm))
			}
			if len(spans) != len(digits) {
				t.Fatalf("%d digits placed of %d", len(spans), len(digits))
			}
			for i, sp := range spans {
				if i > 0 && sp.from <= spans[i-1].to {
					t.Fatalf("digit %d overlaps the one before it", i)
				}
				speech := rms(quiet[sp.from:sp.to])
				babble := rms(sub(pcm[sp.from:sp.to], quiet[sp.from:sp.to]))
				if speech < 2*babble {
					t.Errorf("%v seed %d: digit %d (%d) at %.2f over a background of %.2f", digits, s, i, digits[i], speech, babble)
				}
			}
			// Between two digits, without the background: silence.
			for i := 1; i < len(spans); i++ {
				if r := rms(quiet[spans[i-1].to:spans[i].from]); r > 0.001 {
					t.Errorf("sound between digits %d and %d without the background: %.3f", i-1, i, r)
				}
			}
		}
	}
}

func parseWAV(t *testing.T, w []byte) []byte {
	t.Helper()
	if len(w) < 44 || string(w[:4]) != "RIFF" || string(w[8:16]) != "WAVEfmt " || string(w[36:40]) != "data" {
		t.Fatalf("not a WAV file: % x", w[:min(len(w), 44)])
	}
	le := binary.LittleEndian
	if got := int(le.Uint32(w[4:])); got != len(w)-8 {
		t.Errorf("RIFF size %d, file %d", got, len(w))
	}
	if le.Uint32(w[16:]) != 16 || le.Uint16(w[20:]) != 1 || le.Uint16(w[22:]) != 1 || le.Uint32(w[24:]) != Rate || le.Uint32(w[28:]) != Rate || le.Uint16(w[32:]) != 1 || le.Uint16(w[34:]) != 8 {
		t.Errorf("format % x, want PCM, mono, 8 kHz, 8-bit", w[16:36])
	}
	n := int(le.Uint32(w[40:]))
	if n != len(w)-44 && n != len(w)-45 {
		t.Fatalf("data size %d in a file of %d", n, len(w))
	}
	return w[44 : 44+n]
}

func peak(s []float64) (p float64) {
	for _, v := range s {
		p = max(p, math.Abs(v))
	}
	return p
}

func rms(s []float64) float64 {
	var sum float64
	for _, v := range s {
		sum += v * v
	}
	return math.Sqrt(sum / float64(max(1, len(s))))
}

func sub(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

func pcmBytes(s []float64) []byte {
	b := make([]byte, len(s))
	for i, v := range s {
		b[i] = byte(int(v*127) + 128)
	}
	return b
}

// BenchmarkWAV: one challenge of six digits spoken (what a visitor's
// request for the recording costs the server).
func BenchmarkWAV(b *testing.B) {
	digits := []byte{4, 0, 9, 7, 1, 8}
	for i := 0; b.Loop(); i++ {
		if _, err := WAV(Seed(string(rune(i)), digits), digits); err != nil {
			b.Fatal(err)
		}
	}
}
