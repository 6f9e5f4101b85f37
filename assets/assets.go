// Package assets embeds the files every Kenesh program ships with: reference data, legal rules and calendars, the programme's indicators, and the zstd dictionary of the sync protocol.
package assets

import "embed"

// FS holds the embedded files under their paths relative to this directory,
// for example "refdata/regions.json" or "law/appeal_rules.json".
//
// To ship another folder, add one more //go:embed line below.
//
//go:embed refdata/*.json
//go:embed law/*.json
//go:embed zstd/*.dict
//go:embed programme/*.json
var FS embed.FS
