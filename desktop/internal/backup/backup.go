package backup

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/store"
)

// The file is an age file (https://age-encryption.org/v1) encrypted to the
// passphrase, so a backup can be opened even without Kenesh, with the
// standard age tool. Inside: a magic line, a JSON header line, then the
// zstd-compressed Badger backup stream.
const magic = "KENESH-BACKUP 1\n"

// scryptWorkFactor 2^16 costs ~64 MiB and well under a second on a modest
// laptop: this is the passphrase-guessing cost for a stolen backup stick.
const scryptWorkFactor = 16

// Header describes a backup.
type Header struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	Device  string    `json:"device"`
	Name    string    `json:"device_name"`
	Seq     uint64    `json:"seq"`
}

// ErrNotBackup is returned for a file that is not a Kenesh backup.
var ErrNotBackup = errors.New("not a Kenesh backup file")

// Write writes core's store to path, encrypted to passphrase. It writes to a
// temporary file beside path and renames it: an interrupted backup never
// replaces a good one.
func Write(ctx context.Context, core *app.Core, passphrase, path string) (Header, error) {
	if len(passphrase) < keyfile.MinPassphraseLen {
		return Header{}, fmt.Errorf("backup: passphrase is too short")
	}
	dev := core.Records.Device()
	h := Header{Version: 1, Created: time.Now().UTC(), Device: dev.ID, Name: dev.Name, Seq: core.Records.Seq()}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return h, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(ctx, core.Store, passphrase, h, tmp); err != nil {
		tmp.Close()
		return h, fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return h, fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return h, fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return h, fmt.Errorf("backup to %s: %w", path, err)
	}
	return h, nil
}

func write(ctx context.Context, st *store.Store, passphrase string, h Header, w io.Writer) error {
	rcpt, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return err
	}
	rcpt.SetWorkFactor(scryptWorkFactor)
	bw := bufio.NewWriterSize(w, 1<<20)
	enc, err := age.Encrypt(bw, rcpt)
	if err != nil {
		return err
	}
	hb, _ := json.Marshal(h)
	if _, err := io.WriteString(enc, magic+string(hb)+"\n"); err != nil {
		return err
	}
	zw, err := zstd.NewWriter(enc, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return err
	}
	if err := st.Backup(ctx, zw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// Restore creates a store in dir (which must be empty or absent) from the
// backup at path, sealed with the same passphrase the backup was made with.
func Restore(ctx context.Context, path, dir, passphrase string, o app.Options) (*app.Core, Header, error) {
	var h Header
	if err := mustBeEmpty(dir); err != nil {
		return nil, h, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, h, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, h, fmt.Errorf("restore: %w", err)
	}
	dec, err := age.Decrypt(bufio.NewReaderSize(f, 1<<20), id)
	if err != nil {
		var wrong *age.NoIdentityMatchError
		if errors.As(err, &wrong) || strings.Contains(err.Error(), "incorrect passphrase") {
			return nil, h, fmt.Errorf("restore: %w (use the passphrase the store had when the backup was made)", keyfile.ErrWrongPassphrase)
		}
		return nil, h, fmt.Errorf("restore %s: %w (%v)", path, ErrNotBackup, err)
	}
	br := bufio.NewReader(dec)
	line, err := br.ReadString('\n')
	if err != nil && line == "" {
		return nil, h, fmt.Errorf("restore %s: %w: the file is damaged or cut off (%v)", path, ErrNotBackup, err)
	}
	if line != magic {
		return nil, h, fmt.Errorf("restore %s: %w", path, ErrNotBackup)
	}
	hl, err := br.ReadBytes('\n')
	if err != nil || json.Unmarshal(hl, &h) != nil || h.Version != 1 {
		return nil, h, fmt.Errorf("restore %s: damaged header: %w", path, ErrNotBackup)
	}
	zr, err := zstd.NewReader(br, zstd.WithDecoderMaxMemory(256<<20))
	if err != nil {
		return nil, h, fmt.Errorf("restore: %w", err)
	}
	defer zr.Close()

	p := o.KDF
	if p == (keyfile.Params{}) {
		p = keyfile.DefaultParams
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, h, fmt.Errorf("restore: %w", err)
	}
	key, err := keyfile.Create(dir, passphrase, p)
	if err != nil {
		return nil, h, fmt.Errorf("restore: %w", err)
	}
	if err := store.Restore(ctx, dir, key, zr, store.Options{Logger: o.Logger}); err != nil {
		cleanup(dir)
		if errors.Is(err, store.ErrNewerFormat) || errors.Is(err, store.ErrDiskFull) || errors.Is(err, store.ErrLocked) {
			return nil, h, fmt.Errorf("restore %s: %w; the new directory was removed", path, err)
		}
		return nil, h, fmt.Errorf("restore %s: the backup is damaged or cut off (%w); the new directory was removed", path, err)
	}
	core, err := app.OpenWithKey(ctx, dir, key, o)
	if err != nil {
		return nil, h, fmt.Errorf("restore: the restored store does not open: %w", err)
	}
	return core, h, nil
}

func mustBeEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("restore: %s is not empty; restore into a new, empty directory so that nothing there is overwritten", dir)
	}
	return nil
}

func cleanup(dir string) {
	os.RemoveAll(filepath.Join(dir, store.DataDir))
	os.Remove(filepath.Join(dir, keyfile.Name))
}
