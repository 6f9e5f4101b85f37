//go:build unix

package main

import "syscall"

// flushDisks has the kernel write what it holds for the disks (sync(2)),
// and waits for it.
func flushDisks() { syscall.Sync() }
