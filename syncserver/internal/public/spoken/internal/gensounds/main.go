// Command gensounds records the digits the public form's audio challenge
// speaks in Kyrgyz (spoken's ky/*.pcm), with espeak-ng's Kyrgyz voice:
// dchest/captcha has recordings for Russian and English but none for
// Kyrgyz. It is run by hand, not by the build (`go generate` in spoken,
// with espeak-ng installed: apt-get install espeak-ng); its output is
// committed. Each recording is resampled to the challenge's format (8 kHz,
// unsigned 8-bit, mono: dchest/captcha's), trimmed of silence and
// normalised.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
)

// words are the digits 0-9 in Kyrgyz.
var words = [10]string{"нөл", "бир", "эки", "үч", "төрт", "беш", "алты", "жети", "сегиз", "тогуз"}

const outRate = 8000

func main() {
	dir := flag.String("out", "ky", "the folder the recordings are written to")
	speed := flag.Int("speed", 120, "espeak-ng's words per minute (its default, 175, runs the digits together)")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	for d, w := range words {
		wav, err := exec.Command("espeak-ng", "-v", "ky", "-s", fmt.Sprint(*speed), "--stdout", w).Output()
		if err != nil {
			log.Fatalf("espeak-ng %q (is espeak-ng installed? apt-get install espeak-ng): %v", w, err)
		}
		in, rate, err := readWAV(wav)
		if err != nil {
			log.Fatalf("espeak-ng's recording of %q: %v", w, err)
		}
		out := toU8(normalise(trim(resample(in, rate, outRate), outRate)))
		name := filepath.Join(*dir, fmt.Sprintf("%d.pcm", d))
		if err := os.WriteFile(name, out, 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %s: %d samples (%.2f s)\n", name, w, len(out), float64(len(out))/outRate)
	}
}

// readWAV returns the samples of a 16-bit mono PCM WAV, scaled to [-1, 1],
// and its rate.
func readWAV(b []byte) ([]float64, int, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAV file")
	}
	rate, bits, channels := 0, 0, 0
	for at := 12; at+8 <= len(b); {
		id, size := string(b[at:at+4]), int(binary.LittleEndian.Uint32(b[at+4:]))
		body := b[at+8:]
		if id == "data" && size > len(body) {
			size = len(body) // espeak-ng writing to a pipe cannot go back to set it
		}
		if size > len(body) {
			return nil, 0, fmt.Errorf("chunk %q runs past the end", id)
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 || binary.LittleEndian.Uint16(body) != 1 {
				return nil, 0, errors.New("not PCM")
			}
			channels = int(binary.LittleEndian.Uint16(body[2:]))
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
		case "data":
			if rate == 0 || bits != 16 || channels != 1 {
				return nil, 0, fmt.Errorf("want 16-bit mono PCM, have %d-bit, %d channels", bits, channels)
			}
			out := make([]float64, size/2)
			for i := range out {
				out[i] = float64(int16(binary.LittleEndian.Uint16(body[2*i:]))) / 32768
			}
			return out, rate, nil
		}
		at += 8 + size + size%2
	}
	return nil, 0, errors.New("no data chunk")
}

// resample band-limits x to below half the new rate (a windowed sinc)
// and samples it at the new rate.
func resample(x []float64, from, to int) []float64 {
	const half = 32 // taps either side
	cutoff := 0.45 * float64(to) / float64(from)
	n := int(float64(len(x)) * float64(to) / float64(from))
	out := make([]float64, n)
	for k := range out {
		t := float64(k) * float64(from) / float64(to)
		c := int(t)
		var s float64
		for i := c - half; i <= c+half; i++ {
			if i < 0 || i >= len(x) {
				continue
			}
			d := t - float64(i)
			w := 0.5 + 0.5*math.Cos(math.Pi*d/(half+1)) // Hann
			s += x[i] * 2 * cutoff * sinc(2*cutoff*d) * w
		}
		out[k] = s
	}
	return out
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// trim drops the silence before and after the word, keeping 20 ms.
func trim(x []float64, rate int) []float64 {
	peak := 0.0
	for _, v := range x {
		peak = max(peak, math.Abs(v))
	}
	first, last := -1, -1
	for i, v := range x {
		if math.Abs(v) > 0.03*peak {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return x
	}
	margin := rate / 50
	return x[max(0, first-margin):min(len(x), last+margin+1)]
}

// normalise scales x so that its peak is 0.9.
func normalise(x []float64) []float64 {
	peak := 0.0
	for _, v := range x {
		peak = max(peak, math.Abs(v))
	}
	if peak == 0 {
		return x
	}
	for i := range x {
		x[i] *= 0.9 / peak
	}
	return x
}

// toU8 converts to unsigned 8-bit samples (128 is silence).
func toU8(x []float64) []byte {
	var b bytes.Buffer
	for _, v := range x {
		b.WriteByte(byte(max(0, min(255, math.Round(v*127+128)))))
	}
	return b.Bytes()
}
