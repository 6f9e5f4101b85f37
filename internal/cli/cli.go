package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
)

// UsageError is a wrong command line: exit status 2.
type UsageError struct{ Msg string }

func (u UsageError) Error() string { return u.Msg }

// Usagef returns a UsageError.
func Usagef(format string, a ...any) error { return UsageError{fmt.Sprintf(format, a...)} }

// Command is one subcommand of a program whose subcommands work with an E.
type Command[E any] struct {
	Name    string
	Summary string
	Run     func(ctx context.Context, e E, args []string) error
}

// Commands are a program's subcommands.
type Commands[E any] struct {
	Prog string
	m    map[string]Command[E]
}

// Register adds a subcommand.
func (cs *Commands[E]) Register(c Command[E]) {
	if cs.m == nil {
		cs.m = map[string]Command[E]{}
	}
	cs.m[c.Name] = c
}

// PrintList writes the subcommands, sorted, a line each.
func (cs *Commands[E]) PrintList(w io.Writer) {
	names := make([]string, 0, len(cs.m))
	width := 0
	for n := range cs.m {
		names = append(names, n)
		width = max(width, len(n))
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s %s\n", width+1, n, cs.m[n].Summary)
	}
}

// Dispatch runs the subcommand args[0] and returns the exit status: 0, 1
// for a failure, 2 for a wrong command line. Errors go to stderr prefixed
// with the program and subcommand; usage, if set, prints the program's
// help.
func (cs *Commands[E]) Dispatch(ctx context.Context, e E, args []string, stderr io.Writer, usage func()) int {
	if len(args) == 0 {
		if usage != nil {
			usage()
		}
		return 2
	}
	c, ok := cs.m[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n", cs.Prog, args[0])
		if usage != nil {
			usage()
		}
		return 2
	}
	err := c.Run(ctx, e, args[1:])
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2 // the flag package printed the help
	}
	fmt.Fprintf(stderr, "%s %s: %v\n", cs.Prog, c.Name, err)
	var u UsageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// Flags returns a flag set named "PROG NAME" that reports to w and does
// not exit.
func Flags(prog, name string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(prog+" "+name, flag.ContinueOnError)
	fs.SetOutput(w)
	return fs
}

// Parse parses flags, which may come before, between or after the
// positional arguments ("appeal move ID STATUS --note x"), and requires
// exactly n of those; names says which, for the usage message.
func Parse(fs *flag.FlagSet, args []string, n int, names string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, UsageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != n {
		return nil, Usagef("usage: %s %s", fs.Name(), names)
	}
	return pos, nil
}
