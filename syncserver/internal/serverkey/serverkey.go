package serverkey

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
)

// Size is the key's length: AES-256, as Badger takes it.
const Size = 32

// Where a key file is found, in order: --key-file, then the environment,
// then a systemd credential, then beside the data directory.
const (
	// EnvFile names the key file.
	EnvFile = "KENESH_SERVER_KEY_FILE"
	// Credential is the name of a systemd credential holding the key
	// (LoadCredential=kenesh-server-key:/etc/kenesh/server.key), read from
	// $CREDENTIALS_DIRECTORY.
	Credential = "kenesh-server-key"
)

var (
	// ErrMissing is a key file that is not there for data that needs it.
	ErrMissing = errors.New("the key file is missing")
	// ErrInside is a key file inside the data directory, which would let
	// whoever copies the directory read it.
	ErrInside = errors.New("the key file must not be inside the data directory")
)

// Location is where a server's key file is, and how it was chosen.
type Location struct {
	Path string
	// Credential is true for a systemd credential: read-only, never made
	// here.
	Credential bool
}

// Locate finds the key file of the server whose data is in dataDir: flag
// (--key-file) if set, else $KENESH_SERVER_KEY_FILE, else the systemd
// credential kenesh-server-key if $CREDENTIALS_DIRECTORY holds it, else
// DATA.key beside the data directory (for /var/lib/kenesh,
// /var/lib/kenesh.key).
func Locate(dataDir, flag string, getenv func(string) string) (Location, error) {
	loc := Location{Path: flag}
	if loc.Path == "" {
		loc.Path = getenv(EnvFile)
	}
	if loc.Path == "" {
		if dir := getenv("CREDENTIALS_DIRECTORY"); dir != "" {
			if p := filepath.Join(dir, Credential); exists(p) {
				loc = Location{Path: p, Credential: true}
			}
		}
	}
	if loc.Path == "" {
		loc.Path = filepath.Clean(dataDir) + ".key"
	}
	abs, err := filepath.Abs(loc.Path)
	if err != nil {
		return loc, err
	}
	data, err := filepath.Abs(dataDir)
	if err != nil {
		return loc, err
	}
	if rel, err := filepath.Rel(data, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return loc, fmt.Errorf("%w: %s is in %s (keep it where a copy of the data directory does not take it)", ErrInside, loc.Path, dataDir)
	}
	loc.Path = abs
	return loc, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

const header = "# kenesh-syncserver data key. Keep it safe and apart from the data directory and its backups:\n" +
	"# without it the data and the backups made to it cannot be read; with it, anyone who has them can.\n"

// Load reads a key file. A missing file is ErrMissing.
func Load(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrMissing, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read the key file: %w", err)
	}
	var hexKey string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			hexKey = line
			break
		}
	}
	key, err := hex.DecodeString(hexKey)
	if err != nil || len(key) != Size {
		return nil, fmt.Errorf("%s is not a kenesh-syncserver key file (want %d hexadecimal characters on a line)", path, 2*Size)
	}
	return key, nil
}

// Create makes a new random key and writes it to path, which must not
// exist, with mode 0600, synced before it returns.
func Create(path string) ([]byte, error) {
	key := make([]byte, Size)
	rand.Read(key)
	if err := Write(path, key); err != nil {
		return nil, err
	}
	return key, nil
}

// Write writes key to a new file at path (mode 0600), synced.
func Write(path string, key []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create the key file: %w", err)
	}
	_, err = f.WriteString(header + hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write the key file: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// BackupIdentity is the age identity backups are encrypted to when the
// operator names no recipient: derived from the key (HKDF-SHA256), so the
// key file alone restores them. Its String is a standard age secret key
// (AGE-SECRET-KEY-1...), which the age tool opens too.
func BackupIdentity(key []byte) (*age.X25519Identity, error) {
	scalar, err := hkdf.Key(sha256.New, key, nil, "kenesh-syncserver backup identity v1", 32)
	if err != nil {
		return nil, err
	}
	return age.ParseX25519Identity(strings.ToUpper(bech32Encode("age-secret-key-", scalar)))
}
