package settings

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadSave(t *testing.T) {
	dir := t.TempDir()
	s, first, err := Load(dir)
	if err != nil || !first || s != Defaults() {
		t.Fatalf("fresh dir: %+v first=%v err=%v", s, first, err)
	}
	s.Language, s.IdleLockMinutes, s.TextScale, s.LastServer = "ru", 30, 1.3, "http://127.0.0.1:8443"
	if err := Save(dir, s); err != nil {
		t.Fatal(err)
	}
	got, first, err := Load(dir)
	if err != nil || first || got != s {
		t.Fatalf("reload: %+v first=%v err=%v, want %+v", got, first, err, s)
	}
}

func TestDamagedAndOutOfRange(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, err := Load(dir)
	if err == nil || s != Defaults() {
		t.Fatalf("damaged: %+v err=%v", s, err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(`{"language":"fr","idle_lock_minutes":-3,"text_scale":9}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, err = Load(dir)
	if err != nil || s != Defaults() {
		t.Fatalf("out of range: %+v err=%v", s, err)
	}
}

// A text size no longer offered (150%, from an older version) opens at
// the nearest one offered, which the Settings page can show as chosen.
func TestScaleNotOffered(t *testing.T) {
	dir := t.TempDir()
	for in, want := range map[string]float32{"1.5": 1.3, "1.2": 1.15, "1.14": 1.15, "1": 1} {
		if err := os.WriteFile(filepath.Join(dir, FileName), []byte(`{"language":"ky","idle_lock_minutes":10,"text_scale":`+in+`}`), 0o600); err != nil {
			t.Fatal(err)
		}
		s, _, err := Load(dir)
		if err != nil || s.TextScale != want {
			t.Errorf("text_scale %s opens at %v (%v), want %v", in, s.TextScale, err, want)
		}
	}
}
