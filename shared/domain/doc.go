// Package domain defines what councils record — events, citizens' appeals and
// their workflow, councils — and the rules a record must satisfy, with errors
// that name the field at fault.
package domain
