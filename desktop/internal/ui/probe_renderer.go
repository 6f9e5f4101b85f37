package ui

import (
	_ "unsafe" // go:linkname

	"fyne.io/fyne/v2"
)

// cachedRenderer is the renderer Fyne keeps for a widget on screen (false
// if it has none): the objects it draws, which the probe walks to find
// what Fyne's own widgets show (an accordion's headers, a file dialog's
// files). Fyne gives it to its test package only (test.WidgetRenderer),
// which cannot be linked into the app: importing it installs a test app.
// Bound by name, so a Fyne that renames it fails to link rather than
// probing less; only the probe (KENESH_PROBE, tests) calls it.
//
//go:linkname cachedRenderer fyne.io/fyne/v2/internal/cache.CachedRenderer
func cachedRenderer(w fyne.Widget) (fyne.WidgetRenderer, bool)
