// Command startupbench measures the desktop app's start-up to an unlocked,
// usable home screen on a store of 100,000 appeals: it makes the store
// once (kept for later runs), then starts the real kenesh binary in a real
// window several times and reports what each run printed.
//
//	go run ./desktop/internal/cmd/startupbench -bin bin/kenesh -data .kenesh-bench
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/showcase"
)

const pass = "kenesh-bench-passphrase"

func main() {
	bin := flag.String("bin", "bin/kenesh", "the kenesh binary")
	data := flag.String("data", ".kenesh-bench", "data directory (made on the first run)")
	appeals := flag.Int("appeals", 100000, "appeals in a new store")
	events := flag.Int("events", 10000, "events in a new store")
	runs := flag.Int("runs", 5, "start-ups to measure")
	display := flag.String("display", ":98", "X display for Xvfb when $DISPLAY is unset")
	flag.Parse()
	if err := run(*bin, *data, *appeals, *events, *runs, *display); err != nil {
		fmt.Fprintln(os.Stderr, "startupbench:", err)
		os.Exit(1)
	}
}

func run(bin, data string, appeals, events, runs int, display string) error {
	if !session.Exists(data) {
		fmt.Printf("making %s: %d appeals, %d events (once)\n", data, appeals, events)
		start := time.Now()
		err := showcase.Create(context.Background(), data, showcase.Options{Passphrase: pass, DeviceName: "Benchmark laptop",
			Appeals: appeals, Events: events, Seed: 1,
			Session: session.Options{KDF: keyfile.DefaultParams, Logger: slog.New(slog.DiscardHandler)},
			Progress: func(a, e int) {
				if (a+e)%10000 == 0 {
					fmt.Printf("  %d appeals, %d events\n", a, e)
				}
			}})
		if err != nil {
			return err
		}
		fmt.Printf("made in %s\n", time.Since(start).Round(time.Second))
	}
	env := os.Environ()
	if os.Getenv("DISPLAY") == "" {
		x := exec.Command("Xvfb", display, "-screen", "0", "1366x768x24", "-nolisten", "tcp")
		if err := x.Start(); err != nil {
			return fmt.Errorf("starting Xvfb: %w (set DISPLAY or apt-get install xvfb)", err)
		}
		defer func() { _ = x.Process.Kill(); _ = x.Wait() }()
		time.Sleep(time.Second)
		env = append(env, "DISPLAY="+display)
	}
	env = append(env, "KENESH_PASSPHRASE="+pass, "LANG=C.UTF-8")
	var inApp, wall []float64
	for i := 0; i < runs; i++ {
		cmd := exec.Command(bin, "--data", data, "--startup-time")
		cmd.Env = env
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return err
		}
		var secs float64
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "startup_to_home_seconds "); ok {
				secs, _ = strconv.ParseFloat(v, 64)
				wall = append(wall, time.Since(start).Seconds())
			}
		}
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("kenesh: %w", err)
		}
		if secs == 0 {
			return fmt.Errorf("kenesh printed no start-up time")
		}
		inApp = append(inApp, secs)
		fmt.Printf("run %d: %.3f s in the app, %.3f s from exec\n", i+1, secs, wall[len(wall)-1])
	}
	fmt.Printf("median: %.3f s in the app, %.3f s from exec (of %d runs)\n", median(inApp), median(wall), runs)
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
