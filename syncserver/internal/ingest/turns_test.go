package ingest

import (
	"context"
	"errors"
	"testing"
)

// A device's pushes take turns: a second waits for the first (or gives up
// with its context), other devices do not wait, and nothing is kept of a
// device once its turns are over.
func TestDeviceTurns(t *testing.T) {
	var d devTurns
	leaveA, leaveB, leaveA2 := d.arrive("a"), d.arrive("b"), d.arrive("a")
	release, err := d.take(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.take(cancelled, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("a second push of the same device while the first is judged: %v, want it to wait", err)
	}
	other, err := d.take(context.Background(), "b") // would hang the test if b waited for a
	if err != nil {
		t.Fatal(err)
	}
	other()
	leaveB()
	got := make(chan func(), 1)
	go func() {
		r, err := d.take(context.Background(), "a")
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	release()
	(<-got)()
	leaveA()
	leaveA2()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.m) != 0 {
		t.Fatalf("turns kept after they are over: %v", d.m)
	}
}
