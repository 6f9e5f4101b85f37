package main

import (
	"math"
	"testing"
)

// TestResample: a tone in the speech band keeps its pitch and level at
// 8 kHz; one above 4 kHz (which would fold back as a false tone) is
// filtered out.
func TestResample(t *testing.T) {
	sine := func(freq float64, rate, n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Sin(2 * math.Pi * freq * float64(i) / float64(rate))
		}
		return x
	}
	// level is the amplitude of freq in x (a single-bin DFT), away from
	// the edges.
	level := func(x []float64, freq float64, rate int) float64 {
		x = x[200 : len(x)-200]
		var re, im float64
		for i, v := range x {
			a := 2 * math.Pi * freq * float64(i) / float64(rate)
			re += v * math.Cos(a)
			im += v * math.Sin(a)
		}
		return 2 * math.Hypot(re, im) / float64(len(x))
	}
	for _, c := range []struct {
		freq     float64
		min, max float64
	}{
		{300, 0.95, 1.05},
		{1000, 0.95, 1.05},
		{3000, 0.8, 1.05},
		{5000, 0, 0.05}, // would fold to 3,000 Hz
		{7000, 0, 0.05}, // would fold to 1,000 Hz
	} {
		out := resample(sine(c.freq, 22050, 22050), 22050, outRate)
		if n := len(out); n != outRate {
			t.Fatalf("%d samples for a second", n)
		}
		f := c.freq
		if f > outRate/2 {
			f = outRate - f // where it would fold to
		}
		if l := level(out, f, outRate); l < c.min || l > c.max {
			t.Errorf("%.0f Hz at %.0f Hz: level %.3f, want %.2f-%.2f", c.freq, f, l, c.min, c.max)
		}
	}
}
