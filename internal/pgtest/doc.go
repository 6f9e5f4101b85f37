// Package pgtest starts a PostgreSQL server of its own for a test binary
// (Debian's initdb and pg_ctl, on a Unix socket in a temporary directory,
// no system service) and gives each test an empty schema of it.
package pgtest
