package charts_test

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/kenesh/kenesh/desktop/internal/charts"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/desktop/internal/reports/fixture"
	"github.com/kenesh/kenesh/shared/caldate"
)

var keep = flag.String("charts.keep", "", "also write the charts as PNG into this directory, to look at")

func TestChartsOfAReport(t *testing.T) {
	svc, _, _ := fixture.New(t)
	ctx := context.Background()
	f := reports.Filter{From: caldate.MustParse("2025-11-01"), To: caldate.MustParse(fixture.To)}
	make := func(by string) *reports.Report {
		f.By = by
		r, err := reports.Make(ctx, svc, f)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r, byOblast, byMonth := make(""), make(reports.ByOblast), make(reports.ByMonth)
	councils, _ := svc.Councils(ctx)
	for _, lang := range l10n.Languages {
		w, err := reports.NewWords(lang, svc.Catalog(), councils)
		if err != nil {
			t.Fatal(err)
		}
		cs := charts.ForReport(r, byOblast, byMonth, w)
		if len(cs) != 4 {
			t.Fatalf("%d charts", len(cs))
		}
		for _, c := range cs {
			for _, s := range c.Series {
				if len(s.Values) != len(c.Labels) {
					t.Errorf("%s: %d labels, %d values of %s", c.ID, len(c.Labels), len(s.Values), s.Name)
				}
			}
			if lang != "ky" && *keep == "" {
				continue // drawing is the same in every language; it is slow under -race
			}
			b, err := c.PNG(16*vg.Centimeter, 9*vg.Centimeter, 120)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: not a PNG: %v", c.ID, err)
			}
			if w := img.Bounds().Dx(); w < 700 || w > 800 {
				t.Errorf("%s: %d pixels wide, want 16 cm at 120 dpi (756)", c.ID, w)
			}
			if *keep != "" {
				os.WriteFile(filepath.Join(*keep, lang+"-"+c.ID+".png"), b, 0o644)
			}
		}
		// Appeals by month: November and December 2025 (A6), then the
		// first quarter of 2026.
		m := cs[2]
		if len(m.Labels) != 5 || m.Series[0].Values[1] != 1 || m.Series[0].Values[4] != 3 {
			t.Errorf("%s, by month: %v %v", lang, m.Labels, m.Series[0].Values)
		}
	}
	// A chart of nothing still draws (an empty period).
	empty := charts.Chart{ID: "x", Title: "Бош", Labels: []string{"а", "б"}, Series: []charts.Series{{Values: []float64{0, 0}}}}
	if _, err := empty.PNG(8*vg.Centimeter, 5*vg.Centimeter, 96); err != nil {
		t.Error(err)
	}
	none := charts.Chart{ID: "y", Title: "Эч нерсе", Horizontal: true}
	if _, err := none.PNG(8*vg.Centimeter, 5*vg.Centimeter, 96); err != nil {
		t.Error(err)
	}
}
