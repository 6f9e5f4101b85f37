// Package files keeps the content of the files attached to records in the
// encrypted store, in chunks addressed by their SHA-256, and reads it back
// checked; the records themselves only list the attachments (issue 14's
// files that travel will replace the chunking).
package files
