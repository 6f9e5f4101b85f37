package controls

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// MultiCheck is a set of check boxes over a coded list, laid out in
// columns so that a long list never widens what holds it.
type MultiCheck struct {
	Codes  []string
	Checks []*widget.Check
	Box    *fyne.Container
}

// NewMultiCheck lays names out in cols columns, fewer if that many of the
// widest would be wider than maxWidth; touch is called on every tick.
func NewMultiCheck(codes, names []string, cols int, maxWidth float32, touch func()) *MultiCheck {
	var checks []fyne.CanvasObject
	widest := float32(0)
	m := &MultiCheck{Codes: codes}
	for _, n := range names {
		c := widget.NewCheck(n, func(bool) {
			if touch != nil {
				touch()
			}
		})
		m.Checks = append(m.Checks, c)
		checks = append(checks, c)
		widest = max(widest, c.MinSize().Width)
	}
	for cols > 1 && float32(cols)*widest > maxWidth {
		cols--
	}
	m.Box = container.NewGridWithColumns(cols, checks...)
	return m
}

// Selected returns the checked codes in list order.
func (m *MultiCheck) Selected() []string {
	var out []string
	for i, c := range m.Checks {
		if c.Checked {
			out = append(out, m.Codes[i])
		}
	}
	return out
}

// SetSelected ticks exactly codes.
func (m *MultiCheck) SetSelected(codes []string) {
	for i, c := range m.Checks {
		on := false
		for _, x := range codes {
			on = on || x == m.Codes[i]
		}
		c.SetChecked(on)
	}
}
