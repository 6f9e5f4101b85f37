package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/term"
)

// passphrase returns the store's passphrase: KENESH_PASSPHRASE, else asked on
// the terminal (not stdin, which carries JSON records).
func (e *env) passphrase(prompt string) (string, error) {
	if p := e.cfg.passphrase; p != "" {
		return p, nil
	}
	if e.tty == nil {
		return "", errors.New("no passphrase: set KENESH_PASSPHRASE or run keneshctl in a terminal")
	}
	return e.tty(prompt)
}

// newPassphrase asks for a new passphrase twice, or takes given, which
// came from the variable envName.
func (e *env) newPassphrase(given, envName string) (string, error) {
	if given != "" {
		return given, nil
	}
	if e.tty == nil {
		return "", fmt.Errorf("no passphrase: set %s or run keneshctl in a terminal", envName)
	}
	p, err := e.tty("New passphrase: ")
	if err != nil {
		return "", err
	}
	again, err := e.tty("Repeat the passphrase: ")
	if err != nil {
		return "", err
	}
	if p != again {
		return "", errors.New("the two passphrases differ; nothing was changed")
	}
	return p, nil
}

func terminalPrompt(prompt string) (string, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		// Windows, or no controlling terminal.
		if term.IsTerminal(int(os.Stdin.Fd())) {
			fmt.Fprint(os.Stderr, prompt)
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			fmt.Fprintln(os.Stderr)
			return string(b), err
		}
		return "", errors.New("no passphrase: set KENESH_PASSPHRASE or run keneshctl in a terminal")
	}
	defer tty.Close()
	fmt.Fprint(tty, prompt)
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return "", fmt.Errorf("read passphrase: %w", err)
	}
	return string(b), nil
}
