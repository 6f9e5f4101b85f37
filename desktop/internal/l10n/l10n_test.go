package l10n

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
)

// Every language has every key, no empty text, and the same placeholders:
// Kyrgyz is first and complete, Russian and English too.
func TestCatalogComplete(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	en := c.Keys("en")
	if len(en) < 200 {
		t.Fatalf("only %d keys in en.json", len(en))
	}
	ph := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, lang := range Languages {
		keys := c.Keys(lang)
		for _, k := range en {
			if !slices.Contains(keys, k) {
				t.Errorf("%s.json lacks %q", lang, k)
			}
		}
		for _, k := range keys {
			if !slices.Contains(en, k) {
				t.Errorf("%s.json has %q, which en.json lacks", lang, k)
			}
			got := c.In(lang).T(k)
			if got == "" {
				t.Errorf("%s.json: %q is empty", lang, k)
			}
			want := ph.FindAllString(c.In("en").T(k), -1)
			have := ph.FindAllString(got, -1)
			slices.Sort(want)
			slices.Sort(have)
			if !slices.Equal(slices.Compact(want), slices.Compact(have)) {
				t.Errorf("%s.json: %q has placeholders %v, English has %v", lang, k, have, want)
			}
		}
	}
}

// Fyne's own strings are all translated into Kyrgyz, which Fyne lacks.
func TestFyneKeysInKyrgyz(t *testing.T) {
	c := MustLoad()
	for _, k := range []string{"OK", "Cancel", "Yes", "No", "Save", "Open", "Quit", "Error", "Confirm", "file.name", "monday", "sunday.short"} {
		if !c.Has("ky", k) || c.In("ky").T(k) == c.In("en").T(k) {
			t.Errorf("ky.json: Fyne key %q missing or untranslated", k)
		}
	}
	// Fyne's Russian file swaps Tuesday and Thursday; ours must not.
	if c.In("ru").T("tuesday") != "Вторник" || c.In("ru").T("thursday") != "Четверг" {
		t.Errorf("ru weekdays: %q %q", c.In("ru").T("tuesday"), c.In("ru").T("thursday"))
	}
}

func TestFormat(t *testing.T) {
	c := MustLoad()
	ky, ru, en := c.In("ky"), c.In("ru"), c.In("en")
	for _, x := range []struct {
		tr   *Tr
		n    int
		want string
	}{
		{en, 100000, "100,000"}, {ru, 100000, "100\u00a0000"}, {ky, 1234567, "1\u00a0234\u00a0567"},
		{ru, 1234, "1234"}, {en, 1234, "1,234"}, {ky, -5000, "-5000"}, {en, 7, "7"},
	} {
		if got := x.tr.Int(x.n); got != x.want {
			t.Errorf("%s Int(%d) = %q, want %q", x.tr.Lang, x.n, got, x.want)
		}
	}
	d := caldate.MustParse("2026-11-05")
	if got := ky.Date(d); got != "05.11.2026" {
		t.Errorf("ky date %q", got)
	}
	if got := en.Date(d); got != "5 Nov 2026" {
		t.Errorf("en date %q", got)
	}
	if got := ru.LongDate(d); got != "5 ноября 2026 г." {
		t.Errorf("ru long date %q", got)
	}
	if got := ky.LongDate(d); got != "5-ноябрь, 2026-ж." {
		t.Errorf("ky long date %q", got)
	}
	at := time.Date(2026, 11, 5, 8, 30, 0, 0, time.UTC) // 14:30 in Bishkek
	if got := ru.DateTime(at); got != "05.11.2026 14:30" {
		t.Errorf("ru datetime %q", got)
	}
	if got := en.T("list.count_appeals", "n", 100000); got != "100,000 appeals" {
		t.Errorf("placeholder with number: %q", got)
	}
}

func TestParseDate(t *testing.T) {
	tr := MustLoad().In("ky")
	for in, want := range map[string]string{"25.11.2026": "2026-11-25", "5/1/2026": "2026-01-05", "2026-03-21": "2026-03-21", " 01.02.2025 ": "2025-02-01", "": ""} {
		d, err := tr.ParseDate(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"31.02.2026", "2026", "tomorrow", "13.13.2026", "1.1.26"} {
		if _, err := tr.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	d := caldate.MustParse("2026-01-09")
	if back, _ := tr.ParseDate(tr.DateInput(d)); back != d {
		t.Errorf("round trip %v -> %q -> %v", d, tr.DateInput(d), back)
	}
}
