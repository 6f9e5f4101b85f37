# Kenesh: the two commands a newcomer needs are `make run` and `make test`.
# Both install what they need first (see .ci/ensure-deps).

GO := $(shell .ci/ensure-deps)
ifeq ($(GO),)
$(error could not find or install Go; see the messages above)
endif

BIN := bin
# The release comes from one place, the VERSION file; every program built
# here carries it (keneshctl --version, kenesh-syncserver --version, /healthz,
# the app's Settings). A build without these flags (go build, go test) says
# "dev". make set-version V=X.Y.Z changes it (and FyneApp.toml with it).
VERSION := $(shell cat VERSION)
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS := -X github.com/kenesh/kenesh/internal/version.release=$(VERSION) -X github.com/kenesh/kenesh/internal/version.commit=$(COMMIT)
# The demo store lives here; its passphrase is a demo passphrase, printed by
# `make run`. Real stores get their passphrase from a person.
DEMO_DATA ?= .kenesh-demo
DEMO_PASSPHRASE ?= kenesh-demo-passphrase
FUZZTIME ?= 5s
# staticcheck at a pinned version, fetched through the Go module proxy the
# first time (then from the module cache, offline).
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: run build test test-short lint fmt-check fuzz bench dict clean set-version

# A local sync server with the 21 councils, three council laptops and a
# central-staff laptop with demo data, synced; then the desktop app on the
# At-Bashy secretary's laptop (see .ci/demo).
run: build kenesh
	@.ci/demo $(BIN) $(DEMO_DATA) '$(DEMO_PASSPHRASE)'

# The command-line client and the server: static, no cgo.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./desktop/cmd/keneshctl ./syncserver/cmd/kenesh-syncserver

# Every test, with the race detector; everything but the desktop app's main
# (Fyne on OpenGL through cgo) must also build without cgo, and the server and
# keneshctl for Windows too (an office may run them there); vet and
# staticcheck; then a short run of each fuzz target. The real-window test (desktop/internal/guitest) drives
# bin/kenesh under Xvfb with xdotool; a failed run keeps its screenshots in
# .guitest/. The 30-minute bound per package is for busy machines: the screen
# tests took 196 s alone and 601 s beside other builds (go test stops at 10).
test: build kenesh dist-server dist-linux
	CGO_ENABLED=0 $(GO) build $$($(GO) list ./... | grep -v '/desktop/cmd/kenesh$$')
	GOOS=windows CGO_ENABLED=0 $(GO) build ./syncserver/... ./desktop/cmd/keneshctl
	$(MAKE) --no-print-directory fmt-check
	$(GO) vet ./...
	$(STATICCHECK) ./...
	KENESH_BIN=$(abspath $(BIN)) KENESH_DIST=$(abspath $(DIST)) $(GO) test -race -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)

test-short:
	$(GO) test -short ./...

# Static checks alone: go vet and staticcheck (bugs, dead code, deprecated
# calls), as make test runs them.
lint: fmt-check
	$(GO) vet ./...
	$(STATICCHECK) ./...

# Every Go file as gofmt writes it (a file left unformatted once passed
# every other check).
fmt-check:
	@unformatted=$$("$$($(GO) env GOROOT)/bin/gofmt" -l .); if [ -n "$$unformatted" ]; then \
		echo "not formatted by gofmt (run gofmt -w on them):"; echo "$$unformatted"; exit 1; fi

# Each fuzz target for FUZZTIME (go test -fuzz takes one target at a time).
# Go 1.26's fuzzing coordinator can fail a target with a bare "context
# deadline exceeded" as -fuzztime runs out on a busy machine (golang/go#75804,
# fixed in Go 1.27; seen here once under two CI runs at once): such a run,
# with no failing input written, is tried once more; any other failure, or
# the same one twice, fails.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg >.fuzz.log 2>&1 || \
			{ grep -q 'context deadline exceeded' .fuzz.log && ! grep -q 'Failing input written' .fuzz.log && \
				echo "fuzz $$t: the coordinator's deadline race (golang/go#75804), no failing input: once more" && \
				$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg >.fuzz.log 2>&1; } || { cat .fuzz.log; exit 1; }; \
		done; \
	done; rm -f .fuzz.log; echo "fuzz: all targets ran $(FUZZTIME) without a failure"

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Train the zstd dictionary of the sync protocol (Debian's zstd; its trainer
# did 1.4-2x better here than the Go one). Samples come from demo data.
dict:
	@command -v zstd >/dev/null || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get install -y -qq zstd; }
	rm -rf .dict-samples
	$(GO) run ./desktop/internal/cmd/dictsamples -out .dict-samples
	zstd --train -r .dict-samples --maxdict=65536 --dictID=1 -o assets/zstd/sync-1.dict
	rm -rf .dict-samples

clean:
	rm -rf $(BIN) $(DEMO_DATA) $(DIST)

# Packages, offline, into dist/ (each with its .sha256): the server's .deb
# (static binary, systemd unit, /etc/kenesh/syncserver.conf, kenesh-admin)
# and keneshctl's (dist-server); the desktop app's .deb and .tar.xz
# (dist-linux); its per-user Windows installer (dist-windows). make dist
# builds them all. packaging/pkgtest installs them into a throwaway root
# and runs them (make test does, for the server's). The binaries are
# stripped (-s -w).
DIST := dist
ARCH := $(shell $(GO) env GOARCH)
DIST_LDFLAGS := -s -w $(LDFLAGS)
# Files in the packages are dated by the commit, not the build.
EPOCH := $(shell git log -1 --format=%ct 2>/dev/null)

.PHONY: dist dist-bin dist-server dist-linux dist-windows
dist: dist-server dist-linux dist-windows
	@cd $(DIST) && ls -l *.deb *.tar.xz *.exe

dist-bin:
	@command -v dpkg-deb >/dev/null || { echo "dist: dpkg-deb is needed (Debian's dpkg)" >&2; exit 1; }
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(DIST_LDFLAGS)' -o $(DIST)/build/ ./desktop/cmd/keneshctl ./syncserver/cmd/kenesh-syncserver

dist-server: dist-bin
	SOURCE_DATE_EPOCH=$(EPOCH) packaging/build-deb kenesh-syncserver $(VERSION) $(ARCH) $(DIST)/build $(DIST)
	SOURCE_DATE_EPOCH=$(EPOCH) packaging/build-deb keneshctl $(VERSION) $(ARCH) $(DIST)/build $(DIST)

# The one edit a release needs: make set-version V=0.6.0 writes VERSION and
# the Version of desktop/cmd/kenesh/FyneApp.toml (fyne package reads it; a
# test of internal/version fails when the two differ).
set-version:
	@echo '$(V)' | grep -Eq '^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$$' || { echo "usage: make set-version V=MAJOR.MINOR.PATCH (not '$(V)')" >&2; exit 2; }
	echo '$(V)' > VERSION
	sed -i 's/^\([[:space:]]*Version[[:space:]]*=[[:space:]]*\)"[^"]*"/\1"$(V)"/' desktop/cmd/kenesh/FyneApp.toml

# The sync benchmark of issue #3: Kenesh against PouchDB replicating to
# pouchdb-server (installed on demand from bench/pouchdb with npm ci), on
# the same records, through the same byte-counting link emulator. Full
# size takes about half an hour on 2 cores; SYNCBENCH_FLAGS=-quick is a
# smoke test. Results: BENCHMARKS.md.
.PHONY: bench-sync
bench-sync:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./syncserver/cmd/kenesh-syncserver ./desktop/internal/cmd/syncbench
	$(BIN)/syncbench -server $(BIN)/kenesh-syncserver $(SYNCBENCH_FLAGS)

# The desktop app (issue #4). Fyne draws with OpenGL through cgo: the X and
# GL headers come from .ci/ensure-deps; a cold build takes about 4 minutes.
.PHONY: kenesh screenshots bench-startup
kenesh:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./desktop/cmd/kenesh

# Runs the real app in a real window under Xvfb (1366x768) on demo data, in
# Kyrgyz, Russian and English, and captures every main screen with
# ImageMagick's import into docs/screenshots.
screenshots: kenesh
	@command -v Xvfb >/dev/null && command -v import >/dev/null || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get install -y -qq xvfb imagemagick; }
	$(GO) run ./desktop/internal/cmd/screenshots -bin $(BIN)/kenesh -out docs/screenshots

# Start-up to a usable home screen with 100,000 appeals (the store is made
# once in .kenesh-bench). Results: BENCHMARKS.md.
bench-startup: kenesh
	@command -v Xvfb >/dev/null || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get install -y -qq xvfb; }
	$(GO) run ./desktop/internal/cmd/startupbench -bin $(BIN)/kenesh -data .kenesh-bench

# The real-window click test alone (desktop/internal/guitest): bin/kenesh
# under Xvfb (1366x768), driven with xdotool. A failed run keeps its
# screenshots in .guitest/.
.PHONY: test-gui
test-gui: build kenesh
	KENESH_BIN=$(abspath $(BIN)) $(GO) test -count=1 -v -run TestRealWindow ./desktop/internal/guitest

# The public register's pages in headless Chromium (Debian's), at a
# phone's width (360 px) and a laptop's (1366 px), into
# docs/screenshots/public-*.png: the browser test of
# syncserver/internal/public, on a register in use.
.PHONY: screenshots-public
screenshots-public:
	@command -v chromium >/dev/null || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get install -y -qq chromium; }
	$(GO) test -count=1 -run '^TestBrowser$$' ./syncserver/internal/public -args -screenshots $(abspath docs/screenshots)

# The desktop app for Linux: a .deb (the app, its menu entry and icon; its
# libraries as dependencies) and a .tar.xz with keneshctl and a per-user
# install.sh. Not -trimpath: the app's OpenGL part (cgo) stays in the
# build cache of make kenesh.
dist-linux: dist-bin
	$(GO) build -ldflags '$(DIST_LDFLAGS)' -o $(DIST)/build/ ./desktop/cmd/kenesh
	SOURCE_DATE_EPOCH=$(EPOCH) packaging/build-deb kenesh $(VERSION) $(ARCH) $(DIST)/build $(DIST)
	SOURCE_DATE_EPOCH=$(EPOCH) packaging/build-tar $(VERSION) $(ARCH) $(DIST)/build $(DIST)

# The desktop app for Windows (amd64): cross-compiled with cgo through
# Debian's gcc-mingw-w64-x86-64 by fyne package (FyneApp.toml: the name,
# id, version and icon, as a resource of the .exe; -H=windowsgui, so no
# console window), then packed by Debian's nsis into a per-user installer
# (packaging/windows/kenesh.nsi). fyne package writes into the directory
# it builds and rewrites its FyneApp.toml: it works on a copy (a directory
# starting with _, which ./... leaves out). 338-472 s cold on an idle
# 2-core machine, 2-3 minutes warm.
FYNE_VERSION ?= v1.7.4
FYNE := $(abspath $(DIST)/build/fyne)
WIN_SRC := desktop/cmd/_kenesh-windows
WIN_SETUP := kenesh-$(VERSION)-windows-amd64-setup.exe

dist-windows:
	@command -v x86_64-w64-mingw32-gcc >/dev/null && command -v makensis >/dev/null && command -v convert >/dev/null || { \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64 nsis imagemagick; }
	rm -rf $(WIN_SRC) && mkdir -p $(WIN_SRC) $(DIST)/build
	GOBIN=$(abspath $(DIST)/build) $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_VERSION)
	cp desktop/cmd/kenesh/*.go desktop/cmd/kenesh/FyneApp.toml $(WIN_SRC)/
	printf 'package main\n\nimport "github.com/kenesh/kenesh/internal/version"\n\n// Written by make dist-windows: fyne package drops -ldflags on its second build.\nfunc init() { version.SetRelease("%s", "%s") }\n' '$(VERSION)' '$(COMMIT)' >$(WIN_SRC)/release_gen.go
	cd $(WIN_SRC) && PATH='$(dir $(GO))':"$$PATH" CC=x86_64-w64-mingw32-gcc GOARCH=amd64 \
		$(FYNE) package --os windows --release --app-version $(VERSION) --icon $(abspath assets/icons/kenesh.png) --exe kenesh.exe
	mv $(WIN_SRC)/Kenesh.exe $(DIST)/build/Kenesh.exe
	rm -rf $(WIN_SRC)
	convert assets/icons/kenesh.png -define icon:auto-resize=256,64,48,32,16 $(DIST)/build/kenesh.ico
	makensis -V2 -DVERSION=$(VERSION) -DEXE=$(abspath $(DIST)/build/Kenesh.exe) -DICON=$(abspath $(DIST)/build/kenesh.ico) \
		-DOUT=$(abspath $(DIST)/$(WIN_SETUP)) packaging/windows/kenesh.nsi
	cd $(DIST) && sha256sum $(WIN_SETUP) >$(WIN_SETUP).sha256

# Signs the files laptops update themselves from (make dist first), on the
# release manager's machine that holds the key (keneshctl release keygen):
# FILE.sig beside each, for kenesh-syncserver admin release publish. See
# docs/operator-guide.md, "Publishing an app update".
.PHONY: sign-release
sign-release: build
	@test -n '$(KEY)' || { echo "usage: make sign-release KEY=PATH-OF-THE-RELEASE-KEY" >&2; exit 2; }
	@n=0; for f in $(DIST)/$(WIN_SETUP) $(DIST)/kenesh-$(VERSION)-linux-$(ARCH).tar.xz; do \
		if [ -f "$$f" ]; then $(BIN)/keneshctl release sign --key '$(KEY)' "$$f" >/dev/null && echo "signed $$f.sig" && n=$$((n+1)) || exit 1; fi; \
	done; [ $$n -gt 0 ] || { echo "sign-release: nothing in $(DIST) to sign; make dist first" >&2; exit 1; }

# The Windows installer under Debian's wine64 on Xvfb: installed silently,
# checked (program, Start-menu entry, uninstaller), the app started to its
# first-run screen into WINE_SHOT (docs/screenshots/windows-wine-firstrun.png),
# then uninstalled (packaging/windows/wine-check; about 40 s after
# dist-windows). .ci/run runs it with the screenshot in dist/.
WINE_SHOT ?= docs/screenshots/windows-wine-firstrun.png
ENSURE_WINE := command -v wine64 >/dev/null || [ -x /usr/lib/wine/wine64 ] && command -v xdotool >/dev/null || { \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get install -y -qq --no-install-recommends wine64 xvfb imagemagick xdotool; }
.PHONY: screenshot-windows
screenshot-windows: dist-windows
	@$(ENSURE_WINE)
	packaging/windows/wine-check $(DIST)/$(WIN_SETUP) $(WINE_SHOT)

# An update applied end to end on Windows, under wine64 on Xvfb
# (packaging/windows/wine-update): this release (VERSION's installer, built
# by make dist-windows unless it is in dist/ already) installed with a store
# of records; the next patch release built the same way into dist/next
# (about 40 s once the Windows build is cached), signed with a throwaway
# key and published on a real sync server; desktop/internal/cmd/wineupdate,
# cross-compiled without cgo as this release, downloads it the way the app
# does and applies it with the app's Watcher.Apply (the installer with
# /S /RESTART) while Kenesh runs; checked: the installer waits for Kenesh
# to close, Kenesh.exe --version and the uninstall key say the next
# release, Kenesh is started again (screenshot into WINE_UPDATE_SHOT, its
# records opened), the records and settings are those of before. About
# 100 s after the builds.
NEXT_VERSION := $(shell echo '$(VERSION)' | awk -F. '{print $$1 "." $$2 "." $$3 + 1}')
WINE_UPDATE_SHOT ?= docs/screenshots/windows-wine-updated.png
.PHONY: test-windows-update
test-windows-update: build
	@$(ENSURE_WINE)
	[ -f $(DIST)/$(WIN_SETUP) ] || $(MAKE) dist-windows
	$(MAKE) dist-windows VERSION=$(NEXT_VERSION) DIST=$(DIST)/next
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(DIST_LDFLAGS)' -o $(DIST)/next/wineupdate.exe ./desktop/internal/cmd/wineupdate
	packaging/windows/wine-update $(DIST)/$(WIN_SETUP) $(DIST)/next/kenesh-$(NEXT_VERSION)-windows-amd64-setup.exe \
		$(DIST)/next/wineupdate.exe $(BIN) $(WINE_UPDATE_SHOT)
