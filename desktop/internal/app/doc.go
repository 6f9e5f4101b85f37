// Package app is the client core's composition root: it unlocks a data
// directory and wires store, index and records together for the desktop app
// and keneshctl alike. It never imports Fyne.
package app
