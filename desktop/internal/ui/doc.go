// Package ui is the Fyne interface of the Kenesh desktop app: first run, unlock and idle lock, home, events, appeals, conflicts, settings and the sync status bar, drawn from the client core through the session controller and its subscriptions.
package ui
