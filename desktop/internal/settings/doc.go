// Package settings keeps the desktop app's preferences that are needed before the store is unlocked (language, idle lock, text size) in a small plain file beside the encrypted store.
package settings
