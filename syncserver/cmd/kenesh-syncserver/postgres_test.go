package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
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

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Every admin subcommand on a PostgreSQL database, with no server running
// and with two running: a code made by admin enrolls a laptop through one
// process, which syncs through the other, and a revocation made by admin
// is refused by both at the next request.
func TestPostgresServeAndAdmin(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	admin := func(args ...string) (int, string, string) {
		return runCLI(ctx, append([]string{"admin", "--postgres", url}, args...)...)
	}
	if code, out, errs := admin("council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N"); code != 0 || !strings.Contains(out, "Ат-Башы") {
		t.Fatalf("council add: %d %s %s", code, out, errs)
	}
	file := filepath.Join(t.TempDir(), "councils.json")
	os.WriteFile(file, []byte(`[{"code":"OSH-NOO","name":"Ноокат","oblast":"KG-O","district":"KG-O-NOO"}]`), 0o600)
	if code, out, errs := admin("council", "import", file); code != 0 || !strings.Contains(out, "OSH-NOO") {
		t.Fatalf("council import: %d %s %s", code, out, errs)
	}
	if code, out, _ := admin("council", "list"); code != 0 || !strings.Contains(out, "NRN-ATB") || !strings.Contains(out, "OSH-NOO") {
		t.Fatalf("council list: %d %s", code, out)
	}
	if code, _, errs := admin("revoke", "nope"); code != 1 || !strings.Contains(errs, "no device") {
		t.Fatalf("revoke unknown: %d %s", code, errs)
	}
	if code, _, errs := admin("backup", filepath.Join(t.TempDir(), "b.kbk")); code != 1 || !strings.Contains(errs, "pg_dump") {
		t.Fatalf("backup of a PostgreSQL deployment: %d %s", code, errs)
	}
	// The form's challenge is the database's switch: turned with no
	// server running, and kept.
	for _, c := range []struct {
		args []string
		want string
	}{{nil, `{"challenge":false}`}, {[]string{"on"}, `{"challenge":true}`}, {nil, `{"challenge":true}`}} {
		code, out, errs := admin(append([]string{"public-challenge"}, c.args...)...)
		if code != 0 || strings.Join(strings.Fields(out), "") != c.want {
			t.Fatalf("public-challenge %v: %d %q %s", c.args, code, out, errs)
		}
	}
	if code, _, _ := admin("frobnicate"); code != 2 {
		t.Fatalf("unknown admin command: exit %d", code)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"admin", "--postgres", url, "--data", t.TempDir(), "devices"}, "one store at a time"},
		{[]string{"admin", "--postgres", url, "--key-file", "k", "devices"}, "in its database"},
		{[]string{"admin", "devices"}, "--postgres URL"},
		{[]string{"serve", "--postgres", url, "--listen", "127.0.0.1:0"}, "--files DIR is required"},
		{[]string{"restore", "--postgres", url, "kenesh.dump"}, "pg_restore -d"},
		{[]string{"rotate-key", "--postgres", url}, "is in the database"},
	} {
		if code, _, errs := runCLI(ctx, c.args...); code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %s; want it to say %q", c.args, code, errs, c.want)
		}
	}

	// Two server processes on the database and one files directory.
	files := t.TempDir()
	a := serveBG(t, http.DefaultClient, "http", "--postgres", url, "--files", files)
	b := serveBG(t, http.DefaultClient, "http", "--postgres", url, "--files", files)
	for _, base := range []string{a, b} { // both processes' forms ask what admin switched on
		resp, err := http.Get(base + "/public/en/appeal")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(page), "/challenge/") {
			t.Errorf("the form at %s does not ask the challenge admin switched on", base)
		}
	}
	code, out, errs := admin("enroll", "--council", "NRN-ATB", "--role", "secretary", "--name", "Ат-Башы ноутбугу")
	if code != 0 {
		t.Fatalf("enroll: %d %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	dev := domain.NewID()
	ca, err := syncclient.New(a, syncclient.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close()
	en, err := ca.Enroll(ctx, syncproto.EnrollRequest{Code: lines[len(lines)-1], DeviceID: dev, DeviceName: "ноутбук"})
	if err != nil {
		t.Fatalf("enroll through one process: %v", err)
	}
	cb, err := syncclient.New(b, syncclient.Options{Token: en.Token, ServerDicts: en.Dicts, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	clock := hlc.NewClock(0, time.Now)
	op := &changeset.Op{Device: dev, Seq: 1, HLC: clock.Now(), Kind: domain.KindAppeal, Record: domain.NewID(), Council: "NRN-ATB",
		Action: changeset.ActionCreate, Author: "x", Fields: map[string]changeset.Change{
			"council": {Value: json.RawMessage(`"NRN-ATB"`)}, "summary": {Value: json.RawMessage(`"Жер тууралуу"`)}, "status": {Value: json.RawMessage(`"received"`)}}}
	resp, err := cb.Sync(ctx, &syncproto.SyncRequest{Device: dev, Ops: []syncproto.WireOp{syncproto.ToWire(op)}, Pull: true})
	if err != nil || resp.Acked != 1 || len(resp.Refused) != 0 {
		t.Fatalf("a push through the other process: %+v, %v", resp, err)
	}
	// Pulled through the first: the councils admin added, not its own.
	resp, err = ca.Sync(ctx, &syncproto.SyncRequest{Device: dev, Pull: true})
	if err != nil || resp.Acked != 1 || len(resp.Ops) != 2 {
		t.Fatalf("a pull through the first process: %+v, %v", resp, err)
	}
	code, out, errs = admin("devices")
	var ds []struct {
		ID    string `json:"id"`
		Acked uint64 `json:"acked"`
	}
	if err := json.Unmarshal([]byte(out), &ds); code != 0 || err != nil || len(ds) != 1 || ds[0].ID != dev || ds[0].Acked != 1 {
		t.Fatalf("devices: %d %s %s", code, out, errs)
	}
	if code, _, errs := admin("revoke", dev); code != 0 {
		t.Fatalf("revoke: %s", errs)
	}
	// Each process keeps the devices of the tokens it saw, and forgets
	// them at the revocation's notification: refused within milliseconds
	// (a bound of 10 s for a loaded machine).
	for _, c := range []*syncclient.Client{ca, cb} {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			_, err := c.Sync(ctx, &syncproto.SyncRequest{Device: dev, Pull: true})
			if errors.Is(err, syncproto.ErrRevoked) {
				break
			}
			if err != nil || time.Now().After(deadline) {
				t.Fatalf("a revoked laptop at %s: %v, want revoked", c.URL(), err)
			}
		}
	}
	out2 := filepath.Join(t.TempDir(), "site")
	if code, _, errs := runCLI(ctx, "public", "export", "--postgres", url, "--out", out2); code != 0 {
		t.Fatalf("public export: %d %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(out2, "ky", "index.html")); err != nil {
		t.Fatal(err)
	}
}
