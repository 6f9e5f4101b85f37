package hlc

import (
	"testing"
	"time"
)

func TestClockMonotonicWhenWallClockGoesBack(t *testing.T) {
	wall := time.UnixMilli(1_000_000)
	c := NewClock(0, func() time.Time { return wall })
	a := c.Now()
	wall = wall.Add(-time.Hour) // someone fixed the laptop's clock
	b := c.Now()
	if b <= a {
		t.Fatalf("timestamp went backwards: %s then %s", a, b)
	}
	if b.Millis() != a.Millis() || b.Logical() != a.Logical()+1 {
		t.Fatalf("want a logical tick after %s, got %s", a, b)
	}
}

func TestClockStartsAfterPersisted(t *testing.T) {
	persisted := New(5_000_000, 7)
	c := NewClock(persisted, func() time.Time { return time.UnixMilli(1) })
	if got := c.Now(); got <= persisted {
		t.Fatalf("clock issued %s, not after persisted %s", got, persisted)
	}
}

func TestObserve(t *testing.T) {
	now := time.UnixMilli(10_000_000)
	c := NewClock(0, func() time.Time { return now })
	tests := []struct {
		name    string
		remote  Timestamp
		wantErr bool
	}{
		{"behind", New(9_000_000, 3), false},
		{"slightly ahead", New(10_005_000, 2), false},
		{"years ahead", New(now.Add(400*24*time.Hour).UnixMilli(), 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Observe(tt.remote)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Observe(%s) error = %v, wantErr %v", tt.remote, err, tt.wantErr)
			}
			if err == nil {
				if got := c.Now(); got <= tt.remote {
					t.Fatalf("Now() = %s after observing %s", got, tt.remote)
				}
			}
		})
	}
}

func TestPacking(t *testing.T) {
	ts := New(1_732_512_345_678, 65535)
	if ts.Millis() != 1_732_512_345_678 || ts.Logical() != 65535 {
		t.Fatalf("round trip failed: %d %d", ts.Millis(), ts.Logical())
	}
	if ts+1 <= ts || (ts+1).Millis() != ts.Millis()+1 {
		t.Fatalf("logical overflow must carry into millis")
	}
}
