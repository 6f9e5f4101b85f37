// Command keneshctl is the command-line client of Kenesh: it records events
// and citizens' appeals in the same encrypted data directory as the desktop
// app (not at the same time), for scripts and automation.
//
// Output is JSON on stdout; errors go to stderr with exit status 1 (2 for a
// wrong command line). The passphrase comes from KENESH_PASSPHRASE when set,
// else from a prompt on the terminal.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/internal/cli"
	"github.com/kenesh/kenesh/internal/version"
)

// env is what a subcommand works with; tests give it buffers.
type env struct {
	data   string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	cfg    config // from getenv, read once in run
	log    *slog.Logger
	// tty prompts for a secret; nil when there is no terminal.
	tty func(prompt string) (string, error)
}

type command = cli.Command[*env]

var commands = cli.Commands[*env]{Prog: "keneshctl"}

func register(c command) { commands.Register(c) }

func usagef(format string, a ...any) error { return cli.Usagef(format, a...) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, tty: terminalPrompt}
	os.Exit(run(ctx, e, os.Args[1:]))
}

func run(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("keneshctl", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	data := fs.String("data", "", "data directory (default $KENESH_DATA, else "+app.DefaultDir()+")")
	verbose := fs.Bool("v", false, "log what happens to stderr")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { printUsage(e.stderr) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVersion || fs.Arg(0) == "version" {
		fmt.Fprintln(e.stdout, version.Describe("keneshctl"))
		return 0
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	e.cfg = readConfig(e.getenv)
	e.data = *data
	if e.data == "" {
		e.data = e.cfg.data
	}
	if e.data == "" {
		e.data = app.DefaultDir()
	}
	return commands.Dispatch(ctx, e, fs.Args(), e.stderr, func() { printUsage(e.stderr) })
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: keneshctl [--data DIR] [-v] COMMAND [ARGS]   (keneshctl --version: the version)")
	fmt.Fprintln(w, "\ncommands:")
	commands.PrintList(w)
	fmt.Fprintln(w, "\nRun 'keneshctl COMMAND -h' for a command's options. The passphrase is read from")
	fmt.Fprintln(w, "KENESH_PASSPHRASE when set, else asked for on the terminal.")
}

// subcommand splits "appeal add ..." style commands.
func subcommand(e *env, group string, args []string, subs map[string]func([]string) error) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		names := make([]string, 0, len(subs))
		for n := range subs {
			names = append(names, n)
		}
		sort.Strings(names)
		return usagef("usage: keneshctl %s {%s} ...", group, strings.Join(names, "|"))
	}
	f, ok := subs[args[0]]
	if !ok {
		return usagef("unknown %s command %q", group, args[0])
	}
	return f(args[1:])
}
