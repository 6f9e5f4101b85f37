// Package server is the composition root of kenesh-syncserver: it opens
// the store, wires authority, ingest and the sync API, and serves them on
// the network and the control socket until its context ends.
package server
