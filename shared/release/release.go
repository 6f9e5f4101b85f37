package release

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"
)

// Manifest describes one release file.
type Manifest struct {
	Product string `json:"product"` // always "kenesh"
	// Version is the release ("0.6.0"); a laptop takes only a newer one.
	Version string `json:"version"`
	// OS and Arch are the platform it is for, as Go names them
	// ("windows", "amd64").
	OS   string `json:"os"`
	Arch string `json:"arch"`
	// File is the file's name ("kenesh-0.6.0-windows-amd64-setup.exe"):
	// what it is kept as, and what the laptop runs or unpacks.
	File   string    `json:"file"`
	Size   int64     `json:"size"`
	SHA256 string    `json:"sha256"` // hex
	Signed time.Time `json:"signed"`
}

// Product is the product every manifest names.
const Product = "kenesh"

// Signature is a manifest and its detached Ed25519 signature, as the
// signing command writes it beside the file (FILE.sig) and the server
// hands it to laptops. Manifest holds exactly the bytes signed.
type Signature struct {
	Manifest json.RawMessage `json:"manifest"`
	Key      string          `json:"key"` // the signing public key, PublicKey.String()
	Sig      string          `json:"sig"` // base64 Ed25519 over domain + Manifest
}

// domain separates these signatures from any other use of the key.
const domain = "kenesh-release-v1\n"

var (
	// ErrUntrusted is a signature by a key the laptop does not trust, or
	// none that verifies: the file is not taken.
	ErrUntrusted = errors.New("the release is not signed by a key this Kenesh trusts")
	// ErrMismatch is a file that is not the one its manifest describes
	// (damaged or tampered with): it is not taken.
	ErrMismatch = errors.New("the file is not the one its signed manifest describes")
)

var fileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Check says what is wrong with a manifest, or nothing.
func (m *Manifest) Check() error {
	switch {
	case m.Product != Product:
		return fmt.Errorf("manifest: product %q, want %q", m.Product, Product)
	case !versionRe.MatchString(m.Version):
		return fmt.Errorf("manifest: version %q is not MAJOR.MINOR.PATCH", m.Version)
	case m.OS == "" || m.Arch == "" || strings.ContainsAny(m.OS+m.Arch, "/\\. "):
		return fmt.Errorf("manifest: platform %q/%q", m.OS, m.Arch)
	case !fileName.MatchString(m.File):
		return fmt.Errorf("manifest: file name %q (letters, digits, . _ - only)", m.File)
	case m.Size <= 0:
		return fmt.Errorf("manifest: size %d", m.Size)
	}
	if b, err := hex.DecodeString(m.SHA256); err != nil || len(b) != sha256.Size {
		return fmt.Errorf("manifest: sha256 %q", m.SHA256)
	}
	return nil
}

var versionRe = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// PublicKey is a release signing key's public half.
type PublicKey ed25519.PublicKey

// keyPrefix starts the text form of a public key, so that one is not
// mistaken for anything else.
const keyPrefix = "kenesh-release-key:"

func (k PublicKey) String() string { return keyPrefix + base64.StdEncoding.EncodeToString(k) }

// ParsePublicKey reads PublicKey.String's form.
func ParsePublicKey(s string) (PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), keyPrefix))
	if err != nil || len(b) != ed25519.PublicKeySize || !strings.HasPrefix(strings.TrimSpace(s), keyPrefix) {
		return nil, fmt.Errorf("%.40q is not a release public key (%s...)", s, keyPrefix)
	}
	return PublicKey(b), nil
}

// ParsePublicKeys reads keys separated by commas, spaces or new lines
// (empty: none).
func ParsePublicKeys(s string) ([]PublicKey, error) {
	var keys []PublicKey
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		k, err := ParsePublicKey(f)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// privateHeader is the first line of a private key file.
const privateHeader = "# kenesh release signing key: keep it offline, never on the server\n"

// GenerateKey makes a signing key and writes its private half to path (a
// new file, mode 0600).
func GenerateKey(path string) (PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("release key: %w", err)
	}
	_, err = fmt.Fprintf(f, "%s%s\n", privateHeader, base64.StdEncoding.EncodeToString(priv.Seed()))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("release key: %w", err)
	}
	return PublicKey(pub), nil
}

// LoadKey reads a private key file GenerateKey wrote.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("release key: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		seed, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(seed) != ed25519.SeedSize {
			break
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	return nil, fmt.Errorf("release key: %s is not a release signing key", path)
}

// Describe reads a file and makes its manifest.
func Describe(path, version, goos, arch string, now time.Time) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, err
	}
	name := path[strings.LastIndexAny(path, `/\`)+1:]
	m := &Manifest{Product: Product, Version: version, OS: goos, Arch: arch, File: name, Size: n,
		SHA256: hex.EncodeToString(h.Sum(nil)), Signed: now.UTC().Truncate(time.Second)}
	return m, m.Check()
}

// Sign signs a manifest.
func Sign(priv ed25519.PrivateKey, m *Manifest) (*Signature, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	sig := ed25519.Sign(priv, append([]byte(domain), b...))
	return &Signature{Manifest: b, Key: PublicKey(priv.Public().(ed25519.PublicKey)).String(), Sig: base64.StdEncoding.EncodeToString(sig)}, nil
}

// Decode reads a Signature (FILE.sig, or what the server answers), at most
// 64 KiB, without trusting it yet.
func Decode(r io.Reader) (*Signature, error) {
	b, err := io.ReadAll(io.LimitReader(r, 64<<10+1))
	if err != nil {
		return nil, err
	}
	if len(b) > 64<<10 {
		return nil, errors.New("release signature: over 64 KiB")
	}
	var s Signature
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("release signature: %w", err)
	}
	return &s, nil
}

// Verify checks the signature with the first of trusted that made it, and
// returns the manifest it signs. Only a signature by a trusted key over a
// valid manifest passes; anything else is ErrUntrusted.
func (s *Signature) Verify(trusted []PublicKey) (*Manifest, error) {
	sig, err := base64.StdEncoding.DecodeString(s.Sig)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: the signature is malformed", ErrUntrusted)
	}
	msg := append([]byte(domain), s.Manifest...)
	for _, k := range trusted {
		if len(k) == ed25519.PublicKeySize && ed25519.Verify(ed25519.PublicKey(k), msg, sig) {
			var m Manifest
			dec := json.NewDecoder(bytes.NewReader(s.Manifest))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&m); err != nil {
				return nil, fmt.Errorf("%w: the manifest does not decode: %v", ErrUntrusted, err)
			}
			if err := m.Check(); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrUntrusted, err)
			}
			return &m, nil
		}
	}
	if len(trusted) == 0 {
		return nil, fmt.Errorf("%w: this build trusts no release key", ErrUntrusted)
	}
	return nil, ErrUntrusted
}

// SelfVerify checks the signature with the key it names: what a server,
// which trusts no key of its own, can check before it takes a release
// (a laptop checks against its own keys, Verify).
func (s *Signature) SelfVerify() (*Manifest, PublicKey, error) {
	k, err := ParsePublicKey(s.Key)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.Verify([]PublicKey{k})
	return m, k, err
}

// CheckFile checks that r holds exactly the file m describes.
func CheckFile(m *Manifest, r io.Reader) error {
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, m.Size+1))
	if err != nil {
		return err
	}
	if n != m.Size || hex.EncodeToString(h.Sum(nil)) != m.SHA256 {
		return fmt.Errorf("%w (%d bytes, %d expected)", ErrMismatch, n, m.Size)
	}
	return nil
}

// Where a server serves releases (beside the sync API; no token needed:
// a release is public and signed).
const (
	// PathLatest answers the Signature of the newest release for
	// ?os=OS&arch=ARCH, or 404 when there is none.
	PathLatest = "/v1/release/latest"
	// PathFile + SHA256 serves the file, with byte ranges (a download cut
	// off goes on where it stopped).
	PathFile = "/v1/release/file/"
)
