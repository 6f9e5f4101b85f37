// Package backup writes a whole store to one encrypted file and restores it
// into an empty data directory; the file opens with the store's passphrase.
package backup
