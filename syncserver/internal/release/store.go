package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/kenesh/kenesh/internal/version"
	rel "github.com/kenesh/kenesh/shared/release"
)

// Store keeps published releases in a directory, readable by the server's
// user only:
//
//	SHA256               a release file, named by its content
//	SHA256.sig           its signature (release.Signature, JSON)
//	latest-OS-ARCH.sig   the signature of the newest release for a platform
//
// Every file is written beside its place and renamed into it, so a reader
// (the running server) sees a release whole or not at all; an
// administrator publishing with the server running needs no word with it.
type Store struct{ dir string }

// Open opens (or makes) the directory.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("releases: %w", err)
	}
	return &Store{dir: dir}, nil
}

// ErrOlder is a release no newer than the one already published for its
// platform: laptops would never take it.
var ErrOlder = errors.New("a release as new or newer is already published for that platform")

// Publish takes the release file at path and its signature (FILE.sig,
// made offline): the signature must verify with the key it names, and
// with one of trusted when any is given (the server holds no signing key,
// only, optionally, the public keys it accepts); the file must be the one
// the manifest describes and the release newer than the platform's latest.
func (s *Store) Publish(path, sigPath string, trusted []rel.PublicKey) (*rel.Manifest, error) {
	sf, err := os.Open(sigPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("publish: the signature: %w (sign the file offline first: keneshctl release sign)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("publish: the signature: %w (the server's user must be able to read it and the file)", err)
	}
	sig, err := rel.Decode(sf)
	sf.Close()
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	var m *rel.Manifest
	if len(trusted) > 0 {
		m, err = sig.Verify(trusted)
	} else {
		m, _, err = sig.SelfVerify()
	}
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", sigPath, err)
	}
	if latest, err := s.Latest(m.OS, m.Arch); err == nil {
		lm, _, _ := latest.SelfVerify()
		if lm != nil && compare(m.Version, lm.Version) <= 0 {
			return nil, fmt.Errorf("publish %s %s for %s/%s: %w (%s)", m.File, m.Version, m.OS, m.Arch, ErrOlder, lm.Version)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	defer f.Close()
	tmp, err := os.CreateTemp(s.dir, ".incoming-*")
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	defer os.Remove(tmp.Name())
	// Copied and checked in one pass: what is kept is what was checked.
	if err := rel.CheckFile(m, io.TeeReader(f, tmp)); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("publish %s: %w", path, err)
	}
	if err := syncClose(tmp); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, m.SHA256)); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	// What laptops get is checked as they will check it (encoding/json
	// compacts the manifest: a signature over an indented one would fail).
	b, _ := json.Marshal(sig)
	if again, err := rel.Decode(bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	} else if _, _, err := again.SelfVerify(); err != nil {
		return nil, fmt.Errorf("publish %s: the signature does not survive being sent (sign with keneshctl release sign): %w", sigPath, err)
	}
	if err := s.writeFile(m.SHA256+".sig", b); err != nil {
		return nil, err
	}
	if err := s.writeFile("latest-"+m.OS+"-"+m.Arch+".sig", b); err != nil {
		return nil, err
	}
	return m, nil
}

func syncClose(f *os.File) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *Store) writeFile(name string, b []byte) error {
	tmp, err := os.CreateTemp(s.dir, ".incoming-*")
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("publish: %w", err)
	}
	if err := syncClose(tmp); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return os.Rename(tmp.Name(), filepath.Join(s.dir, name))
}

var platform = regexp.MustCompile(`^[a-z0-9]{1,16}$`)

// ErrNone is a platform with no release published.
var ErrNone = errors.New("no release published for that platform")

// Latest is the signature of the newest release for a platform.
func (s *Store) Latest(goos, arch string) (*rel.Signature, error) {
	if !platform.MatchString(goos) || !platform.MatchString(arch) {
		return nil, ErrNone
	}
	f, err := os.Open(filepath.Join(s.dir, "latest-"+goos+"-"+arch+".sig"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNone
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return rel.Decode(f)
}

// List is every platform's latest release, sorted.
func (s *Store) List() ([]rel.Manifest, error) {
	names, err := filepath.Glob(filepath.Join(s.dir, "latest-*.sig"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := []rel.Manifest{}
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			return nil, err
		}
		sig, err := rel.Decode(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		m, _, err := sig.SelfVerify()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, *m)
	}
	return out, nil
}

var sha = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Handler serves PathLatest and PathFile.
func (s *Store) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+rel.PathLatest, func(w http.ResponseWriter, r *http.Request) {
		sig, err := s.Latest(r.URL.Query().Get("os"), r.URL.Query().Get("arch"))
		if err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"code": "not_found", "message": err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		json.NewEncoder(w).Encode(sig)
	})
	mux.HandleFunc("GET "+rel.PathFile+"{sha}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("sha")
		if !sha.MatchString(name) {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(filepath.Join(s.dir, name))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			http.Error(w, "release file", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		// Named by its content: never changes, a cache may keep it.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("ETag", `"`+name+`"`)
		http.ServeContent(w, r, "", fi.ModTime(), f)
	})
	return mux
}

// compare orders two releases (version.Parse; an unreadable one is oldest).
func compare(a, b string) int {
	ra, ea := version.Parse(a)
	rb, eb := version.Parse(b)
	switch {
	case ea != nil && eb != nil:
		return strings.Compare(a, b)
	case ea != nil:
		return -1
	case eb != nil:
		return 1
	}
	return ra.Compare(rb)
}
