// Package keyfile keeps the store's encryption key wrapped by a key derived
// from the user's passphrase, so a passphrase change rewrites one small file
// and never the database.
package keyfile
