// Package spoken speaks the public form's challenge in Kyrgyz: its digits
// over a noisy background, as a WAV file, for those who cannot read the
// picture. dchest/captcha, which draws the picture and speaks the digits
// in Russian and English, has no Kyrgyz recordings (and keeps its mixing
// private), so Kyrgyz pages used to get Russian digits.
//
// The recordings (ky/*.pcm) are espeak-ng's Kyrgyz voice, made once by
// internal/gensounds (`go generate`, with espeak-ng installed) and
// committed: the build needs no speech synthesiser. The challenge's
// format is dchest/captcha's (8 kHz, unsigned 8-bit, mono), and so is its
// shape: beeps to say it starts, the digits at random intervals, speeds
// and levels, over white noise and a babble of reversed digits, so that a
// program cannot cut the digits out by silence or match recordings
// sample for sample. The same seed gives the same sound: a challenge
// fetched again must not give fresh noise to average away.
package spoken

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"fmt"
	"math"
	mrand "math/rand/v2"
)

//go:generate go run ./internal/gensounds -out ky

//go:embed ky/*.pcm
var recordingsFS embed.FS

// Rate is the challenge's sample rate, Hz.
const Rate = 8000

// recordings are the digits 0-9 spoken in Kyrgyz, in [-1, 1].
var recordings = func() (r [10][]float64) {
	for d := range r {
		b, err := recordingsFS.ReadFile(fmt.Sprintf("ky/%d.pcm", d))
		if err != nil {
			panic(fmt.Sprintf("spoken: the recording of %d is missing: %v", d, err))
		}
		r[d] = make([]float64, len(b))
		for i, v := range b {
			r[d][i] = (float64(v) - 128) / 127
		}
	}
	return r
}()

// backwards are the recordings played backwards: the babble.
var backwards = func() (b [10][]float64) {
	for d, r := range recordings {
		b[d] = make([]float64, len(r))
		for i, v := range r {
			b[d][len(r)-1-i] = v
		}
	}
	return b
}()

// loudness is each recording's RMS: the digits and the babble are set
// to levels of their own whichever word they are (a short "нөл" is half
// as loud as "үч" at the same peak).
var loudness = func() (l [10]float64) {
	for d, r := range recordings {
		var sum float64
		for _, v := range r {
			sum += v * v
		}
		l[d] = math.Sqrt(sum / float64(len(r)))
	}
	return l
}()

// key makes the seeds of this process (Seed): a challenge's sound cannot
// be foretold from its token.
var key = func() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}()

// Seed is the seed of the sound of a challenge: its id and its digits,
// keyed by a secret of this process.
func Seed(id string, digits []byte) [32]byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write(digits)
	var s [32]byte
	h.Sum(s[:0])
	return s
}

// span is where a digit is spoken, in samples.
type span struct{ from, to int }

// WAV speaks digits (each 0-9) as a WAV file, its noise and timing drawn
// from seed.
func WAV(seed [32]byte, digits []byte) ([]byte, error) {
	pcm, _, err := render(seed, digits, true)
	if err != nil {
		return nil, err
	}
	return encode(pcm), nil
}

// render returns the challenge's samples and where each digit is; the
// background only if noise.
func render(seed [32]byte, digits []byte, noise bool) ([]float64, []span, error) {
	for _, d := range digits {
		if d > 9 {
			return nil, nil, fmt.Errorf("spoken: %d is not a digit", d)
		}
	}
	rng := mrand.New(mrand.NewChaCha8(seed))
	between := func(lo, hi float64) float64 { return lo + rng.Float64()*(hi-lo) }

	// Two beeps to start, then the digits, each at its own speed and
	// level, at random intervals, then a higher beep.
	beep, gap := int(0.12*Rate), Rate/5
	lead := 2 * (beep + gap)
	at := lead
	spans := make([]span, len(digits))
	speeds := make([]float64, len(digits))
	for i, d := range digits {
		at += int(between(0.6, 1.4) * Rate)
		speeds[i] = between(0.9, 1.15)
		spans[i] = span{at, at + stretched(len(recordings[d]), speeds[i])}
		at = spans[i].to
	}
	end := at + int(between(0.6, 1.2)*Rate)
	out := make([]float64, end+int(0.2*Rate))
	tone(out[:beep], 880)
	tone(out[beep+gap:][:beep], 880)
	tone(out[end:], 1320)
	if noise {
		body := out[lead:end]
		for i := range body {
			body[i] = between(-0.02, 0.02)
		}
		// A babble of digits spoken backwards, a fifth as loud as the
		// digits or less.
		for n := len(body) / (Rate / 3); n > 0; n-- {
			d := rng.IntN(10)
			speed := between(0.8, 1.4)
			if l := stretched(len(backwards[d]), speed); l < len(body) {
				mix(body[rng.IntN(len(body)-l):], backwards[d], speed, between(0.012, 0.03)/loudness[d])
			}
		}
	}
	for i, d := range digits {
		mix(out[spans[i].from:], recordings[d], speeds[i], between(0.15, 0.19)/loudness[d])
	}
	return out, spans, nil
}

// tone fills t with a sine of freq Hz, faded in and out.
func tone(t []float64, freq float64) {
	n := len(t)
	for i := range t {
		fade := min(1, float64(i)/(Rate/100), float64(n-i)/(Rate/100))
		t[i] = 0.5 * fade * math.Sin(2*math.Pi*freq*float64(i)/Rate)
	}
}

// stretched is how long n samples last played at speed.
func stretched(n int, speed float64) int { return int(float64(n) / speed) }

// mix adds src, played at speed (1.1: 10% faster and higher, by linear
// interpolation) and scaled by gain, to the start of dst.
func mix(dst, src []float64, speed, gain float64) {
	for i := range stretched(len(src), speed) {
		p := float64(i) * speed
		j := int(p)
		v := src[len(src)-1]
		if j+1 < len(src) {
			f := p - float64(j)
			v = src[j]*(1-f) + src[j+1]*f
		}
		dst[i] += gain * v
	}
}

// encode writes pcm as a WAV file: 8 kHz, unsigned 8-bit, mono, what
// every browser plays; loud sums are rounded off (softClip), not clipped.
func encode(pcm []float64) []byte {
	n := uint32(len(pcm))
	pad := n % 2
	b := bytes.NewBuffer(make([]byte, 0, 44+n+pad))
	b.WriteString("RIFF")
	binary.Write(b, binary.LittleEndian, 36+n+pad)
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(Rate), uint32(Rate), uint16(1), uint16(8)} {
		binary.Write(b, binary.LittleEndian, v) // size, PCM, mono, rate, bytes a second, bytes a sample, bits
	}
	b.WriteString("data")
	binary.Write(b, binary.LittleEndian, n)
	for _, v := range pcm {
		b.WriteByte(byte(math.Round(128 + 127*softClip(v))))
	}
	if pad == 1 {
		b.WriteByte(128)
	}
	return b.Bytes()
}

// softClip leaves v as it is up to 0.7 and bends louder sums into (0.7, 1)
// (a digit over the babble can pass 1), not to cut their peaks flat.
func softClip(v float64) float64 {
	a := math.Abs(v)
	if a <= 0.7 {
		return v
	}
	return math.Copysign(0.7+0.3*math.Tanh((a-0.7)/0.3), v)
}
