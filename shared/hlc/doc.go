// Package hlc provides hybrid logical clock timestamps, which order every
// change on every laptop consistently even when their wall clocks disagree.
package hlc
