package hostile

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/server"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// redeem enrolls id with code and returns the status, the error body (on
// a refusal) and the token (on success).
func (tg *target) redeem(code, id string) (int, syncproto.ErrorBody, string) {
	tg.t.Helper()
	status, body := tg.enrollRaw(syncproto.EnrollRequest{Proto: syncproto.Proto, Code: code, DeviceID: id, DeviceName: "x"})
	var eb syncproto.ErrorBody
	var er syncproto.EnrollResponse
	if status == http.StatusOK {
		if err := json.Unmarshal(body, &er); err != nil {
			tg.t.Fatal(err)
		}
	} else if err := json.Unmarshal(body, &eb); err != nil {
		tg.t.Fatalf("%d %s", status, body)
	}
	return status, eb, er.Token
}

// Finding 5: any valid one-time code could be redeemed under another
// device's id (ids are in every pulled operation): the victim was locked
// out and the attacker wrote as the victim. An existing id is re-bound
// only by a code the administrator issued for that device.
func TestEnrollmentCannotTakeOverAnotherDevice(t *testing.T) {
	tg := start(t, server.Config{})
	victim := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	victim.mustPush(victim.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB")))

	for _, c := range []auth.IssueRequest{{Role: domain.RoleSecretary, Council: "OSH-ARA"}, {Role: domain.RoleCentral}, {Role: domain.RoleSecretary, Council: "NRN-ATB"}} {
		status, eb, _ := tg.redeem(tg.code(c), victim.id)
		if status != http.StatusForbidden || eb.Code != syncproto.CodeForbidden {
			t.Fatalf("a %s code redeemed under the victim's id: %d %+v", c.Role, status, eb)
		}
	}
	// The victim goes on as before.
	victim.mustPush(victim.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB")))

	// A code for this very device re-binds it (a reinstalled laptop): it
	// keeps its acknowledged operations and gets a new token.
	again := tg.code(auth.IssueRequest{Device: victim.id})
	other := domain.NewID()
	if status, eb, _ := tg.redeem(again, other); status != http.StatusForbidden || eb.Code != syncproto.CodeBadCode {
		t.Fatalf("a code for one device redeemed by another: %d %+v", status, eb)
	}
	status, eb, tok := tg.redeem(again, victim.id)
	if status != http.StatusOK {
		t.Fatalf("re-enrolling with a code for this device: %d %+v", status, eb)
	}
	old := victim.token
	victim.token = tok
	if r := victim.mustPush(victim.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))); r.Acked != 3 {
		t.Fatalf("after re-enrolling: acked %d, want 3", r.Acked)
	}
	victim.token = old
	if r := victim.sync(syncproto.SyncRequest{Pull: true}); r.status != http.StatusUnauthorized {
		t.Fatalf("the old token after re-enrolling: %s", r)
	}
	devs, err := tg.admin.Devices(context.Background())
	if err != nil || len(devs) != 1 || devs[0].Council != "NRN-ATB" || devs[0].Role != domain.RoleSecretary {
		t.Fatalf("devices: %+v %v", devs, err)
	}
	// Codes for a device that does not exist, or with another role and
	// council, are the administrator's to issue.
	if _, err := tg.admin.Enroll(context.Background(), auth.IssueRequest{Device: domain.NewID()}); err == nil {
		t.Fatal("a code for an unknown device was issued")
	}
}

// serverDevice finds the server's own device id, as anyone can: in the
// operations of the councils it pulls.
func serverDevice(t *testing.T, l *laptop) string {
	ops, err := l.pullAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		if o.Kind == domain.KindCouncil {
			return o.Device
		}
	}
	t.Fatal("no council operation pulled")
	return ""
}

// Finding 6: a code redeemed under the server's own device id made the
// attacker's operations be served as the server's, and two different
// operations ended up with the same (device, seq).
func TestServerDeviceIsReserved(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	srvDev := serverDevice(t, sec)
	status, eb, _ := tg.redeem(tg.code(auth.IssueRequest{Role: domain.RoleAdmin}), srvDev)
	if status != http.StatusForbidden || eb.Code != syncproto.CodeForbidden {
		t.Fatalf("enrolling as the server: %d %+v", status, eb)
	}

	// An id that wrote operations without being an enrolled device (here:
	// the server's, stored by an older server that enrolled an attacker
	// under it) can be neither enrolled nor used.
	var token string
	tg.offline(func(st store.Store) {
		tok, sum := auth.NewToken()
		token = tok
		err := st.Update(context.Background(), func(x store.DirTx) error {
			d := &store.Device{ID: srvDev, Name: "attacker", Role: domain.RoleAdmin}
			if err := x.SetToken(d, sum); err != nil {
				return err
			}
			return x.PutDevice(d)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	attacker := &laptop{tg: tg, id: srvDev, token: token, role: domain.RoleAdmin, clock: sec.clock}
	attacker.seq = 2 // the server wrote the two councils
	r := attacker.push(attacker.op(domain.KindCouncil, "NRN-ATB", changeset.ActionUpdate, map[string]any{"name": "Басып алынган"}))
	if r.status != http.StatusForbidden {
		t.Fatalf("a device under the server's id pushed: %s", r)
	}
	tg.council("TLS-BKR", "KG-T")
	seen := map[uint64]string{}
	ops, err := sec.pullAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		if o.Device != srvDev {
			continue
		}
		if rec, dup := seen[o.Seq]; dup {
			t.Fatalf("two operations as %s/%d: %s and %s", srvDev, o.Seq, rec, o.Record)
		}
		seen[o.Seq] = o.Record
		if o.Record == "NRN-ATB" && string(o.Fields["name"].V) == `"Басып алынган"` {
			t.Fatal("the attacker's operation is served as the server's")
		}
	}
	if len(seen) != 3 {
		t.Fatalf("the server's operations: %v", seen)
	}
}

// A new device's id must be new to the server: one it holds operations
// of, without a device (an imported log, a device record an older server
// lost), is refused, as are ids that are not canonical UUIDs.
func TestNewDeviceIDMustBeNew(t *testing.T) {
	tg := start(t, server.Config{})
	ghost := domain.NewID()
	tg.offline(func(st store.Store) {
		err := st.Append(context.Background(), func(x store.LogTx) error {
			return x.Refuse(store.Refusal{Device: ghost, Seq: 1, HLC: 117677491360104448, Kind: domain.KindAppeal, Record: domain.NewID(), Code: "forbidden"})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	status, eb, _ := tg.redeem(tg.code(auth.IssueRequest{Role: domain.RoleSecretary, Council: "NRN-ATB"}), ghost)
	if status != http.StatusForbidden || eb.Code != syncproto.CodeForbidden {
		t.Fatalf("enrolling an id with operations but no device: %d %+v", status, eb)
	}
	for _, id := range []string{"not-a-uuid", "", "01A21153-0B49-7F01-9325-83417E1D6F9D"} {
		if status, _, _ := tg.redeem(tg.code(auth.IssueRequest{Role: domain.RoleCentral}), id); status != http.StatusBadRequest {
			t.Errorf("device id %q: %d", id, status)
		}
	}
}
