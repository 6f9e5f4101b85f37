package demo_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// made is the day the demo stores are made on (the steps are dated from it).
var made = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

type generated struct {
	res     demo.Result
	appeals map[string]string // council and serial -> the appeal as JSON, without what differs per store
	log     []*changeset.Op   // the device's own operations, in seq order
}

func generate(t *testing.T, o demo.Options) generated {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"), make([]byte, 32), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := records.Init(ctx, st, "demo laptop"); err != nil {
		t.Fatal(err)
	}
	svc, err := records.Open(ctx, st, records.Options{Now: func() time.Time { return made }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	res, err := demo.Generate(ctx, svc, o)
	if err != nil {
		t.Fatal(err)
	}
	g := generated{res: res, appeals: map[string]string{}}
	list, err := svc.List(records.Filter{Kind: domain.KindAppeal})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		a, err := svc.Appeal(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The registration number holds the device's code: keep the
		// council and the serial.
		parts := strings.Split(a.RegNo, "-")
		reg := strings.Join(append(parts[:len(parts)-2:len(parts)-2], parts[len(parts)-1]), "-")
		a.ID, a.Meta, a.RegNo = "", nil, ""
		for i := range a.Consultations {
			a.Consultations[i].ID = ""
		}
		b, _ := json.Marshal(a)
		g.appeals[reg] = string(b)
	}
	err = st.Ops(ctx, svc.Device().ID, 0, func(op *changeset.Op) error {
		g.log = append(g.log, op)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestSpreadMakesTheSameRecords: Spread changes the order of the
// operations in the log, not the records nor how many operations make them.
func TestSpreadMakesTheSameRecords(t *testing.T) {
	const appeals = 300
	plain := generate(t, demo.Options{Appeals: appeals, Seed: 7})
	spread := generate(t, demo.Options{Appeals: appeals, Seed: 7, Spread: true})
	if plain.res != spread.res {
		t.Fatalf("results differ: plain %+v, spread %+v", plain.res, spread.res)
	}
	if plain.res.Appeals != appeals || plain.res.Ops <= appeals {
		t.Fatalf("made %+v: want %d appeals with later steps", plain.res, appeals)
	}
	if len(plain.appeals) != appeals || len(spread.appeals) != appeals {
		t.Fatalf("%d and %d appeals listed, want %d", len(plain.appeals), len(spread.appeals), appeals)
	}
	for reg, a := range plain.appeals {
		if spread.appeals[reg] != a {
			t.Fatalf("appeal %s differs:\nplain  %s\nspread %s", reg, a, spread.appeals[reg])
		}
	}

	// How far apart a record's operations are in the log: adjacent
	// without Spread (an appeal is made with its steps), far apart with it.
	gap := func(log []*changeset.Op) (creates, steps int, mean float64, createdFirst bool) {
		createdFirst = true
		last := map[string]int{}
		var sum, n int
		for i, op := range log {
			if op.Kind != domain.KindAppeal {
				continue
			}
			if j, ok := last[op.Record]; ok {
				sum += i - j
				n++
				steps++
			} else {
				creates++
				createdFirst = createdFirst && steps == 0
			}
			last[op.Record] = i
		}
		return creates, steps, float64(sum) / float64(max(n, 1)), createdFirst
	}
	pc, ps, pg, _ := gap(plain.log)
	sc, ss, sg, first := gap(spread.log)
	t.Logf("mean distance between a record's operations in the log: %.1f plain, %.1f spread", pg, sg)
	if !first {
		t.Error("with Spread, an appeal was created after later steps of others")
	}
	if pc != appeals || sc != appeals || ps != ss || ps == 0 {
		t.Fatalf("creates %d/%d, later steps %d/%d", pc, sc, ps, ss)
	}
	if pg > 2 || sg < appeals/2 {
		t.Errorf("mean distance between a record's operations: %.1f plain (want <= 2), %.1f spread (want >= %d)", pg, sg, appeals/2)
	}
}
