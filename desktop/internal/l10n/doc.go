// Package l10n translates the desktop interface and writes dates and numbers the way each of its languages (Kyrgyz, Russian, English) does.
package l10n
