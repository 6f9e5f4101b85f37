package main

import (
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/internal/cli"
)

// shippedConfig is the configuration file the server's package installs.
const shippedConfig = "../../../packaging/server/syncserver.conf"

// serveFlags are the flags of serve, every setting of the file.
func serveFlags(t *testing.T) *flag.FlagSet {
	t.Helper()
	var fs *flag.FlagSet
	serveFlagsSeen = func(f *flag.FlagSet) { fs = f }
	defer func() { serveFlagsSeen = nil }()
	if code, _, errs := runCLI(context.Background(), "serve"); code != 0 || fs == nil {
		t.Fatalf("serve: %d %s", code, errs)
	}
	return fs
}

var settingLine = regexp.MustCompile(`(?m)^(# )?([a-z][a-z-]*) = (.*)$`)

// TestShippedConfig: the configuration file the package installs has
// every setting of serve (but --config), explained; each commented-out
// setting shows the flag's default; and the whole file, every setting
// uncommented, is taken by serve.
func TestShippedConfig(t *testing.T) {
	b, err := os.ReadFile(shippedConfig)
	if err != nil {
		t.Fatal(err)
	}
	fs := serveFlags(t)
	seen := map[string]bool{}
	for _, m := range settingLine.FindAllStringSubmatch(string(b), -1) {
		commented, name, value := m[1] != "", m[2], m[3]
		f := fs.Lookup(name)
		if f == nil {
			t.Errorf("the file names %q, which is no setting of serve", name)
			continue
		}
		seen[name] = true
		if !commented {
			continue
		}
		want := f.DefValue
		if s, err := strconv.Unquote(value); err == nil {
			value = s
		}
		switch name {
		case "public-licence": // "" means the register's default licence
			want = "CC BY 4.0"
		}
		if value != want {
			t.Errorf("the file shows %s = %q as the default, the flag's is %q", name, value, want)
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !seen[f.Name] && f.Name != "config" {
			t.Errorf("the file does not explain the setting %s (%s)", f.Name, f.Usage)
		}
	})

	// Every setting uncommented (a PostgreSQL URL and a data directory
	// are one or the other): serve takes them all.
	all := settingLine.ReplaceAllStringFunc(string(b), func(line string) string {
		if strings.HasPrefix(line, "# postgres = ") {
			return line
		}
		return strings.TrimPrefix(line, "# ")
	})
	p := filepath.Join(t.TempDir(), "syncserver.conf")
	if err := os.WriteFile(p, []byte(all), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := cli.LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(serveFlags(t), true); err != nil {
		t.Fatal(err)
	}
}

// TestConfigFile: serve and admin take their settings from --config (or
// $KENESH_SERVER_CONFIG); a flag on the command line wins over the file;
// a setting serve does not know stops it with its name; admin ignores
// serve's settings.
func TestConfigFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	conf := filepath.Join(dir, "syncserver.conf")
	write := func(s string) {
		if err := os.WriteFile(conf, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("data = \"" + filepath.Join(dir, "from-file") + "\"\nlisten = \"0.0.0.0:7480\"\nrate = 5\n")
	// The file's listen address is public and plain: refused, as on the
	// command line.
	if code, _, errs := runCLI(ctx, "serve", "--config", conf); code != 1 || !strings.Contains(errs, "--tls-cert") {
		t.Fatalf("serve with the file's public plain address: %d %s", code, errs)
	}
	// The command line wins.
	serveBG(t, http.DefaultClient, "http", "--config", conf)
	if _, err := os.Stat(filepath.Join(dir, "from-file", "db")); err != nil {
		t.Fatalf("serve did not take data from the file: %v", err)
	}
	// admin takes data from the file, ignores listen and rate.
	if code, out, errs := runCLI(ctx, "admin", "--config", conf, "council", "list"); code != 0 || !strings.Contains(out, "[") {
		t.Fatalf("admin with the file: %d %s %s", code, out, errs)
	}
	// A typo stops serve, naming it.
	write("data = \"" + filepath.Join(dir, "from-file") + "\"\nlisten = \"127.0.0.1:0\"\nrat = 5\n")
	if code, _, errs := runCLI(ctx, "serve", "--config", conf); code != 1 || !strings.Contains(errs, "unknown setting rat") {
		t.Fatalf("serve with a typo: %d %s", code, errs)
	}
	// The environment names the file.
	var out, errb strings.Builder
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == envConfig {
			return conf
		}
		return ""
	}}
	if code := run(ctx, e, []string{"serve"}); code != 1 || !strings.Contains(errb.String(), "unknown setting rat") {
		t.Fatalf("serve with $%s: %d %s", envConfig, code, errb.String())
	}
}
