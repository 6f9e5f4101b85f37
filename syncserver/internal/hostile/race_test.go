//go:build race

package hostile

// raceBuild: the race detector makes large payloads ten times slower to
// build, compress and decode; tests that only need them large use smaller.
const raceBuild = true
