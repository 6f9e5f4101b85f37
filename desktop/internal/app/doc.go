// Package app is the laptop's composition root: it unlocks a data directory
// and builds the store, the records and files kept in it and the sync with
// the server, for the desktop app (through its session) and keneshctl
// alike. It never imports Fyne.
package app
