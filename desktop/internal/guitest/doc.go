// Package guitest drives the real kenesh binary in a real X window (Xvfb)
// with real mouse and keyboard events (xdotool), finding its controls
// through the app's test-only probe (KENESH_PROBE).
package guitest
