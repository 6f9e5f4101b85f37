package cli

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.conf")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfig(t *testing.T) {
	newFS := func() (*flag.FlagSet, *string, *float64, *bool, *int) {
		fs := flag.NewFlagSet("prog serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return fs, fs.String("listen", "127.0.0.1:7480", ""), fs.Float64("rate", 2, ""), fs.Bool("public", true, ""), fs.Int("burst", 20, "")
	}
	p := writeConfig(t, `# comment
listen = "0.0.0.0:443"   # the sync API
rate = 0.5
public = false
burst = 40
`)
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Keys(), ",") != "listen,rate,public,burst" {
		t.Fatalf("keys %v", c.Keys())
	}

	// The file over the defaults.
	fs, listen, rate, public, burst := newFS()
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(fs, true); err != nil {
		t.Fatal(err)
	}
	if *listen != "0.0.0.0:443" || *rate != 0.5 || *public || *burst != 40 {
		t.Fatalf("from the file: %q %v %v %v", *listen, *rate, *public, *burst)
	}

	// The command line over the file.
	fs, listen, rate, public, burst = newFS()
	if err := fs.Parse([]string{"--listen", "127.0.0.1:9", "--public=true"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(fs, true); err != nil {
		t.Fatal(err)
	}
	if *listen != "127.0.0.1:9" || !*public || *rate != 0.5 || *burst != 40 {
		t.Fatalf("flags and file: %q %v %v %v", *listen, *public, *rate, *burst)
	}

	// A setting the command does not have: an error when strict, else left.
	p2 := writeConfig(t, "listen = \"x:1\"\nlistne = \"y:2\"\n")
	c2, err := LoadConfig(p2)
	if err != nil {
		t.Fatal(err)
	}
	fs, _, _, _, _ = newFS()
	fs.Parse(nil)
	if err := c2.Apply(fs, true); err == nil || !strings.Contains(err.Error(), "unknown setting listne") {
		t.Fatalf("strict: %v", err)
	}
	fs, listen, _, _, _ = newFS()
	fs.Parse(nil)
	if err := c2.Apply(fs, false); err != nil || *listen != "x:1" {
		t.Fatalf("not strict: %v %q", err, *listen)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"listen = 0.0.0.0:443\n", "line 1"}, // not quoted
		{"rate = 1\nrate = 2\n", "line 2"},   // twice
		{"[serve]\nlisten = \"x\"\n", "serve: want a string in quotes, a number or true/false, not a table"}, // a table
		{"listen = [\"a\", \"b\"]\n", "not a list"},                                                          // an array
		{"listen = \"a\"\nburst = \"many\"\n", `burst = "many": parse error`},                                // applied: a wrong value for the flag
	} {
		p := writeConfig(t, c.file)
		cfg, err := LoadConfig(p)
		if err == nil {
			fs := flag.NewFlagSet("prog serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fs.String("listen", "", "")
			fs.Int("burst", 20, "")
			fs.Parse(nil)
			err = cfg.Apply(fs, true)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.file, err, c.want)
		}
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a missing file was read")
	}
}
