package update

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrCannotApply is a release this laptop cannot install by itself (a
// package of another kind than its platform's): the person is told where
// the file is.
var ErrCannotApply = errors.New("this kind of release cannot be installed from the app")

// Apply installs a release Ready gave and starts the new program; the
// caller then quits at once (the records are safe: every save is already
// in the store). Nothing is changed when the release no longer verifies.
//
//   - Windows: the installer (setup.exe) runs silently with /RESTART: it
//     waits for this program to end, replaces it where it is installed
//     (for this person, no administrator rights) and starts it again, on
//     the same data directory (KENESH_DATA; args are not passed).
//   - Linux: the archive (.tar.xz) is unpacked into Dir and its install.sh
//     installs it for this person in ~/.local, as a person installing it
//     by hand would; the new program starts with args. A Kenesh installed
//     with the .deb (Options.Managed) takes no update from the app: its
//     administrator upgrades the package.
func (u *Updater) Apply(ctx context.Context, args []string) error {
	if u.o.Managed {
		return fmt.Errorf("update: %w", ErrManaged)
	}
	r, err := u.Ready()
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	m := r.Manifest
	switch {
	case m.OS == "windows" && strings.HasSuffix(m.File, ".exe"):
		cmd := exec.Command(r.Path, "/S", "/RESTART")
		cmd.Dir = u.o.Dir
		// The installer starts Kenesh.exe again without arguments, but
		// with its own environment, which is this program's: a Kenesh
		// started with --data DIR would otherwise come back on the
		// default directory and look empty. KENESH_DATA names the
		// directory Dir is in (the app's DATA\updates).
		if filepath.Base(u.o.Dir) == DirName {
			cmd.Env = append(os.Environ(), "KENESH_DATA="+filepath.Dir(u.o.Dir))
		}
		if err := u.o.start(cmd); err != nil {
			return fmt.Errorf("update %s: starting the installer: %w", m.Version, err)
		}
		u.o.Logger.Info("update: the installer runs", "version", m.Version)
		return nil
	case m.OS == "linux" && strings.HasSuffix(m.File, ".tar.xz"):
		return u.applyArchive(ctx, r, args)
	}
	return fmt.Errorf("update %s: %w (%s)", m.Version, ErrCannotApply, r.Path)
}

func (u *Updater) applyArchive(ctx context.Context, r *Ready, args []string) error {
	m := r.Manifest
	dir := filepath.Join(u.o.Dir, "unpacked-"+m.Version)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	defer os.RemoveAll(dir)
	// Debian's tar and xz (xz-utils is priority required): Go's library has
	// no xz, and the archive is make dist's.
	if out, err := exec.CommandContext(ctx, "tar", "-xJf", r.Path, "-C", dir, "--no-same-owner").CombinedOutput(); err != nil {
		return fmt.Errorf("update %s: unpacking: %w: %s", m.Version, err, strings.TrimSpace(string(out)))
	}
	scripts, _ := filepath.Glob(filepath.Join(dir, "*", "install.sh"))
	if len(scripts) != 1 {
		return fmt.Errorf("update %s: the archive holds no install.sh", m.Version)
	}
	cmd := exec.CommandContext(ctx, "sh", scripts[0])
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("update %s: install.sh: %w: %s", m.Version, err, strings.TrimSpace(string(out)))
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	// install.sh puts the program here (packaging/linux/install.sh).
	next := exec.Command(filepath.Join(home, ".local", "bin", "kenesh"), args...)
	next.Stdout, next.Stderr = os.Stdout, os.Stderr
	if err := u.o.start(next); err != nil {
		return fmt.Errorf("update %s: installed, but starting it: %w", m.Version, err)
	}
	u.o.Logger.Info("update: installed", "version", m.Version, "program", next.Path)
	return nil
}
