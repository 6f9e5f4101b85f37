// Package testnet provides bad networks on 127.0.0.1 for tests and
// benchmarks: an HTTP proxy that drops, cuts, delays and duplicates
// requests, and a TCP link that emulates a slow, distant line and counts
// the bytes that cross it.
package testnet
