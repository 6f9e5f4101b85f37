// Package session is the desktop app's Fyne-free controller: it creates or unlocks a data directory, runs the background sync loop, enrolls, backs up, restores and changes the passphrase, and names each failure with a stable code a user interface can translate.
package session
