package serverkey

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestCreateAndLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.key")
	key, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode().Perm())
	}
	got, err := Load(path)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("load: %v", err)
	}
	if _, err := Create(path); err == nil {
		t.Fatal("Create overwrote a key file")
	}
	if _, err := Load(path + ".nope"); !errors.Is(err, ErrMissing) {
		t.Fatalf("missing: %v", err)
	}
	os.WriteFile(path+".bad", []byte("not a key\n"), 0o600)
	if _, err := Load(path + ".bad"); err == nil || !strings.Contains(err.Error(), "not a kenesh-syncserver key file") {
		t.Fatalf("bad: %v", err)
	}
}

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "srv")
	creds := filepath.Join(dir, "creds")
	os.MkdirAll(creds, 0o700)
	os.WriteFile(filepath.Join(creds, Credential), []byte("x"), 0o600)
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		name, flag string
		env        map[string]string
		want       string
		cred       bool
		err        error
	}{
		{"beside the data", "", nil, data + ".key", false, nil},
		{"the flag", filepath.Join(dir, "k"), map[string]string{EnvFile: "/x"}, filepath.Join(dir, "k"), false, nil},
		{"the environment", "", map[string]string{EnvFile: filepath.Join(dir, "e")}, filepath.Join(dir, "e"), false, nil},
		{"a systemd credential", "", map[string]string{"CREDENTIALS_DIRECTORY": creds}, filepath.Join(creds, Credential), true, nil},
		{"inside the data", filepath.Join(data, "db", "k"), nil, "", false, ErrInside},
	}
	for _, c := range cases {
		loc, err := Locate(data, c.flag, env(c.env))
		switch {
		case c.err != nil:
			if !errors.Is(err, c.err) {
				t.Errorf("%s: %v, want %v", c.name, err, c.err)
			}
		case err != nil || loc.Path != c.want || loc.Credential != c.cred:
			t.Errorf("%s: %+v %v, want %s", c.name, loc, err, c.want)
		}
	}
}

// The backup identity is a standard age identity, the same for the same
// key, another for another key.
func TestBackupIdentity(t *testing.T) {
	key := bytes.Repeat([]byte{7}, Size)
	id, err := BackupIdentity(key)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := BackupIdentity(key)
	other, _ := BackupIdentity(bytes.Repeat([]byte{8}, Size))
	if id.String() != again.String() || id.String() == other.String() || !strings.HasPrefix(id.String(), "AGE-SECRET-KEY-1") {
		t.Fatalf("identities: %s %s %s", id, again, other)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "Токтогулов Эрмек")
	w.Close()
	r, err := age.Decrypt(bytes.NewReader(buf.Bytes()), again)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(r); string(b) != "Токтогулов Эрмек" {
		t.Fatalf("decrypted %q", b)
	}
	if _, err := age.Decrypt(bytes.NewReader(buf.Bytes()), other); err == nil {
		t.Fatal("another key's identity decrypted it")
	}
}
