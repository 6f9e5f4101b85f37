// Command kenesh-syncserver is the central sync server of Kenesh: laptops
// push their councils' change sets to it and pull what they may see.
//
//	kenesh-syncserver serve   {--data DIR | --postgres URL --files DIR} --listen ADDR [--tls-cert F --tls-key F] [--metrics-listen ADDR]
//	kenesh-syncserver admin   {--data DIR | --postgres URL} council add|list, enroll, devices, revoke, backup
//	kenesh-syncserver restore --data NEWDIR FILE
//	kenesh-syncserver migrate --from-data DIR --to-postgres URL
//
// Errors go to stderr with exit status 1 (2 for a wrong command line).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/kenesh/kenesh/internal/cli"
	"github.com/kenesh/kenesh/internal/version"
)

// env is what a subcommand works with; tests give it buffers.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

type command = cli.Command[*env]

var commands = cli.Commands[*env]{Prog: "kenesh-syncserver"}

func register(c command) { commands.Register(c) }

func usagef(format string, a ...any) error { return cli.Usagef(format, a...) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:]))
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		args = nil
	}
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version" || args[0] == "version") {
		fmt.Fprintln(e.stdout, version.Describe("kenesh-syncserver"))
		return 0
	}
	return commands.Dispatch(ctx, e, args, e.stderr, func() { printUsage(e.stderr) })
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: kenesh-syncserver COMMAND [ARGS]")
	fmt.Fprintln(w, "\ncommands:")
	commands.PrintList(w)
	fmt.Fprintln(w, "\nRun 'kenesh-syncserver COMMAND -h' for a command's options, 'kenesh-syncserver --version' for the version.")
}

// flags returns a flag set that reports to e.stderr and does not exit.
func flags(e *env, name string) *flag.FlagSet { return cli.Flags("kenesh-syncserver", name, e.stderr) }

// parse parses args (flags may come before or after positional
// arguments) and checks the number of positional arguments.
func parse(fs *flag.FlagSet, args []string, want int, usage string) ([]string, error) {
	return cli.Parse(fs, args, want, usage)
}
