#!/bin/sh
# Installs Kenesh for this user alone, without administrator rights: the
# programs in ~/.local/bin, the menu entry and the icon in ~/.local/share.
# The records are in ~/.local/share/kenesh and are never touched here.
#   ./install.sh            install (or upgrade)
#   ./install.sh --remove   remove the programs, keep the records
set -e
cd "$(dirname "$0")"
bin="$HOME/.local/bin"
share="${XDG_DATA_HOME:-$HOME/.local/share}"
apps="$share/applications"
icons="$share/icons/hicolor/256x256/apps"
if [ "${1:-}" = --remove ]; then
	rm -f "$bin/kenesh" "$bin/keneshctl" "$apps/kenesh.desktop" "$icons/kenesh.png"
	echo "Kenesh removed; the records in $share/kenesh are kept."
	exit 0
fi
mkdir -p "$bin" "$apps" "$icons"
# A running app keeps its old program until it restarts: replace, never overwrite in place.
for p in kenesh keneshctl; do
	cp "bin/$p" "$bin/.$p.new" && chmod 0755 "$bin/.$p.new" && mv -f "$bin/.$p.new" "$bin/$p"
done
sed "s|^Exec=kenesh|Exec=$bin/kenesh|" share/applications/kenesh.desktop >"$apps/kenesh.desktop"
cp share/icons/hicolor/256x256/apps/kenesh.png "$icons/kenesh.png"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
echo "Kenesh $(cat VERSION) installed in $bin; it is in the applications menu."
