package hostile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// The honest laptop is the real command-line client, keneshctl, built
// from this module and run as a process: the laptop's own code, met over
// the wire, without the server importing it.
var (
	keneshctl     string
	keneshctlErr  error
	keneshctlOnce sync.Once
)

// TestMain removes the keneshctl built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if keneshctl != "" {
		os.RemoveAll(filepath.Dir(keneshctl))
	}
	os.Exit(code)
}

func buildKeneshctl(t *testing.T) string {
	t.Helper()
	keneshctlOnce.Do(func() {
		dir, err := os.MkdirTemp("", "keneshctl-bin")
		if err != nil {
			keneshctlErr = err
			return
		}
		keneshctl = filepath.Join(dir, "keneshctl")
		cmd := exec.Command("go", "build", "-o", keneshctl, "./desktop/cmd/keneshctl")
		cmd.Dir = "../../.."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			keneshctlErr = fmt.Errorf("build keneshctl: %v\n%s", err, out)
		}
	})
	if keneshctlErr != nil {
		t.Fatal(keneshctlErr)
	}
	return keneshctl
}

// ctl runs keneshctl on the laptop's data directory.
func ctl(t *testing.T, data, stdin string, args ...string) (string, error) {
	cmd := exec.Command(buildKeneshctl(t), append([]string{"--data", data}, args...)...)
	cmd.Env = append(os.Environ(), "KENESH_PASSPHRASE=a passphrase for the test", "KENESH_KDF=test")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("keneshctl %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// An honest laptop syncs normally while hostile ones attack: bombs,
// amplification, clocks in the future and the past, forged councils and
// an attempt to take over the honest laptop's id. Every appeal it saves
// reaches the centre as it saved it, under its registered name.
func TestHonestLaptopSyncsWhileAttacked(t *testing.T) {
	if testing.Short() {
		t.Skip("builds keneshctl")
	}
	tg := start(t, server.Config{Rate: 2, Burst: 20})
	central := tg.enroll(domain.RoleCentral, "")
	var attackers []*laptop
	for i := 0; i < 3; i++ {
		attackers = append(attackers, tg.enroll(domain.RoleSecretary, "NRN-ATB"))
	}

	data := filepath.Join(t.TempDir(), "honest")
	if _, err := ctl(t, data, "", "init", "--device-name", "Ат-Башы ноутбугу"); err != nil {
		t.Fatal(err)
	}
	code := tg.code(auth.IssueRequest{Role: domain.RoleSecretary, Council: "NRN-ATB", Name: "Ат-Башы кеңешинин ноутбугу"})
	if _, err := ctl(t, data, "", "enroll", "--server", tg.url, "--code", code); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var sent atomic.Int64
	attack := func(a *laptop, send func(a *laptop)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				send(a)
				sent.Add(1)
			}
		}()
	}
	bombFrame := map[*laptop][]byte{}
	ampFrame := map[*laptop][]byte{}
	for _, a := range attackers {
		head := `{"proto":1,"device":"` + a.id + `","padding":"`
		f, err := tg.codec.Encode([]byte(head+strings.Repeat("a", syncproto.MaxRawBytes/4)+`"}`), 0)
		if err != nil {
			t.Fatal(err)
		}
		bombFrame[a] = f
		head = `{"proto":1,"device":"` + a.id + `","ops":[`
		if f, err = tg.codec.Encode([]byte(head+strings.Repeat(`{},`, syncproto.MaxRawBytes/12)+`{}]}`), 0); err != nil {
			t.Fatal(err)
		}
		ampFrame[a] = f
	}
	var honestID atomic.Value
	attack(attackers[0], func(a *laptop) { a.post(bombFrame[a]) })
	attack(attackers[1], func(a *laptop) { a.post(ampFrame[a]) })
	attack(attackers[2], func(a *laptop) {
		// Clocks, councils and the honest laptop's records, once it is known.
		a.mu.Lock()
		acked := a.seq
		a.mu.Unlock()
		r, err := a.post(encodeFrame(t, tg, syncproto.SyncRequest{Proto: 1, Device: a.id, Pull: true}))
		if err != nil || r.resp == nil {
			return
		}
		var target string
		for _, o := range r.resp.Ops {
			if o.Kind == domain.KindAppeal {
				target = o.Record
				honestID.Store(o.Device)
			}
		}
		if target == "" {
			target = domain.NewID()
		}
		a.seq = acked
		future := a.opAt(hlc.New(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).UnixMilli(), 0), domain.KindAppeal, target, changeset.ActionUpdate, map[string]any{"summary": "9999"})
		a.post(encodeFrame(t, tg, syncproto.SyncRequest{Proto: 1, Device: a.id, Ops: []syncproto.WireOp{future}}))
		a.seq = acked
		moved := a.op(domain.KindAppeal, target, changeset.ActionUpdate, map[string]any{"council": "OSH-ARA"})
		if r, err := a.post(encodeFrame(t, tg, syncproto.SyncRequest{Proto: 1, Device: a.id, Ops: []syncproto.WireOp{moved}})); err == nil && r.resp != nil {
			a.seq = r.resp.Acked
		}
		if id, ok := honestID.Load().(string); ok {
			tg.enrollRaw(syncproto.EnrollRequest{Proto: 1, Code: tg.code(auth.IssueRequest{Role: domain.RoleSecretary, Council: "NRN-ATB"}), DeviceID: id})
		}
	})

	// The honest laptop's day: appeals saved and synced, one edited, as
	// its background loop would (a sync that fails is tried again).
	sync := func() {
		t.Helper()
		var err error
		for i := 0; i < 30; i++ {
			if _, err = ctl(t, data, "", "sync"); err == nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("the honest laptop could not sync: %v", err)
	}
	var ids []string
	for i := 0; i < 3; i++ {
		for j := 0; j < 5; j++ {
			out, err := ctl(t, data, fmt.Sprintf(`{"council":"NRN-ATB","channel":"phone","appellant":{"name":"Токтогулов Эрмек %d"},"oblast":"KG-N","category":"police_justice","summary":"Милиция арызды каттоодон баш тартты %d"}`, i, j), "appeal", "add")
			if err != nil {
				t.Fatal(err)
			}
			var a struct{ ID string }
			json.Unmarshal([]byte(out), &a)
			ids = append(ids, a.ID)
		}
		sync()
	}
	if _, err := ctl(t, data, `{"summary":"Түзөтүлдү"}`, "appeal", "edit", ids[0]); err != nil {
		t.Fatal(err)
	}
	sync()
	close(stop)
	wg.Wait()
	t.Logf("%d attacks sent while the honest laptop worked", sent.Load())

	out, err := ctl(t, data, "", "status")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Pending uint64 `json:"pending"`
		Refused int    `json:"refused"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Pending != 0 || st.Refused != 0 {
		t.Fatalf("the honest laptop's status: %s %v", out, err)
	}
	got := map[string]bool{}
	ops, err := central.pullAll()
	if err != nil {
		t.Fatal(err)
	}
	honest, _ := honestID.Load().(string)
	for _, o := range ops {
		if o.Kind == domain.KindAppeal && o.Device != honest && o.Device != "" {
			for _, id := range ids {
				if o.Record == id {
					t.Errorf("an attacker's operation on the honest laptop's appeal reached the centre: %+v", o)
				}
			}
		}
		if o.Device == honest {
			got[o.Record] = true
			if o.Author != "Ат-Башы кеңешинин ноутбугу" {
				t.Errorf("the honest laptop's operation is authored %q", o.Author)
			}
		}
	}
	for _, id := range ids {
		if !got[id] {
			t.Errorf("appeal %s never reached the centre", id)
		}
	}
	fields, _ := tg.state(central, ids[0])
	if fields["summary"] != `"Түзөтүлдү"` {
		t.Errorf("the honest edit did not win: %v", fields["summary"])
	}
}
