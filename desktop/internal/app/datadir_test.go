package app

import (
	"errors"
	"testing"
)

func TestDefaultDir(t *testing.T) {
	home := func() (string, error) { return "/home/aibek", nil }
	noHome := func() (string, error) { return "", errors.New("no home") }
	for _, c := range []struct {
		name   string
		goos   string
		env    map[string]string
		home   func() (string, error)
		stores []string // directories that hold a store
		want   string
	}{
		{"linux, new", "linux", nil, home, nil, "/home/aibek/.local/share/kenesh"},
		{"linux, XDG_DATA_HOME", "linux", map[string]string{"XDG_DATA_HOME": "/data/aibek"}, home, nil, "/data/aibek/kenesh"},
		{"linux, a relative XDG_DATA_HOME is ignored", "linux", map[string]string{"XDG_DATA_HOME": "data"}, home, nil, "/home/aibek/.local/share/kenesh"},
		{"linux, a store of 0.4 in ~/.config is used where it is", "linux", nil, home, []string{"/home/aibek/.config/kenesh"}, "/home/aibek/.config/kenesh"},
		{"linux, with XDG_CONFIG_HOME", "linux", map[string]string{"XDG_CONFIG_HOME": "/cfg"}, home, []string{"/cfg/kenesh"}, "/cfg/kenesh"},
		{"linux, the new place wins when both hold one", "linux", nil, home,
			[]string{"/home/aibek/.config/kenesh", "/home/aibek/.local/share/kenesh"}, "/home/aibek/.local/share/kenesh"},
		{"windows, new", "windows", map[string]string{"LOCALAPPDATA": `C:\Users\aibek\AppData\Local`, "AppData": `C:\Users\aibek\AppData\Roaming`}, noHome, nil,
			`C:\Users\aibek\AppData\Local/Kenesh`},
		{"windows, a store of 0.4 in the roaming AppData is used where it is", "windows",
			map[string]string{"LOCALAPPDATA": `C:\L`, "AppData": `C:\R`}, noHome, []string{`C:\R/kenesh`}, `C:\R/kenesh`},
		{"no home at all", "linux", nil, noHome, nil, "kenesh-data"},
	} {
		t.Run(c.name, func(t *testing.T) {
			holds := func(d string) bool {
				for _, s := range c.stores {
					if s == d {
						return true
					}
				}
				return false
			}
			got := defaultDir(c.goos, func(k string) string { return c.env[k] }, c.home, holds)
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
