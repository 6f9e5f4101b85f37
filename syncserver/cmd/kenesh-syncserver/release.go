package main

import (
	"errors"
	"path/filepath"

	rel "github.com/kenesh/kenesh/shared/release"
	"github.com/kenesh/kenesh/syncserver/internal/release"
)

// adminRelease publishes an app release, or lists those published. It
// writes the releases directory itself (the running server reads it at
// each request): no signing key is ever here, only the signature made
// offline, which is checked before anything is kept.
func adminRelease(e *env, w *where, releases string, args []string) error {
	if len(args) == 0 {
		return usagef("usage: kenesh-syncserver admin release {publish|list} ...")
	}
	fs := flags(e, "admin release "+args[0])
	dir := fs.String("releases", releases, "the releases directory (default DATA/releases, as serve's --releases)")
	sigFile := fs.String("sig", "", "the release's signature (default FILE.sig)")
	var trusted []rel.PublicKey
	fs.Func("trust", "a release public key (kenesh-release-key:...) the signature must be made with; may be repeated (default: the key the signature names)", func(s string) error {
		k, err := rel.ParsePublicKey(s)
		if err == nil {
			trusted = append(trusted, k)
		}
		return err
	})
	open := func() (*release.Store, error) {
		d := *dir
		if d == "" {
			if *w.data == "" {
				return nil, usagef("--releases DIR is required with --postgres")
			}
			d = filepath.Join(*w.data, "releases")
		}
		return release.Open(d)
	}
	switch args[0] {
	case "publish":
		pos, err := parse(fs, args[1:], 1, "[--releases DIR] [--sig FILE.sig] [--trust KEY]... FILE")
		if err != nil {
			return err
		}
		s, err := open()
		if err != nil {
			return err
		}
		sig := *sigFile
		if sig == "" {
			sig = pos[0] + ".sig"
		}
		m, err := s.Publish(pos[0], sig, trusted)
		if err != nil {
			return err
		}
		return printJSON(e, map[string]any{"published": m})
	case "list":
		if _, err := parse(fs, args[1:], 0, "[--releases DIR]"); err != nil {
			return err
		}
		s, err := open()
		if err != nil {
			return err
		}
		list, err := s.List()
		if err != nil {
			return err
		}
		return printJSON(e, list)
	}
	return errors.Join(usagef("unknown release command %q", args[0]))
}
