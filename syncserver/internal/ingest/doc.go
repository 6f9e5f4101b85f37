// Package ingest validates, authorizes and applies devices' change sets to
// the server log and record states, atomically and idempotently.
package ingest
