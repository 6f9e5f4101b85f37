package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// DataKey reads the data key of the server whose data is in dataDir from
// loc (DATA.key beside it when loc is zero), making it when there is none
// yet: at the first start, or for a store from before encryption at rest
// (which store.Open then encrypts). For encrypted data whose key file is
// missing it says what to do; it never makes a new key for them.
func DataKey(dataDir string, loc serverkey.Location, log *slog.Logger) ([]byte, error) {
	if loc.Path == "" {
		var err error
		if loc, err = serverkey.Locate(dataDir, "", func(string) string { return "" }); err != nil {
			return nil, err
		}
	}
	key, err := serverkey.Load(loc.Path)
	if !errors.Is(err, serverkey.ErrMissing) {
		return key, err
	}
	enc, eerr := badgerstore.IsEncrypted(dataDir)
	switch {
	case eerr != nil:
		return nil, eerr
	case enc:
		return nil, fmt.Errorf("%w: the data in %s is encrypted with the key that was in %s: put that file back from where it is kept safe, or name it with --key-file (or $%s)",
			serverkey.ErrMissing, dataDir, loc.Path, serverkey.EnvFile)
	case loc.Credential:
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(loc.Path), 0o700); err != nil {
		return nil, fmt.Errorf("the data key: %w", err)
	}
	if key, err = serverkey.Create(loc.Path); err != nil {
		return nil, fmt.Errorf("%w: give --key-file PATH (outside the data directory) or a systemd credential %s", err, serverkey.Credential)
	}
	if log != nil {
		log.Warn("made a new data key: keep a copy of this file safe, apart from the data and its backups; without it they cannot be read",
			"key_file", loc.Path)
	}
	return key, nil
}

// OpenStore opens the store in dataDir encrypted with the data key at loc
// (made at the first start; see DataKey), and returns it with its key. A
// key rotation a crash interrupted (RotateKey) is finished here.
func OpenStore(ctx context.Context, dataDir string, loc serverkey.Location, o badgerstore.Options) (*badgerstore.Store, []byte, error) {
	key, err := DataKey(dataDir, loc, o.Logger)
	if err != nil {
		return nil, nil, err
	}
	o.Key = key
	st, err := badgerstore.Open(ctx, dataDir, o)
	if errors.Is(err, badgerstore.ErrWrongKey) {
		if next, nerr := serverkey.Load(loc.Path + newSuffix); nerr == nil {
			o.Key = next
			if st, err = badgerstore.Open(ctx, dataDir, o); err == nil {
				if _, err = finishRotation(loc.Path); err != nil {
					st.Close()
					return nil, nil, err
				}
				return st, next, nil
			}
		}
		return nil, nil, fmt.Errorf("%w (key file %s)", err, loc.Path)
	}
	return st, key, err
}

// newSuffix names the new key beside the key file during a rotation.
const newSuffix = ".new"

// RotateKey gives the store in dataDir a new data key: the new key is
// written beside the key file, the store's key registry re-encrypted
// under it, then the key file replaced; the old key is kept as
// KEY.old-DATE, for backups made to it (move it offline, or delete it
// once no backup needs it). The server must be stopped. A crash midway is finished at
// the next open. It returns the old key file's new path.
func RotateKey(dataDir string, loc serverkey.Location) (string, error) {
	if loc.Credential {
		return "", errors.New("the key is a systemd credential: rotate it where the credential is kept (write a new key with rotate-key --key-file NEW on a copy, then point the credential at it)")
	}
	old, err := serverkey.Load(loc.Path)
	if err != nil {
		return "", err
	}
	if enc, err := badgerstore.IsEncrypted(dataDir); err != nil || !enc {
		if err == nil {
			err = fmt.Errorf("%s holds no encrypted store", dataDir)
		}
		return "", err
	}
	next := loc.Path + newSuffix
	os.Remove(next) // a rotation that never re-keyed the store
	key, err := serverkey.Create(next)
	if err != nil {
		return "", err
	}
	if err := badgerstore.RotateKey(dataDir, old, key); err != nil {
		os.Remove(next)
		return "", err
	}
	return finishRotation(loc.Path)
}

// finishRotation puts the new key in place of the old, which it keeps
// beside, and returns the old one's path.
func finishRotation(path string) (string, error) {
	old := path + ".old-" + time.Now().UTC().Format("20060102T150405")
	if err := os.Rename(path, old); err != nil {
		return "", fmt.Errorf("finish the key rotation: %w", err)
	}
	if err := os.Rename(path+newSuffix, path); err != nil {
		return "", fmt.Errorf("finish the key rotation: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return old, nil
}
