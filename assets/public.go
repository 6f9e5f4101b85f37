package assets

import "embed"

// PublicI18n holds the translations of the public register and form the
// sync server serves (syncserver/internal/public), one flat JSON object of
// "key": "text" per language ("i18n/public/ky.json", "ru.json", "en.json"),
// apart from the desktop app's.
//
//go:embed i18n/public/*.json
var PublicI18n embed.FS
