package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// settle syncs every laptop until nothing moves.
func settle(t *testing.T, all []*laptop) {
	t.Helper()
	for round, quiet := 0, 0; quiet < 2; round++ {
		if round > 30 {
			t.Fatal("replicas did not settle after 30 rounds of syncs")
		}
		moved := false
		for _, l := range all {
			sum, err := l.sync.SyncOnce(context.Background())
			if err != nil {
				t.Fatalf("%s: sync: %v", l.name, err)
			}
			moved = moved || sum.Sent > 0 || sum.Received > 0
		}
		if moved {
			quiet = 0
		} else {
			quiet++
		}
	}
}

// route sends the laptop's syncs to via, in turn.
func (l *laptop) route(via ...string) {
	codec := l.sync.codec
	n := 0
	l.sync.newClient = func(e *records.Enrollment) (*syncclient.Client, error) {
		url := via[n%len(via)]
		n++
		return syncclient.New(url, syncclient.Options{Token: e.Token, Codec: codec, ServerDicts: e.Dicts, Timeout: 20 * time.Second})
	}
}

// TestMigrateToPostgres: real laptops work and sync on an embedded
// server; it is stopped and kenesh-syncserver migrate moves it to
// PostgreSQL. Every device's acknowledgement is the same there, a new
// central laptop pulling everything from the PostgreSQL servers holds
// every record exactly as the old central laptop did, and the laptops go
// on working through two PostgreSQL server processes, with their tokens
// and cursors, until everyone agrees again.
func TestMigrateToPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("runs servers, PostgreSQL and several laptops")
	}
	url := pgtest.URL(t)
	ctx := context.Background()
	old := startServer(t)
	old.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	old.addCouncil("OSH-ARA", "Араван коомдук кеңеши", "KG-O")
	var all []*laptop
	for i, c := range []struct{ council, oblast string }{{"NRN-ATB", "KG-N"}, {"NRN-ATB", "KG-N"}, {"OSH-ARA", "KG-O"}} {
		l := newLaptop(t, fmt.Sprintf("laptop-%d-%s", i, c.council))
		l.enroll(t, old, c.council, c.oblast, domain.RoleSecretary, old.URL)
		all = append(all, l)
	}
	central := newLaptop(t, "central")
	central.enroll(t, old, "", "", domain.RoleCentral, old.URL)
	all = append(all, central)
	today := caldate.Today(records.Bishkek)
	work := func(seed uint64, steps int) {
		t.Helper()
		for i, l := range all {
			r := mrand.New(mrand.NewPCG(seed, uint64(i)))
			for s := 0; s < steps; s++ {
				if err := l.act(ctx, r, today); err != nil {
					t.Fatalf("%s: %v", l.name, err)
				}
				if r.IntN(4) == 0 {
					if _, err := l.sync.SyncOnce(ctx); err != nil {
						t.Fatalf("%s: sync: %v", l.name, err)
					}
				}
			}
		}
		settle(t, all)
	}
	work(1, 40)
	devicesBefore := old.admin("devices")
	held := map[string]map[string]string{}
	for _, kind := range []string{domain.KindAppeal, domain.KindEvent} {
		held[kind] = snapshot(t, central, kind, "")
	}
	old.stop()

	cmd := exec.Command(old.bin, "migrate", "--from-data", old.dir, "--to-postgres", url)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, stderr.String())
	}
	var report struct {
		Checked struct{ Ops, Devices, States int }
	}
	if err := json.Unmarshal(out, &report); err != nil || report.Checked.Devices != len(all) || report.Checked.Ops == 0 || report.Checked.States == 0 {
		t.Fatalf("migrate's report: %s (%v)", out, err)
	}
	t.Logf("moved: %+v", report.Checked)

	srvs := startPostgresServersAt(t, url, filepath.Join(old.dir, "files"), 2)
	// Every device's acknowledgement, as the administrator lists them
	// (times to the microsecond, as PostgreSQL keeps them).
	if got, want := toMicro(srvs[1].admin("devices")), toMicro(devicesBefore); got != want {
		t.Fatalf("devices after the move:\n%s\nbefore:\n%s", got, want)
	}
	// A new central laptop pulls every record as the old one held it.
	fresh := newLaptop(t, "central-new")
	fresh.enroll(t, srvs[0], "", "", domain.RoleCentral, srvs[1].URL, srvs[0].URL)
	settle(t, []*laptop{fresh})
	for kind, want := range held {
		if got := snapshot(t, fresh, kind, ""); !reflect.DeepEqual(got, want) {
			t.Fatalf("%ss pulled after the move: %d, the old central laptop held %d, or they differ", kind, len(got), len(want))
		}
	}
	// The laptops go on through both processes, with what they had.
	for _, l := range all {
		l.route(srvs[0].URL, srvs[1].URL)
	}
	all = append(all, fresh)
	work(2, 20)
	want := snapshot(t, central, domain.KindAppeal, "")
	if got := snapshot(t, fresh, domain.KindAppeal, ""); !reflect.DeepEqual(got, want) {
		t.Fatalf("after more work on PostgreSQL the central laptops differ: %d and %d appeals", len(got), len(want))
	}
	for _, l := range all[:3] {
		if got, mine := snapshot(t, l, domain.KindAppeal, ""), snapshot(t, central, domain.KindAppeal, l.council); !reflect.DeepEqual(got, mine) {
			t.Fatalf("%s holds %d appeals, the centre %d of its council, or they differ", l.name, len(got), len(mine))
		}
	}
}

// toMicro writes the times of a JSON text to the microsecond, as
// PostgreSQL keeps them (Badger kept the nanoseconds of some).
func toMicro(s string) string {
	return fraction.ReplaceAllStringFunc(s, func(f string) string {
		digits := strings.TrimSuffix(strings.TrimPrefix(f, "."), "Z")
		if len(digits) > 6 {
			digits = digits[:6]
		}
		if digits = strings.TrimRight(digits, "0"); digits == "" {
			return "Z"
		}
		return "." + digits + "Z"
	})
}

var fraction = regexp.MustCompile(`\.\d+Z`)
