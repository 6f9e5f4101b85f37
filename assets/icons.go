package assets

import _ "embed"

// Icon is the desktop app's icon (256×256 PNG): the window, the taskbar and
// the installers use it.
//
//go:embed icons/kenesh.png
var Icon []byte
