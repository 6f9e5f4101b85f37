package keyfile

import (
	"bytes"
	"errors"
	"testing"
)

func TestCreateUnlockChange(t *testing.T) {
	dir := t.TempDir()
	key, err := Create(dir, "бирinchi-сыр", TestParams)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(dir, "another-pass", TestParams); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	tests := []struct {
		pass string
		want error
	}{
		{"бирinchi-сыр", nil},
		{"wrong-pass", ErrWrongPassphrase},
		{"", ErrWrongPassphrase},
	}
	for _, tt := range tests {
		got, err := Unlock(dir, tt.pass)
		if !errors.Is(err, tt.want) {
			t.Fatalf("Unlock(%q) = %v, want %v", tt.pass, err, tt.want)
		}
		if err == nil && !bytes.Equal(got, key) {
			t.Fatal("unlocked a different key")
		}
	}
	if err := Change(dir, "wrong-pass", "new-passphrase", TestParams); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("change with wrong old passphrase: %v", err)
	}
	if err := Change(dir, "бирinchi-сыр", "short", TestParams); err == nil {
		t.Fatal("a too-short passphrase was accepted")
	}
	if err := Change(dir, "бирinchi-сыр", "экинчи-сырсөз", TestParams); err != nil {
		t.Fatal(err)
	}
	if _, err := Unlock(dir, "бирinchi-сыр"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase still works: %v", err)
	}
	got, err := Unlock(dir, "экинчи-сырсөз")
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("new passphrase: %v (same key: %v)", err, bytes.Equal(got, key))
	}
}

func TestUnlockMissing(t *testing.T) {
	if _, err := Unlock(t.TempDir(), "whatever-pass"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("got %v, want ErrNoKey", err)
	}
}
