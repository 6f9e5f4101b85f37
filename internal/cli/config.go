package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is a configuration file: TOML whose keys are a command's flag
// names without their dashes, at the top level, each with a string, a
// number or true/false:
//
//	# the sync API
//	listen = "0.0.0.0:443"
//	rate = 2
//	public-challenge = true
//
// A flag given on the command line wins over the file; the file wins over
// the flag's default (which may come from the environment).
type Config struct {
	Path   string
	values map[string]string
	keys   []string // in the order of the file
}

// LoadConfig reads the configuration file at path. A syntax error names
// its line; a table, an array or a date is refused, since no flag takes
// one.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	var raw map[string]any
	md, err := toml.Decode(string(b), &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("configuration %s, line %d: %s", path, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("configuration %s: %w", path, err)
	}
	c := &Config{Path: path, values: map[string]string{}}
	for _, k := range md.Keys() {
		if len(k) != 1 {
			continue // inside a table, refused below with the table
		}
		name := k[0]
		var s string
		switch v := raw[name].(type) {
		case string:
			s = v
		case int64:
			s = strconv.FormatInt(v, 10)
		case float64:
			s = strconv.FormatFloat(v, 'g', -1, 64)
		case bool:
			s = strconv.FormatBool(v)
		default:
			what := "a " + strings.ToLower(md.Type(name))
			switch v.(type) {
			case map[string]any:
				what = "a table"
			case []any, []map[string]any:
				what = "a list"
			}
			return nil, fmt.Errorf("configuration %s: %s: want a string in quotes, a number or true/false, not %s (every setting is one flag of the command line)",
				path, name, what)
		}
		c.values[name] = s
		c.keys = append(c.keys, name)
	}
	return c, nil
}

// Keys are the file's settings, in its order.
func (c *Config) Keys() []string { return slices.Clone(c.keys) }

// Apply sets the flags of fs that the file names and the command line did
// not set (call it after fs.Parse). With strict, a setting that is not one
// of fs's flags is an error (a typo would otherwise be silently ignored);
// without it, it is left for the commands it belongs to.
func (c *Config) Apply(fs *flag.FlagSet, strict bool) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var unknown []string
	for _, name := range c.keys {
		f := fs.Lookup(name)
		if f == nil {
			unknown = append(unknown, name)
			continue
		}
		if given[name] {
			continue
		}
		if err := fs.Set(name, c.values[name]); err != nil {
			return fmt.Errorf("configuration %s: %s = %q: %v", c.Path, name, c.values[name], err)
		}
	}
	if strict && len(unknown) > 0 {
		return fmt.Errorf("configuration %s: unknown setting %s (the settings are the flags of %s -h, without their dashes)",
			c.Path, strings.Join(unknown, ", "), fs.Name())
	}
	return nil
}
