package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// hungEnv makes the test binary, run again by TestExitIfHung, be a kenesh
// whose window closed but whose process would never end.
const hungEnv = "KENESH_TEST_HUNG"

// TestExitIfHung runs a process that closed its window and then hangs
// forever (as Fyne's end can, waiting for a window event): exitIfHung must
// end it, with status 0, not before the grace it was given, with the
// warning and every goroutine's stack (the hung one's too) in the log.
func TestExitIfHung(t *testing.T) {
	if os.Getenv(hungEnv) == "1" {
		hang()
		return
	}
	// Generous: a process that never ends fails here instead of hanging
	// the test run; one that ends waits about a second.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestExitIfHung$", "-test.v=false")
	cmd.Env = append(os.Environ(), hungEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the hung process was not ended within 2 minutes; its log:\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("the hung process ended with %v, want status 0; its log:\n%s", err, stderr.String())
	}
	var ns int64
	if _, err := fmt.Sscanf(stdout.String(), "called %d", &ns); err != nil {
		t.Fatalf("the process did not say when it called exitIfHung: %q", stdout.String())
	}
	called := time.Unix(0, ns)
	var rec struct {
		Time       time.Time     `json:"time"`
		Msg        string        `json:"msg"`
		After      time.Duration `json:"after"`
		Goroutines string        `json:"goroutines"`
	}
	sc := bufio.NewScanner(&stderr)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "{") {
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("the log line %q: %v", sc.Text(), err)
			}
		}
	}
	if !strings.Contains(rec.Msg, "did not end") || rec.After != hungGrace {
		t.Fatalf("no warning before ending, or not of the grace: %+v", rec)
	}
	// The log's time is taken just before the exit: the exit came no
	// sooner than the grace after the call.
	if waited := rec.Time.Sub(called); waited < hungGrace {
		t.Fatalf("ended %v after exitIfHung was called, before its grace of %v", waited, hungGrace)
	}
	if !strings.Contains(rec.Goroutines, ".hang()") || !strings.Contains(rec.Goroutines, ".exitIfHung(") {
		t.Fatalf("the goroutines' stacks are not in the log:\n%s", rec.Goroutines)
	}
}

const hungGrace = time.Second

// hang is the child: it starts exitIfHung as the closed window does and
// then never returns, as a hung Fyne would not.
func hang() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	fmt.Printf("called %d\n", time.Now().UnixNano())
	go exitIfHung(log, hungGrace)
	select {}
}
