package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// scaledTheme is Fyne's default theme with every size multiplied, so the
// whole interface (text, padding, icons) grows together for people who
// need larger text; applied at once, no restart.
type scaledTheme struct {
	fyne.Theme
	scale float32
}

func (t scaledTheme) Size(n fyne.ThemeSizeName) float32 { return t.Theme.Size(n) * t.scale }

// Light variant always: the app is used in bright offices and on projectors
// at trainings, and the status colours were checked on it.
func (t scaledTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, theme.VariantLight)
}

func (u *UI) applyTheme() {
	s := u.set.TextScale
	if s <= 0 {
		s = 1
	}
	u.app.Settings().SetTheme(scaledTheme{Theme: theme.DefaultTheme(), scale: s})
}
