// Package charts draws a report's charts (bars by oblast and by right,
// a series over months, participants by gender) as PNG images with
// gonum.org/v1/plot, in the DejaVu font the PDFs embed, for the Reports
// page and the PDF report alike.
package charts

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"sync"

	"golang.org/x/image/font/opentype"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/kenesh/kenesh/assets"
)

// Chart is what a chart shows: values of one or more series over labelled
// categories.
type Chart struct {
	ID     string // stable: "appeals_by_oblast"
	Title  string
	Labels []string
	Series []Series
	// Horizontal lays the bars along the X axis, for long labels (the
	// names of rights); Stacked puts a category's series on top of each
	// other (participants by gender), else side by side.
	Horizontal, Stacked bool
	// Unit is the axis' title ("appeals").
	Unit string
}

// Series is one set of values, one per label.
type Series struct {
	Name   string
	Values []float64
	Color  color.Color
}

// Colours that people with the common colour blindnesses tell apart
// (Okabe and Ito).
var (
	Blue   = color.RGBA{0x00, 0x72, 0xB2, 0xFF}
	Orange = color.RGBA{0xE6, 0x9F, 0x00, 0xFF}
	Pink   = color.RGBA{0xCC, 0x79, 0xA7, 0xFF}
	Green  = color.RGBA{0x00, 0x9E, 0x73, 0xFF}
	Grey   = color.RGBA{0x99, 0x99, 0x99, 0xFF}
)

var (
	fontsOnce sync.Once
	handler   text.Handler
	fontsErr  error
)

// The typeface of every chart: DejaVu Sans, which has ң ө ү, as the PDFs.
var face = font.Font{Typeface: "DejaVu"}

func fonts() (text.Handler, error) {
	fontsOnce.Do(func() {
		regular, err := opentype.Parse(assets.FontRegular)
		if err != nil {
			fontsErr = fmt.Errorf("charts: the font: %w", err)
			return
		}
		cache := font.NewCache(font.Collection{{Font: face, Face: regular}})
		handler = text.Plain{Fonts: cache}
	})
	return handler, fontsErr
}

// Empty reports whether the chart has nothing to show.
func (c *Chart) Empty() bool {
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v != 0 {
				return false
			}
		}
	}
	return true
}

// PNG draws the chart width × height points large at dpi dots per inch.
func (c *Chart) PNG(width, height vg.Length, dpi int) ([]byte, error) {
	p, err := c.plot(width, height)
	if err != nil {
		return nil, err
	}
	canvas := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(canvas))
	var buf bytes.Buffer
	// Fast compression: a chart is flat colour, which compresses well
	// anyway, and a report draws several.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, canvas.Image()); err != nil {
		return nil, fmt.Errorf("charts: %w", err)
	}
	return buf.Bytes(), nil
}

func (c *Chart) plot(w, h vg.Length) (*plot.Plot, error) {
	hdlr, err := fonts()
	if err != nil {
		return nil, err
	}
	p := plot.New()
	p.TextHandler = hdlr
	style := func(s *text.Style, size vg.Length) {
		s.Handler = hdlr
		s.Font = font.From(face, size)
	}
	p.Title.Text = c.Title
	style(&p.Title.TextStyle, 11)
	p.Title.Padding = vg.Points(6)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		style(&ax.Label.TextStyle, 8)
		style(&ax.Tick.Label, 7.5)
	}
	p.Legend.TextStyle.Handler = hdlr
	p.Legend.TextStyle.Font = font.From(face, 8)
	p.Legend.Top = true
	p.Legend.Left = !c.Horizontal

	if len(c.Labels) == 0 { // nothing counted: an empty frame, not a panic
		c = &Chart{ID: c.ID, Title: c.Title, Labels: []string{""}, Series: []Series{{Values: []float64{0}}},
			Horizontal: c.Horizontal, Unit: c.Unit}
	}
	n := len(c.Series)
	// The grid under the bars.
	g := plotter.NewGrid()
	if c.Horizontal {
		g.Horizontal.Width = 0
	} else {
		g.Vertical.Width = 0
	}
	p.Add(g)
	// A bar as thick as the room its category has allows, sides by side
	// or stacked, up to 28 points.
	room := float64(w) * 0.8
	if c.Horizontal {
		room = float64(h) * 0.72
	}
	room /= float64(max(1, len(c.Labels)))
	groups := 1
	if !c.Stacked {
		groups = max(1, n)
	}
	width := vg.Length(math.Min(28, room*0.7/float64(groups)))
	var below *plotter.BarChart
	for i, s := range c.Series {
		vals := make(plotter.Values, len(c.Labels))
		copy(vals, s.Values)
		b, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, fmt.Errorf("charts: %w", err)
		}
		b.Horizontal = c.Horizontal
		b.Color = s.Color
		b.LineStyle.Width = 0
		if c.Stacked {
			if below != nil {
				b.StackOn(below)
			}
			below = b
		} else if n > 1 {
			b.Offset = width * vg.Length(float64(i)-float64(n-1)/2)
		}
		p.Add(b)
		if n > 1 {
			p.Legend.Add(s.Name, b)
		}
	}
	// The largest value (a stack's sum), and room above it for the legend.
	top := 0.0
	for i := range c.Labels {
		sum := 0.0
		for _, s := range c.Series {
			if i < len(s.Values) {
				if c.Stacked {
					sum += s.Values[i]
				} else {
					sum = math.Max(sum, s.Values[i])
				}
			}
		}
		top = math.Max(top, sum)
	}
	top = math.Max(top, 1)
	if n > 1 {
		top *= 1.35
	} else {
		top *= 1.05
	}
	if c.Horizontal {
		p.NominalY(c.Labels...)
		p.X.Label.Text = c.Unit
		p.X.Min, p.X.Max = 0, top
		p.X.Tick.Marker = wholeTicks{}
		p.Y.Min, p.Y.Max = -0.5, float64(len(c.Labels))-0.5
	} else {
		p.NominalX(c.Labels...)
		p.Y.Label.Text = c.Unit
		p.Y.Min, p.Y.Max = 0, top
		p.Y.Tick.Marker = wholeTicks{}
		p.X.Min, p.X.Max = -0.5, float64(len(c.Labels))-0.5
		if len(c.Labels) > 6 {
			p.X.Tick.Label.Rotation = math.Pi / 5
			p.X.Tick.Label.XAlign = draw.XRight
			p.X.Tick.Label.YAlign = draw.YCenter
		}
	}
	return p, nil
}

// wholeTicks marks counts with whole numbers: a step of 1, 2 or 5 times
// a power of ten, five or six marks at most.
type wholeTicks struct{}

func (wholeTicks) Ticks(min, max float64) []plot.Tick {
	span := math.Max(1, max-min)
	step := 1.0
	for _, mult := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6} {
		step = mult
		if span/mult <= 6 {
			break
		}
	}
	var out []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max; v += step {
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return out
}
