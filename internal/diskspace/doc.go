// Package diskspace tells how much room a disk has left and whether an
// error is a full disk, for every store that keeps a reserve (the
// laptop's and the server's Badger stores, the server's file chunks).
package diskspace
