//go:build race

package importer_test

// raceDetector: the race detector slows saving tenfold; long tests shrink.
const raceDetector = true
