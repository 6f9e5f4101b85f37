package keyfile

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Name is the key file's name inside a data directory.
const Name = "kenesh.key"

// KeySize is the size of the store key: Badger uses AES-256.
const KeySize = 32

var (
	// ErrWrongPassphrase is returned when the passphrase does not unlock the key.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrNoKey is returned when a directory holds no key file.
	ErrNoKey = errors.New("no Kenesh store here")
	// ErrExists is returned when creating a key where one already is.
	ErrExists = errors.New("a Kenesh store already exists here")
)

// Params are Argon2id's cost parameters, stored with the key so they can be
// raised later without breaking existing stores.
type Params struct {
	Time    uint32 `json:"time"`
	MemKiB  uint32 `json:"memory_kib"`
	Threads uint8  `json:"threads"`
}

// DefaultParams take about half a second on a modest laptop and 64 MiB of
// memory: slow for someone guessing passphrases of a stolen laptop, fast
// enough for the secretary unlocking it (RFC 9106 second recommendation).
var DefaultParams = Params{Time: 3, MemKiB: 64 * 1024, Threads: 2}

// TestParams are cheap, for tests only.
var TestParams = Params{Time: 1, MemKiB: 8 * 1024, Threads: 1}

// MinPassphraseLen is the shortest passphrase accepted.
const MinPassphraseLen = 8

type file struct {
	Version int    `json:"version"`
	KDF     string `json:"kdf"`
	Params  Params `json:"params"`
	Salt    []byte `json:"salt"`
	Nonce   []byte `json:"nonce"`
	Wrapped []byte `json:"wrapped_key"`
}

// Sealed is a wrapped key, as stored in the key file or inside a backup.
type Sealed struct{ f file }

// Seal wraps key with a key derived from passphrase.
func Seal(key []byte, passphrase string, p Params) (*Sealed, error) {
	if len(passphrase) < MinPassphraseLen {
		return nil, fmt.Errorf("passphrase is too short: use at least %d characters", MinPassphraseLen)
	}
	f := file{Version: 1, KDF: "argon2id", Params: p, Salt: make([]byte, 16), Nonce: make([]byte, chacha20poly1305.NonceSizeX)}
	if _, err := rand.Read(f.Salt); err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	if _, err := rand.Read(f.Nonce); err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	aead, err := chacha20poly1305.NewX(derive(passphrase, f.Salt, p))
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	f.Wrapped = aead.Seal(nil, f.Nonce, key, []byte("kenesh store key v1"))
	return &Sealed{f: f}, nil
}

// Open unwraps the key; a wrong passphrase is ErrWrongPassphrase.
func (s *Sealed) Open(passphrase string) ([]byte, error) {
	if s.f.Version != 1 || s.f.KDF != "argon2id" {
		return nil, fmt.Errorf("key file version %d (%s) is not supported by this version of Kenesh; update Kenesh", s.f.Version, s.f.KDF)
	}
	aead, err := chacha20poly1305.NewX(derive(passphrase, s.f.Salt, s.f.Params))
	if err != nil {
		return nil, fmt.Errorf("open key: %w", err)
	}
	if len(s.f.Nonce) != aead.NonceSize() {
		return nil, fmt.Errorf("open key: the key file is damaged (bad nonce)")
	}
	key, err := aead.Open(nil, s.f.Nonce, s.f.Wrapped, []byte("kenesh store key v1"))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return key, nil
}

// MarshalJSON and UnmarshalJSON let a backup carry the sealed key.
func (s *Sealed) MarshalJSON() ([]byte, error) { return json.Marshal(s.f) }
func (s *Sealed) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &s.f) }

func derive(passphrase string, salt []byte, p Params) []byte {
	if p.Threads == 0 {
		p.Threads = 1
	}
	return argon2.IDKey([]byte(passphrase), salt, p.Time, p.MemKiB, p.Threads, chacha20poly1305.KeySize)
}

// Create makes a new random store key in dir, sealed with passphrase.
func Create(dir, passphrase string, p Params) ([]byte, error) {
	if _, err := os.Stat(filepath.Join(dir, Name)); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, dir)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	s, err := Seal(key, passphrase, p)
	if err != nil {
		return nil, err
	}
	if err := Write(dir, s); err != nil {
		return nil, err
	}
	return key, nil
}

// Read loads the sealed key of dir.
func Read(dir string) (*Sealed, error) {
	b, err := os.ReadFile(filepath.Join(dir, Name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no %s (create one with 'keneshctl --data %s init')", ErrNoKey, dir, Name, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	var s Sealed
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read key file %s: damaged (%v); restore the store from a backup", filepath.Join(dir, Name), err)
	}
	return &s, nil
}

// Unlock reads and opens the key of dir.
func Unlock(dir, passphrase string) ([]byte, error) {
	s, err := Read(dir)
	if err != nil {
		return nil, err
	}
	return s.Open(passphrase)
}

// Change re-seals the key of dir under a new passphrase. The old file is
// replaced atomically: a crash leaves either the old or the new passphrase
// working, never neither.
func Change(dir, oldPass, newPass string, p Params) error {
	key, err := Unlock(dir, oldPass)
	if err != nil {
		return err
	}
	s, err := Seal(key, newPass, p)
	if err != nil {
		return err
	}
	return Write(dir, s)
}

// Write stores s as dir's key file, atomically and durably.
func Write(dir string, s *Sealed) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	tmp, err := os.CreateTemp(dir, Name+".*.tmp")
	if err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write key file: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, Name)); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	// Windows cannot fsync a directory; its rename is durable without it.
	if err := d.Sync(); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
