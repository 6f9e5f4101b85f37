// Package serverkey is the sync server's data key: the key file kept
// outside the data directory that encrypts the store at rest, where it is
// found, and the backup identity derived from it.
package serverkey
