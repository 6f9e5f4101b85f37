package main

import (
	"fyne.io/fyne/v2"
	"github.com/go-gl/glfw/v3.3/glfw"
)

// titleBar is room left for the window manager's title bar: the work
// area is the screen less the taskbars, and the window's own size does
// not count its frame.
const titleBar = 32

// fitScreen makes the window as large as the screen's work area (the
// screen less taskbars) on a first start, and shrinks a remembered size
// that no longer fits (a smaller screen, a projector). Fyne has no call to
// maximise a window or to read the screen's size, so it asks GLFW, which
// Fyne's desktop driver runs on; it must run on the main thread, as the
// app's OnStarted does.
func fitScreen(w fyne.Window, remembered bool) {
	m := glfw.GetPrimaryMonitor()
	if m == nil {
		return
	}
	_, _, wpx, hpx := m.GetWorkarea()
	if wpx <= 0 || hpx <= 0 {
		if mode := m.GetVideoMode(); mode != nil {
			wpx, hpx = mode.Width, mode.Height
		}
	}
	scale := w.Canvas().Scale()
	if scale <= 0 {
		scale = 1
	}
	area := fyne.NewSize(float32(wpx)/scale, float32(hpx)/scale-titleBar)
	if area.Width < 400 || area.Height < 300 {
		return
	}
	size := area
	if remembered {
		size = w.Canvas().Size().Min(area)
	}
	w.Resize(size)
}
