package assets

import "embed"

// I18n holds the interface translations, one go-i18n JSON file per language
// ("i18n/ky.json", "i18n/ru.json", "i18n/en.json"). They are apart from FS
// because only the desktop app needs them.
//
//go:embed i18n/*.json
var I18n embed.FS
