// Package export writes a laptop's records and report to files for people
// and other programs (XLSX, CSV, JSON, a PDF report), anonymised unless
// personal data is asked for by a role that may read it, streaming so that
// 100,000 records never sit in memory at once, and leaves a record of every
// export in the store's history, which syncs to the centre.
package export
