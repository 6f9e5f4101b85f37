package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// serveUntil runs "serve" until stop is called, and waits for /healthz.
func serveUntil(t *testing.T, args ...string) (url string, stop func()) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		e := &env{stdout: &bytes.Buffer{}, stderr: &errb, getenv: func(string) string { return "" }}
		done <- run(ctx, e, append([]string{"serve", "--listen", addr, "--log-level", "warn"}, args...))
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, errb.String())
		}
	}
	t.Cleanup(stop)
	url = "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			return url, stop
		}
	}
	t.Fatalf("server did not come up: %s", errb.String())
	return "", nil
}

// laptop is an enrolled client that pushes appeals.
type laptop struct {
	c       *syncclient.Client
	id      string
	council string
	seq     uint64
	clock   *hlc.Clock
	sent    []syncproto.WireOp
	token   string
}

func enrollLaptop(t *testing.T, url, code, council string) *laptop {
	t.Helper()
	c, err := syncclient.New(url, syncclient.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	l := &laptop{c: c, id: domain.NewID(), council: council, clock: hlc.NewClock(0, time.Now)}
	resp, err := c.Enroll(context.Background(), syncproto.EnrollRequest{Code: code, DeviceID: l.id, DeviceName: "ноутбук " + council})
	if err != nil {
		t.Fatal(err)
	}
	l.token = resp.Token
	return l
}

// op makes the laptop's next operation on record (a new appeal when
// record is "") in council.
func (l *laptop) op(record, council, summary string) syncproto.WireOp {
	l.seq++
	action := changeset.ActionUpdate
	fields := map[string]changeset.Change{"summary": {Value: json.RawMessage(fmt.Sprintf("%q", summary))}}
	if record == "" {
		record, action = domain.NewID(), changeset.ActionCreate
		fields["council"] = changeset.Change{Value: json.RawMessage(fmt.Sprintf("%q", council))}
		fields["status"] = changeset.Change{Value: json.RawMessage(`"received"`)}
	}
	w := syncproto.ToWire(&changeset.Op{Device: l.id, Seq: l.seq, HLC: l.clock.Now(), Kind: domain.KindAppeal, Record: record, Council: council,
		Action: action, Author: "x", Fields: fields})
	l.sent = append(l.sent, w)
	return w
}

func (l *laptop) sync(t *testing.T, url string, ops ...syncproto.WireOp) *syncproto.SyncResponse {
	t.Helper()
	if l.c.URL() != url {
		t.Fatalf("the laptop speaks to %s, not %s", l.c.URL(), url)
	}
	resp, err := l.c.Sync(context.Background(), &syncproto.SyncRequest{Device: l.id, Ops: ops, Pull: true})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return resp
}

// migrate moves a deployment made by laptops syncing (accepted and
// refused operations, a conflict, last-seen times) to PostgreSQL, and the
// laptops go on where they were: what they had pushed is held (a resend is
// told it was), and the next operation is taken.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "srv")
	url := pgtest.URL(t)
	admin := func(args ...string) (int, string, string) {
		return runCLI(ctx, append([]string{"admin", "--data", dir}, args...)...)
	}
	for _, c := range [][]string{{"NRN-ATB", "KG-N"}, {"OSH-ARA", "KG-O"}} {
		if code, _, errs := admin("council", "add", "--code", c[0], "--name", "Кеңеш "+c[0], "--oblast", c[1]); code != 0 {
			t.Fatal(errs)
		}
	}
	codeFor := func(council string) string {
		_, out, errs := admin("enroll", "--council", council, "--role", "secretary", "--name", "Ноутбук "+council)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) < 2 {
			t.Fatalf("enroll: %s", errs)
		}
		return lines[len(lines)-1]
	}
	old, stop := serveUntil(t, "--data", dir)
	a := enrollLaptop(t, old, codeFor("NRN-ATB"), "NRN-ATB")
	b := enrollLaptop(t, old, codeFor("NRN-ATB"), "NRN-ATB")
	c := enrollLaptop(t, old, codeFor("OSH-ARA"), "OSH-ARA")
	first := a.op("", "NRN-ATB", "Жер тууралуу")
	a.sync(t, old, first, a.op("", "NRN-ATB", "Суу"))
	// A conflict: both laptops of the council edit one field at once.
	a.sync(t, old, a.op(first.Record, "NRN-ATB", "биринчи"))
	b.sync(t, old, b.op(first.Record, "NRN-ATB", "экинчи"))
	// A refusal: another council's appeal.
	if resp := c.sync(t, old, c.op("", "OSH-ARA", "Ош"), c.op("", "NRN-ATB", "not ours")); len(resp.Refused) != 1 {
		t.Fatalf("a write to another council: %+v", resp)
	}
	if code, _, errs := runCLI(ctx, "migrate", "--from-data", dir, "--to-postgres", url); code != 1 || !strings.Contains(errs, "stop the server") {
		t.Fatalf("migrate while the server runs: %d %s", code, errs)
	}
	stop()
	_, before, _ := admin("devices")

	code, out, errs := runCLI(ctx, "migrate", "--from-data", dir, "--to-postgres", url)
	if code != 0 {
		t.Fatalf("migrate: %d %s", code, errs)
	}
	var report struct {
		Checked struct {
			Ops, Devices, Refusals, States, Conflicts int
		}
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || report.Checked.Devices != 3 || report.Checked.Refusals != 1 || report.Checked.Conflicts == 0 || report.Checked.Ops != 7 {
		t.Fatalf("migrate's report: %s (%v)", out, err)
	}
	if code, _, errs := runCLI(ctx, "migrate", "--from-data", dir, "--to-postgres", url); code != 1 || !strings.Contains(errs, "empty") {
		t.Fatalf("migrate into a used database: %d %s", code, errs)
	}
	_, after, _ := runCLI(ctx, "admin", "--postgres", url, "devices")
	// Times are kept to the microsecond on PostgreSQL (Badger kept the
	// nanoseconds of enrollment times).
	if before, after = toMicro(before), toMicro(after); before != after {
		t.Fatalf("devices before:\n%s\nafter:\n%s", before, after)
	}

	// The laptops go on, on PostgreSQL, with the tokens they had.
	files := filepath.Join(dir, "files")
	nu, _ := serveUntil(t, "--postgres", url, "--files", files)
	for _, l := range []*laptop{a, b, c} {
		var err error
		if l.c, err = syncclient.New(nu, syncclient.Options{Token: l.token, Timeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := a.c.Sync(ctx, &syncproto.SyncRequest{Device: a.id, Ops: a.sent})
	if err != nil || resp.Acked != a.seq {
		t.Fatalf("a resend after the move: %+v, %v", resp, err)
	}
	if resp := a.sync(t, nu, a.op("", "NRN-ATB", "after")); resp.Acked != a.seq || len(resp.Refused) != 0 {
		t.Fatalf("the next operation after the move: %+v", resp)
	}
	resp, err = c.c.Sync(ctx, &syncproto.SyncRequest{Device: c.id, Ops: c.sent})
	if err != nil || len(resp.Refused) != 1 {
		t.Fatalf("a refused operation sent again after the move: %+v, %v", resp, err)
	}
	// b pulls from scratch: its council's records, with a's latest.
	resp, err = b.c.Sync(ctx, &syncproto.SyncRequest{Device: b.id, Pull: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, op := range resp.Ops {
		if op.Kind == domain.KindAppeal {
			n++
		}
	}
	if n != 4 { // a's four; not b's own, not the other council's
		t.Fatalf("a pull from scratch after the move: %d appeal operations, want 4", n)
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
