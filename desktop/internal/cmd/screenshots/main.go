// Command screenshots runs the real kenesh app in a real window under Xvfb,
// on demo data, in each language, and captures every main screen with
// ImageMagick's import (the GL window's own capture is black under Xvfb).
//
//	go run ./desktop/internal/cmd/screenshots -bin bin/kenesh -out docs/screenshots
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/showcase"
)

const pass = "kenesh-demo-passphrase"

func main() {
	bin := flag.String("bin", "bin/kenesh", "the kenesh binary")
	out := flag.String("out", "docs/screenshots", "where to write the PNGs")
	display := flag.String("display", ":99", "the X display to start Xvfb on")
	langs := flag.String("langs", "ky,ru,en", "languages")
	appeals := flag.Int("appeals", 3000, "demo appeals")
	events := flag.Int("events", 400, "demo events")
	flag.Parse()
	if err := run(*bin, *out, *display, strings.Split(*langs, ","), *appeals, *events); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(bin, out, display string, langs []string, appeals, events int) error {
	ctx := context.Background()
	for _, tool := range []string{"Xvfb", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is missing (apt-get install xvfb imagemagick)", tool)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "kenesh-shots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	xvfb := exec.Command("Xvfb", display, "-screen", "0", "1366x768x24", "-nolisten", "tcp")
	if err := xvfb.Start(); err != nil {
		return fmt.Errorf("starting Xvfb: %w", err)
	}
	defer func() {
		_ = xvfb.Process.Kill()
		_ = xvfb.Wait()
	}()
	time.Sleep(time.Second)

	data := filepath.Join(tmp, "demo")
	fmt.Printf("demo data: %d appeals, %d events\n", appeals, events)
	err = showcase.Create(ctx, data, showcase.Options{Passphrase: pass, DeviceName: "Ат-Башы кеңешинин ноутбугу",
		Appeals: appeals, Events: events, Seed: 1, Conflicts: 2,
		Session: session.Options{KDF: keyfile.TestParams, Logger: slog.New(slog.DiscardHandler)}})
	if err != nil {
		return err
	}
	for _, lang := range langs {
		if err := tour(bin, display, filepath.Join(tmp, "empty-"+lang), lang, out); err != nil {
			return fmt.Errorf("first run in %s: %w", lang, err)
		}
		if err := tour(bin, display, data, lang, out); err != nil {
			return fmt.Errorf("tour in %s: %w", lang, err)
		}
	}
	return nil
}

// tour runs the app in tour mode and captures each screen it announces.
func tour(bin, display, data, lang, out string) error {
	cmd := exec.Command(bin, "--data", data, "--lang", lang, "--tour")
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "KENESH_PASSPHRASE="+pass, "KENESH_KDF=test", "LANG=C.UTF-8")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- shots(stdout, stdin, display, lang, out) }()
	select {
	case err := <-done:
		if err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return err
		}
	case <-time.After(5 * time.Minute):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("the app did not finish its tour")
	}
	stdin.Close()
	return cmd.Wait()
}

func shots(stdout io.Reader, stdin io.Writer, display, lang, out string) error {
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if line == "DONE" {
			return nil
		}
		name, ok := strings.CutPrefix(line, "SHOT ")
		if !ok {
			continue
		}
		file := filepath.Join(out, lang+"-"+name+".png")
		imp := exec.Command("import", "-display", display, "-window", "root", file)
		if b, err := imp.CombinedOutput(); err != nil {
			return fmt.Errorf("import %s: %v: %s", file, err, b)
		}
		fmt.Println("wrote", file)
		if _, err := io.WriteString(stdin, "next\n"); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return fmt.Errorf("the app quit before the end of its tour")
}
