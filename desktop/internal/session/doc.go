// Package session is the desktop app's Fyne-free controller on top of the
// core (package app, which owns the store, records and sync): it creates,
// unlocks or restores a data directory, enrolls, backs up and changes the
// passphrase as the interface asks, and names each failure with a stable
// code a user interface can translate.
package session
