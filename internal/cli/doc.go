// Package cli is the command-line plumbing keneshctl and kenesh-syncserver
// share: subcommands, flags that may follow arguments, and the exit-status
// contract (1 for a failure, 2 for a wrong command line).
package cli
