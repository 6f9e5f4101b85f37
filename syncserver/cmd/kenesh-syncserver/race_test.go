//go:build race

package main

// raceBuild: scrypt (a passphrase backup) takes seconds under the race
// detector; tests that only need it once skip it there.
const raceBuild = true
