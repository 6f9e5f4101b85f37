package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/update"
	rel "github.com/kenesh/kenesh/shared/release"
)

func init() {
	register(command{Name: "release", Summary: "app updates, on the release manager's offline machine: release keygen --out KEYFILE | release sign --key KEYFILE [--version V --os OS --arch ARCH] FILE (writes FILE.sig) | release verify [--trust KEY]... FILE", Run: runRelease})
}

// distName is how make dist names a release's files:
// kenesh-0.6.0-windows-amd64-setup.exe, kenesh-0.6.0-linux-amd64.tar.xz.
var distName = regexp.MustCompile(`^kenesh-([0-9]+\.[0-9]+\.[0-9]+)-([a-z0-9]+)-([a-z0-9]+)[.-]`)

// runRelease signs app releases. The private key is a file on the release
// manager's machine, never the server's: the server publishes what was
// signed here, and every laptop checks it against the public keys built
// into it (desktop/internal/update/release-keys.txt).
func runRelease(_ context.Context, e *env, args []string) error {
	const usage = "usage: keneshctl release keygen|sign|verify ..."
	if len(args) == 0 {
		return usagef(usage)
	}
	switch args[0] {
	case "keygen":
		fs := flags(e, "release keygen")
		out := fs.String("out", "", "the private key's file, made new with mode 0600 (required); keep it offline")
		if _, err := parse(fs, args[1:], 0, "--out KEYFILE"); err != nil {
			return err
		}
		if *out == "" {
			return usagef("--out KEYFILE is required")
		}
		pub, err := rel.GenerateKey(*out)
		if err != nil {
			return err
		}
		return e.print(map[string]any{"private_key": *out, "public_key": pub.String(),
			"next": "add public_key to desktop/internal/update/release-keys.txt before building the releases laptops install"})
	case "sign":
		fs := flags(e, "release sign")
		keyFile := fs.String("key", "", "the private key's file (keneshctl release keygen; required)")
		ver := fs.String("version", "", "the release (default: from the file's name, kenesh-VERSION-OS-ARCH...)")
		goos := fs.String("os", "", "the platform it is for: windows, linux (default: from the file's name)")
		arch := fs.String("arch", "", "the processor it is for: amd64, arm64 (default: from the file's name)")
		pos, err := parse(fs, args[1:], 1, "--key KEYFILE [--version V --os OS --arch ARCH] FILE")
		if err != nil {
			return err
		}
		if *keyFile == "" {
			return usagef("--key KEYFILE is required")
		}
		if m := distName.FindStringSubmatch(filepath.Base(pos[0])); m != nil {
			if *ver == "" {
				*ver = m[1]
			}
			if *goos == "" {
				*goos = m[2]
			}
			if *arch == "" {
				*arch = m[3]
			}
		}
		if *ver == "" || *goos == "" || *arch == "" {
			return usagef("%s is not named kenesh-VERSION-OS-ARCH...: give --version, --os and --arch", pos[0])
		}
		priv, err := rel.LoadKey(*keyFile)
		if err != nil {
			return err
		}
		m, err := rel.Describe(pos[0], *ver, *goos, *arch, time.Now())
		if err != nil {
			return fmt.Errorf("sign %s: %w", pos[0], err)
		}
		sig, err := rel.Sign(priv, m)
		if err != nil {
			return fmt.Errorf("sign %s: %w", pos[0], err)
		}
		// Not indented: that would indent the signed manifest too.
		b, err := json.Marshal(sig)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(pos[0]+".sig", bytes.NewReader(append(b, '\n')), int64(len(b)+1)); err != nil {
			return err
		}
		// Public, and read on the server by its own user (kenesh-admin).
		if err := os.Chmod(pos[0]+".sig", 0o644); err != nil {
			return err
		}
		return e.print(map[string]any{"signature": pos[0] + ".sig", "manifest": m, "key": sig.Key})
	case "verify":
		fs := flags(e, "release verify")
		var trust []rel.PublicKey
		fs.Func("trust", "a public key to check against (kenesh-release-key:...), may be repeated (default: the keys built into this keneshctl)", func(s string) error {
			k, err := rel.ParsePublicKey(s)
			trust = append(trust, k)
			return err
		})
		sigFile := fs.String("sig", "", "the signature (default FILE.sig)")
		pos, err := parse(fs, args[1:], 1, "[--trust KEY]... [--sig FILE.sig] FILE")
		if err != nil {
			return err
		}
		if len(trust) == 0 {
			if trust, err = update.BuiltinKeys(); err != nil {
				return err
			}
		}
		if *sigFile == "" {
			*sigFile = pos[0] + ".sig"
		}
		sf, err := os.Open(*sigFile)
		if err != nil {
			return err
		}
		sig, err := rel.Decode(sf)
		sf.Close()
		if err != nil {
			return err
		}
		m, err := sig.Verify(trust)
		if err != nil {
			return fmt.Errorf("verify %s: %w", pos[0], err)
		}
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		if err := rel.CheckFile(m, f); err != nil {
			return fmt.Errorf("verify %s: %w", pos[0], err)
		}
		return e.print(map[string]any{"verified": m, "key": sig.Key})
	}
	return usagef(usage)
}
