//go:build !unix

package main

// flushDisks does nothing here: the load part's servers' fsyncs are
// measured on Linux.
func flushDisks() {}
