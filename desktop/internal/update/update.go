package update

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/kenesh/kenesh/internal/version"
	rel "github.com/kenesh/kenesh/shared/release"
)

// releaseKeys are the release signing keys this program trusts, one a
// line: the file is part of the source, so that which keys a release
// trusts is reviewed and versioned like its code, and every build (make
// dist, fyne package's Windows build, go build) carries them.
//
//go:embed release-keys.txt
var releaseKeys string

// BuiltinKeys are the release keys built into this program (none: it
// takes no update).
func BuiltinKeys() ([]rel.PublicKey, error) { return ParseKeys(releaseKeys) }

// ParseKeys reads a keys file: one public key a line, # comments.
func ParseKeys(text string) ([]rel.PublicKey, error) {
	var keys []rel.PublicKey
	for i, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := rel.ParsePublicKey(line)
		if err != nil {
			return nil, fmt.Errorf("release keys, line %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// DirName is where updates are kept inside the data directory.
const DirName = "updates"

// Options configure an Updater.
type Options struct {
	// Server is the sync server's address (the enrollment's).
	Server string
	// HTTP does the requests (nil: a client with Timeout per request).
	HTTP *http.Client
	// Dir keeps the download and the ready release (DATA/updates).
	Dir string
	// Keys are the trusted release keys (BuiltinKeys in the app).
	Keys []rel.PublicKey
	// Current is this program's release (version.String()); "dev" takes
	// no update.
	Current string
	// OS and Arch are the platform (runtime's by default).
	OS, Arch string
	// Piece is the bytes asked in one request (default 256 KiB: about
	// 20 s of a 100 kbit/s 2G link, so a cut costs at most that).
	Piece int64
	// Timeout bounds each request (default 2 minutes).
	Timeout time.Duration
	// Budget bounds the time one Check spends downloading (0: none): on a
	// slow link the download goes on with the next syncs (ErrLater), so
	// that it never holds the records back for long.
	Budget time.Duration
	Logger *slog.Logger
	// Managed is a program installed by the system's package manager (the
	// .deb: InstalledByPackage): a newer release is announced
	// (ManagedError), never downloaded nor installed. Installed from the
	// app, it would go to the person's ~/.local beside the package, and
	// the menu would open that copy for ever after, hiding every upgrade
	// the administrator installs with apt.
	Managed bool
	// start starts the installer or the new program (Apply; tests see the
	// command instead).
	start func(*exec.Cmd) error
}

// Updater fetches and keeps updates. Its methods are not for concurrent use.
type Updater struct{ o Options }

// New makes an Updater.
func New(o Options) *Updater {
	if o.OS == "" {
		o.OS = runtime.GOOS
	}
	if o.Arch == "" {
		o.Arch = runtime.GOARCH
	}
	if o.Piece <= 0 {
		o.Piece = 256 << 10
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.start == nil {
		o.start = (*exec.Cmd).Start
	}
	return &Updater{o: o}
}

// Ready is a release downloaded and verified, waiting for a restart.
type Ready struct {
	Manifest rel.Manifest `json:"manifest"`
	Path     string       `json:"path"` // the file, in Dir
}

// Progress is how far a download is.
type Progress struct {
	Manifest    *rel.Manifest
	Done, Total int64
}

var (
	// ErrNotNewer: the server offers no release newer than this program
	// (none at all, or this one). Nothing to do.
	ErrNotNewer = errors.New("no newer release")
	// ErrOlder is a signed release older than this program: it is never
	// installed (an old release's signature stays valid for ever, so a
	// server, or someone between it and the laptop, could offer one with
	// known bugs).
	ErrOlder = errors.New("the server offers an older release than this one; an update never goes back")
	// ErrManaged: this Kenesh was installed as a system package
	// (Options.Managed); its administrator updates it.
	ErrManaged = errors.New("this Kenesh was installed as a system package: the administrator updates it (apt), not the app")
	// ErrLater is a download that stopped at Options.Budget; the next
	// Check goes on where it stopped.
	ErrLater = errors.New("the download goes on with the next sync")
)

// IsRefusal reports whether err refused a release the server offers (not
// signed by a trusted key, not the file signed, older than this one), as
// opposed to a link or disk failing.
func IsRefusal(err error) bool {
	return errors.Is(err, rel.ErrUntrusted) || errors.Is(err, rel.ErrMismatch) || errors.Is(err, ErrOlder)
}

const readyFile = "ready.json"

// ManagedError is Check's answer, for a program installed as a system
// package (Options.Managed), when the server offers a newer release: it is
// announced, not fetched. errors.Is(err, ErrManaged) holds.
type ManagedError struct{ Version string }

func (e *ManagedError) Error() string {
	return fmt.Sprintf("update: the server offers %s; %v", e.Version, ErrManaged)
}

func (e *ManagedError) Is(target error) bool { return target == ErrManaged }

// dpkgInfo is where dpkg lists each installed package's files.
var dpkgInfo = "/var/lib/dpkg/info"

// InstalledByPackage reports whether this program is a file of Kenesh's
// Debian package (kenesh_VERSION_ARCH.deb, make dist-linux) as dpkg lists
// it, rather than a copy a person installed (install.sh of the .tar.xz, in
// ~/.local) or built: an updater for Options.Managed.
func InstalledByPackage() bool {
	if runtime.GOOS != "linux" {
		return false
	}
	exe, err := os.Executable()
	if err != nil {
		return false
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return listedByPackage(dpkgInfo, exe)
}

// listedByPackage reports whether dpkg's list of the kenesh package in
// info (kenesh.list, or kenesh:ARCH.list when multi-arch) names exe.
func listedByPackage(info, exe string) bool {
	lists, _ := filepath.Glob(filepath.Join(info, "kenesh:*.list"))
	for _, l := range append([]string{filepath.Join(info, "kenesh.list")}, lists...) {
		b, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line == exe {
				return true
			}
			// dpkg lists /usr/bin while the program may run as /bin
			// (a merged /usr), or the other way round.
			if r, err := filepath.EvalSymlinks(line); err == nil && line != "" && r == exe {
				return true
			}
		}
	}
	return false
}

// Check asks the server for the newest release of this platform and, when
// it is newer than this program and signed by a trusted key, fetches what
// is missing of it, a piece at a time, resuming where an earlier call
// stopped; once whole and checked against its manifest, it is kept ready
// (Ready). progress, if set, is told after each piece. A release that is
// not signed by a trusted key or whose file does not match its manifest
// changes nothing but the partial download, which is dropped.
func (u *Updater) Check(ctx context.Context, progress func(Progress)) (*Ready, error) {
	if u.o.Current == version.Dev {
		return nil, ErrNotNewer
	}
	cur, err := version.Parse(u.o.Current)
	if err != nil {
		return nil, fmt.Errorf("update: this program's release %q: %w", u.o.Current, err)
	}
	sig, err := u.latest(ctx)
	if err != nil {
		return nil, err
	}
	if sig == nil {
		return nil, ErrNotNewer
	}
	m, err := sig.Verify(u.o.Keys)
	if err != nil {
		u.o.Logger.Warn("update refused", "err", err)
		return nil, fmt.Errorf("update: %w", err)
	}
	if m.OS != u.o.OS || m.Arch != u.o.Arch {
		return nil, fmt.Errorf("update: %w: the server offers %s/%s for %s/%s", rel.ErrUntrusted, m.OS, m.Arch, u.o.OS, u.o.Arch)
	}
	switch nv, _ := version.Parse(m.Version); nv.Compare(cur) {
	case -1:
		u.o.Logger.Warn("update refused: older than this release", "offered", m.Version, "current", u.o.Current)
		return nil, fmt.Errorf("update: %w (the server offers %s, this is %s)", ErrOlder, m.Version, u.o.Current)
	case 0:
		u.tidy("")
		return nil, ErrNotNewer
	}
	if u.o.Managed {
		// Nothing is fetched (a download could never be installed); what
		// an earlier copy of Kenesh run from elsewhere left goes.
		u.tidy("")
		return nil, &ManagedError{Version: m.Version}
	}
	if r, err := u.Ready(); err == nil && r.Manifest.SHA256 == m.SHA256 {
		return r, nil
	}
	// What an earlier release left (a download the server replaced, a
	// release ready but superseded) goes.
	u.tidy(m.SHA256 + ".part")
	if err := os.MkdirAll(u.o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	part := filepath.Join(u.o.Dir, m.SHA256+".part")
	if err := u.fetch(ctx, m, part, progress); err != nil {
		if errors.Is(err, ErrLater) {
			u.o.Logger.Info("update: downloading", "version", m.Version, "err", err)
		}
		return nil, err
	}
	f, err := os.Open(part)
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	err = rel.CheckFile(m, f)
	f.Close()
	if err != nil {
		os.Remove(part)
		u.o.Logger.Warn("update refused: the file is not the one signed", "version", m.Version, "err", err)
		return nil, fmt.Errorf("update %s: %w", m.Version, err)
	}
	final := filepath.Join(u.o.Dir, m.File)
	if err := os.Rename(part, final); err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	r := &Ready{Manifest: *m, Path: final}
	b, _ := json.Marshal(struct {
		Signature *rel.Signature `json:"signature"`
		Path      string         `json:"path"`
	}{sig, final})
	if err := writeAtomic(filepath.Join(u.o.Dir, readyFile), b); err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	u.o.Logger.Info("update ready", "version", m.Version, "file", final)
	return r, nil
}

// Ready is the release kept ready by an earlier Check, verified again
// (signature and file) so that nothing changed on disk since is run.
func (u *Updater) Ready() (*Ready, error) {
	b, err := os.ReadFile(filepath.Join(u.o.Dir, readyFile))
	if err != nil {
		return nil, err
	}
	var kept struct {
		Signature *rel.Signature `json:"signature"`
		Path      string         `json:"path"`
	}
	if err := json.Unmarshal(b, &kept); err != nil || kept.Signature == nil {
		return nil, fmt.Errorf("update: %s is damaged", readyFile)
	}
	m, err := kept.Signature.Verify(u.o.Keys)
	if err != nil {
		return nil, err
	}
	cur, _ := version.Parse(u.o.Current)
	if nv, _ := version.Parse(m.Version); nv.Compare(cur) <= 0 {
		u.tidy("") // installed since: its installer is not needed
		return nil, ErrNotNewer
	}
	if filepath.Dir(kept.Path) != filepath.Clean(u.o.Dir) || filepath.Base(kept.Path) != m.File {
		return nil, fmt.Errorf("update: %s names another file", readyFile)
	}
	f, err := os.Open(kept.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := rel.CheckFile(m, f); err != nil {
		return nil, err
	}
	return &Ready{Manifest: *m, Path: kept.Path}, nil
}

func (u *Updater) url(path string) (string, error) {
	base, err := url.Parse(u.o.Server)
	if err != nil || base.Host == "" {
		return "", fmt.Errorf("update: server address %q", u.o.Server)
	}
	return strings.TrimSuffix(base.String(), "/") + path, nil
}

// latest is the server's newest release for this platform, nil when it
// has none (or serves no releases: an older server).
func (u *Updater) latest(ctx context.Context) (*rel.Signature, error) {
	addr, err := u.url(rel.PathLatest + "?os=" + url.QueryEscape(u.o.OS) + "&arch=" + url.QueryEscape(u.o.Arch))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, u.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
	if err != nil {
		return nil, err
	}
	resp, err := u.o.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("update: the server cannot be reached: %w", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return rel.Decode(resp.Body)
	case http.StatusNotFound:
		return nil, nil
	}
	return nil, fmt.Errorf("update: the server answered %s", resp.Status)
}

// fetch completes the partial file part, a piece at a time.
func (u *Updater) fetch(ctx context.Context, m *rel.Manifest, part string, progress func(Progress)) error {
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	defer f.Close()
	have, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if have > m.Size {
		if err := f.Truncate(0); err != nil {
			return fmt.Errorf("update: %w", err)
		}
		have, _ = f.Seek(0, io.SeekStart)
	}
	addr, err := u.url(rel.PathFile + m.SHA256)
	if err != nil {
		return err
	}
	started, first := time.Now(), true
	for have < m.Size {
		// At least a piece a check, however slow the link.
		if u.o.Budget > 0 && time.Since(started) >= u.o.Budget && !first {
			return fmt.Errorf("update %s: %d of %d bytes: %w", m.Version, have, m.Size, ErrLater)
		}
		first = false
		end := min(have+u.o.Piece, m.Size) - 1
		n, err := u.piece(ctx, addr, f, have, end)
		if err != nil {
			return fmt.Errorf("update %s: %d of %d bytes so far: %w", m.Version, have+n, m.Size, err)
		}
		have += n
		if progress != nil {
			progress(Progress{Manifest: m, Done: have, Total: m.Size})
		}
	}
	return f.Sync()
}

// piece asks bytes [from, to] and writes what arrives at from, synced, so
// that a cut keeps what came.
func (u *Updater) piece(ctx context.Context, addr string, f *os.File, from, to int64) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, u.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Range", "bytes="+strconv.FormatInt(from, 10)+"-"+strconv.FormatInt(to, 10))
	resp, err := u.o.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		return 0, fmt.Errorf("the server answered %s to a range", resp.Status)
	}
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, to-from+1))
	if serr := f.Sync(); err == nil {
		err = serr
	}
	return n, err
}

// tidy removes what Dir holds but keep (a download under way): old
// downloads, installers of releases installed since, unpacked archives.
func (u *Updater) tidy(keep string) {
	ents, err := os.ReadDir(u.o.Dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Name() == keep {
			continue
		}
		if err := os.RemoveAll(filepath.Join(u.o.Dir, e.Name())); err != nil {
			u.o.Logger.Warn("update: tidying", "err", err)
		}
	}
}

func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
