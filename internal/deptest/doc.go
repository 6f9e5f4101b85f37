// Package deptest holds the test that enforces the direction of imports
// between the parts of Kenesh.
package deptest
