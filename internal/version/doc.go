// Package version says which release of Kenesh a program is: one string,
// set at build time from the repository's VERSION file, and a way to
// compare two releases.
package version
