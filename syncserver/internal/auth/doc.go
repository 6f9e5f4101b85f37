// Package auth enrolls devices with one-time codes, authenticates them by
// token hash, and decides per operation what each role may read and write.
package auth
