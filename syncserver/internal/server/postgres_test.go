package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/public"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/pgstore"
)

// newPGHarness is a server on the PostgreSQL database at url with files in
// filesDir: several of them on one database are several processes.
func newPGHarness(t testing.TB, url, filesDir string) *harness {
	t.Helper()
	s, err := New(context.Background(), Config{Postgres: url, FilesDir: filesDir, PostgresConns: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, srv: s, url: hs.URL, admin: s.Admin(), codec: codec}
}

// via is h's devices' way to the server behind other (another process on
// the same database), with h's administration.
func (h *harness) via(other *harness) *harness {
	return &harness{t: h.t, srv: other.srv, url: other.url, admin: h.admin, codec: h.codec}
}

// Two server processes on one PostgreSQL database: laptops enrolled
// through either sync through the other, pushes through both at once are
// numbered in one gap-free order that a reader pulling alternately from
// both follows without missing or doubling anything, and a revocation
// made on one is refused by the other at the next request.
func TestTwoProcessesOnePostgres(t *testing.T) {
	url, files := pgtest.URL(t), t.TempDir()
	a, b := newPGHarness(t, url, files), newPGHarness(t, url, files)
	a.council("NRN-ATB", "KG-N")
	b.council("OSH-ARA", "KG-O")
	// Enrolled through the other process, with a code the first made.
	var devs []*device
	for i, c := range []string{"NRN-ATB", "OSH-ARA", "NRN-ATB", "OSH-ARA"} {
		home, other := a, b
		if i%2 == 1 {
			home, other = b, a
		}
		d := home.via(other).enroll(domain.RoleSecretary, c)
		d.h = home
		devs = append(devs, d)
	}
	central := b.via(a).enroll(domain.RoleCentral, "")

	// Pushes through both processes at once, each device alternating.
	const rounds, per = 12, 5
	var wg sync.WaitGroup
	for i, d := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				d.h = []*harness{a, b}[(i+r)%2]
				var ops []syncproto.WireOp
				for range per {
					ops = append(ops, d.op(domain.KindAppeal, domain.NewID(), d.cncl, changeset.ActionCreate, appealFields(d.cncl)))
				}
				if resp := d.push(ops...); resp.Acked != d.seq || len(resp.Refused) != 0 {
					t.Errorf("push %d of %s: %+v", r, d.id, resp)
					return
				}
			}
		}()
	}
	// Meanwhile central staff pull, page by page, from either process.
	var seen []syncproto.WireOp
	done := make(chan struct{})
	pulled := make(chan error, 1)
	go func() {
		cursor, n := uint64(0), 0
		for {
			finished := false
			select {
			case <-done:
				finished = true
			default:
			}
			central.h = []*harness{a, b}[n%2]
			n++
			resp, err := central.client().Sync(context.Background(), &syncproto.SyncRequest{Device: central.id, Cursor: cursor, Pull: true})
			if err != nil {
				pulled <- err
				return
			}
			seen = append(seen, answerOps(resp)...)
			cursor = resp.Cursor
			if finished && !resp.More {
				pulled <- nil
				return
			}
		}
	}()
	wg.Wait()
	close(done)
	if err := <-pulled; err != nil {
		t.Fatal(err)
	}
	got := map[string][]uint64{}
	for _, op := range seen {
		if op.Kind == domain.KindAppeal {
			got[op.Device] = append(got[op.Device], op.Seq)
		}
	}
	for _, d := range devs {
		want := make([]uint64, d.seq)
		for i := range want {
			want[i] = uint64(i + 1)
		}
		if !slices.Equal(got[d.id], want) {
			t.Fatalf("central staff, pulling from both processes, saw %v of %s's operations; want each of 1..%d once, in order", got[d.id], d.id, d.seq)
		}
	}
	// Every laptop of a council sees its council's operations, whichever
	// process it asks.
	for _, d := range devs {
		d.h = b
		n := 0
		for _, op := range d.pullAll() {
			if op.Kind == domain.KindAppeal {
				n++
			}
		}
		if n != rounds*per { // the other laptop of the council
			t.Fatalf("%s pulled %d of its council's appeals, want %d", d.id, n, rounds*per)
		}
	}

	// Revoked by an administrator on one process: refused by the other.
	d := devs[0]
	d.h = b
	if _, err := a.admin.Revoke(t.Context(), d.id); err != nil {
		t.Fatal(err)
	}
	// (The other process keeps the devices of tokens it saw: it forgets
	// them at the revocation's notification, within milliseconds.)
	if c, ok := b.srv.st.(store.DirectoryCatcher); ok {
		if err := c.CatchUpDirectory(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	status, _, eb := d.rawSync(d.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: d.id, Pull: true}))
	if status != http.StatusForbidden || eb.Code != syncproto.CodeRevoked {
		t.Fatalf("revoked on one process, the other answers %d %+v", status, eb)
	}
	ds, err := b.admin.Devices(t.Context())
	if err != nil || len(ds) != len(devs)+1 {
		t.Fatalf("devices: %d, %v", len(ds), err)
	}
	for _, x := range ds {
		if x.ID == d.id && (!x.Revoked || x.Acked != rounds*per) {
			t.Fatalf("the revoked device as the other process lists it: %+v", x)
		}
	}
}

// A server on PostgreSQL listens for the directory's writes from its
// start, before any laptop asked for anything, so that the first syncs'
// tokens are kept too (pgstore's tokencache.go).
func TestPostgresServerListensFromItsStart(t *testing.T) {
	h := newPGHarness(t, pgtest.URL(t), t.TempDir())
	pg := h.srv.st.(*pgstore.Store)
	deadline := time.Now().Add(30 * time.Second) // a test's bound: it connects in milliseconds
	for !pg.Listening() {
		if time.Now().After(deadline) {
			t.Fatal("the server does not listen for the directory's writes before its first laptop's request")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A laptop's name PostgreSQL could not keep (a NUL character) is refused
// as invalid input, not a server error.
func TestEnrollRefusesANameWithNUL(t *testing.T) {
	h := newPGHarness(t, pgtest.URL(t), t.TempDir())
	is, err := h.admin.Enroll(t.Context(), auth.IssueRequest{Role: domain.RoleCentral, Name: "central"})
	if err != nil {
		t.Fatal(err)
	}
	st, body := h.postJSON(syncproto.PathEnroll, syncproto.EnrollRequest{Proto: syncproto.Proto, Code: is.Code, DeviceID: domain.NewID(), DeviceName: "ноут\x00бук"})
	if st != http.StatusBadRequest {
		t.Fatalf("a laptop name with NUL: %d %s", st, body)
	}
}

// Two server processes on one PostgreSQL database, one of them killed
// with SIGKILL at a random moment of every round while laptops push
// through both: whatever either acknowledged is kept, in the log once, and
// the log's numbers run without a gap.
func TestTwoProcessesKilledDuringPushesKeepWhatTheyAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("kills server processes")
	}
	url, files := pgtest.URL(t), t.TempDir()
	adm := newPGHarness(t, url, files) // administration, and the reader
	councils := []string{"NRN-ATB", "OSH-NOO"}
	for i, code := range councils {
		adm.council(code, []string{"KG-N", "KG-O"}[i])
	}
	env := childPostgresEnv + "=" + url
	kids := []*child{startChild(t, files, env), startChild(t, files, env)}
	var devs []*killDevice
	for i := 0; i < 4; i++ {
		d := &killDevice{device: adm.enroll(domain.RoleSecretary, councils[i%2])}
		d.h = &harness{t: t, url: kids[i%2].url, admin: adm.admin, codec: adm.codec}
		devs = append(devs, d)
	}
	reader := adm.enroll(domain.RoleCentral, "")
	r := rand.New(rand.NewPCG(20261203, 15))
	for round := 0; round < 4; round++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i, d := range devs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d.pushUntilError(rand.New(rand.NewPCG(uint64(i), uint64(round))), stop)
			}()
		}
		time.Sleep(time.Duration(50+r.IntN(400)) * time.Millisecond)
		victim := round % 2
		kids[victim].kill()
		close(stop)
		wg.Wait()
		kids[victim] = startChild(t, files, env)
		for i, d := range devs {
			d.h.url = kids[i%2].url
			_, resp, eb, err := d.trySync(d.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: d.id}))
			if err != nil || resp == nil {
				t.Fatalf("round %d: after a restart: %v %+v", round, err, eb)
			}
			if resp.Acked < d.acked {
				t.Fatalf("round %d: device %s was acknowledged up to %d, the database holds %d", round, d.id, d.acked, resp.Acked)
			}
			d.acked = resp.Acked
		}
	}
	count := map[string]map[uint64]int{}
	for _, op := range reader.pullAll() {
		if op.Kind != domain.KindAppeal {
			continue
		}
		if count[op.Device] == nil {
			count[op.Device] = map[uint64]int{}
		}
		count[op.Device][op.Seq]++
	}
	total := 0
	for _, d := range devs {
		for seq := uint64(1); seq <= d.acked; seq++ {
			if n := count[d.id][seq]; n != 1 {
				t.Fatalf("device %s op %d is in the log %d times", d.id, seq, n)
			}
		}
		if len(count[d.id]) != int(d.acked) {
			t.Fatalf("device %s: %d operations in the log, %d acknowledged", d.id, len(count[d.id]), d.acked)
		}
		total += int(d.acked)
	}
	want := uint64(1)
	err := adm.srv.st.EachOp(t.Context(), 0, func(seq uint64, _ *changeset.Op) error {
		if seq != want {
			return fmt.Errorf("log entry %d follows %d", seq, want-1)
		}
		want++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("4 rounds, %d operations acknowledged by two processes and found after SIGKILL", total)
	for _, k := range kids {
		k.cmd.Process.Signal(os.Interrupt)
		if err := k.cmd.Wait(); err != nil {
			t.Errorf("graceful stop: %v", err)
		}
	}
}

// The citizens' form's challenge on PostgreSQL is one switch for every
// process, kept in the database: turned by admin on the database (no
// server of its own), by one process's administration, or by a process
// started with --public-challenge, every process's form follows it.
func TestChallengeSwitchSharedByProcesses(t *testing.T) {
	ctx := context.Background()
	url, files := pgtest.URL(t), t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	serve := func(challenge bool) (*Server, string) {
		t.Helper()
		// ChallengeEvery of a nanosecond: each form's request reads the
		// switch, so that what follows is never a matter of time.
		s, err := New(ctx, Config{Postgres: url, FilesDir: files, PostgresConns: 4, Logger: quiet,
			Public: PublicOptions{Guard: public.GuardConfig{Challenge: challenge, ChallengeEvery: time.Nanosecond}}})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(s.Handler())
		t.Cleanup(func() { hs.Close(); s.Close() })
		return s, hs.URL
	}
	asks := func(base string) bool {
		t.Helper()
		resp, err := http.Get(base + public.Prefix + "en/appeal")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("the form: %d %v", resp.StatusCode, err)
		}
		return strings.Contains(string(b), public.Prefix+"challenge/")
	}
	expect := func(step string, want bool, bases ...string) {
		t.Helper()
		for i, b := range bases {
			if got := asks(b); got != want {
				t.Errorf("%s: process %d's form asks the challenge: %v, want %v", step, i+1, got, want)
			}
		}
	}
	a, aURL := serve(false)
	_, bURL := serve(false)
	expect("at the start", false, aURL, bURL)

	// admin --postgres: a store of its own on the database, no server.
	st, err := pgstore.Open(ctx, url, pgstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	adm := &admin.Local{Store: st}
	on := true
	if got, err := adm.PublicChallenge(ctx, &on); err != nil || !got {
		t.Fatalf("admin on the database switched it on: %v, %v", got, err)
	}
	expect("switched on by admin on the database", true, aURL, bURL)

	off := false
	if got, err := a.Admin().PublicChallenge(ctx, &off); err != nil || got {
		t.Fatalf("the first process's administration switched it off: %v, %v", got, err)
	}
	expect("switched off through the first process", false, aURL, bURL)
	if got, err := adm.PublicChallenge(ctx, nil); err != nil || got {
		t.Errorf("admin reads the switch: %v, %v; want off", got, err)
	}

	_, cURL := serve(true) // serve --public-challenge
	expect("a process started with --public-challenge", true, aURL, bURL, cURL)
}

// The public register on two processes of one database: an appeal central
// staff publish through one process is on the other's register at the next
// request (each process's view follows the projection's changes), and once
// unpublished through the other, it is on neither.
func TestPublicRegisterAcrossProcesses(t *testing.T) {
	url, files := pgtest.URL(t), t.TempDir()
	a, b := newPGHarness(t, url, files), newPGHarness(t, url, files)
	a.council("NRN-ATB", "KG-N")
	sec := a.enroll(domain.RoleSecretary, "NRN-ATB")
	central := b.enroll(domain.RoleCentral, "")
	id, regNo := domain.NewID(), domain.FormatRegNo("NRN-ATB", 2026, "K7QH", 1)
	resp := sec.push(sec.op(domain.KindAppeal, id, "NRN-ATB", changeset.ActionCreate, map[string]any{
		"council": "NRN-ATB", "reg_no": regNo, "received_on": "2026-11-02", "registered_on": "2026-11-03", "channel": "phone",
		"oblast": "KG-N", "category": "land_property", "authority": "police", "summary": "PRIVATE-SUMMARY",
		"status": "verified", "verified_on": "2026-11-05", "ready_for_publication": true,
		"public_summary": "Жер участогу боюнча талаш", "appellant": map[string]any{"name": "PRIVATE-NAME"}}))
	if len(resp.Refused) != 0 {
		t.Fatalf("the appeal refused: %+v", resp.Refused)
	}
	registers := func(step string, want bool) {
		t.Helper()
		for i, h := range []*harness{a, b} {
			status, body := get(t, h.url+public.Prefix+"en/")
			if status != http.StatusOK {
				t.Fatalf("%s: process %d's register: %d", step, i+1, status)
			}
			if strings.Contains(body, "PRIVATE") {
				t.Fatalf("%s: process %d's register shows a private field", step, i+1)
			}
			if got := strings.Contains(body, regNo); got != want {
				t.Errorf("%s: process %d's register lists %s: %v, want %v", step, i+1, regNo, got, want)
			}
		}
	}
	registers("before publication", false) // each process holds a view now
	if resp := central.push(central.op(domain.KindAppeal, id, "", changeset.ActionUpdate, map[string]any{"published": true, "published_on": "2026-11-15"})); len(resp.Refused) != 0 {
		t.Fatalf("the publication refused: %+v", resp.Refused)
	}
	registers("published through the second process", true)
	if status, body := get(t, a.url+public.Prefix+"en/appeals/"+regNo); status != http.StatusOK || !strings.Contains(body, "Жер участогу боюнча талаш") {
		t.Errorf("the appeal's page on the first process: %d", status)
	}
	central.h = a
	if resp := central.push(central.op(domain.KindAppeal, id, "", changeset.ActionUpdate, map[string]any{"published": false})); len(resp.Refused) != 0 {
		t.Fatalf("the unpublication refused: %+v", resp.Refused)
	}
	registers("unpublished through the first process", false)
}

// A citizen's form sent again through the other process of a PostgreSQL
// deployment (a retry after a lost answer, which the load balancer gives
// to the next process) lands on the tracking page the first sending made,
// and the council's laptop pulls one web submission, through either.
func TestFormSentAgainThroughTheOtherProcess(t *testing.T) {
	ctx := context.Background()
	url, files := pgtest.URL(t), t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	serve := func() *harness {
		t.Helper()
		s, err := New(ctx, Config{Postgres: url, FilesDir: files, PostgresConns: 4, Logger: quiet,
			Public: PublicOptions{Guard: public.GuardConfig{MinFill: time.Nanosecond}}})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(s.Handler())
		t.Cleanup(func() { hs.Close(); s.Close() })
		codec, err := syncproto.DefaultCodec()
		if err != nil {
			t.Fatal(err)
		}
		return &harness{t: t, srv: s, url: hs.URL, admin: s.Admin(), codec: codec}
	}
	a, b := serve(), serve()
	a.council("NRN-ATB", "KG-N")
	_, page := get(t, b.url+public.Prefix+"ky/appeal")
	m := regexp.MustCompile(`name="t" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the form has no token")
	}
	form := neturl.Values{"t": {m[1]}, "council": {"NRN-ATB"}, "category": {"labour"}, "authority": {"private_employer"},
		"text": {"Иш берүүчү үч ай айлык төлөгөн жок."}, "name": {"Сагынбаев Нурлан"}, "phone": {"+996 555 987 654"}}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var where []string
	for _, h := range []*harness{b, a, b} {
		resp, err := noRedirect.PostForm(h.url+public.Prefix+"ky/appeal", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the form sent to %s: %d", h.url, resp.StatusCode)
		}
		where = append(where, resp.Header.Get("Location"))
	}
	if where[0] == "" || where[1] != where[0] || where[2] != where[0] {
		t.Fatalf("sent through one process, the other, the first again: to %q", where)
	}
	sec := a.enroll(domain.RoleSecretary, "NRN-ATB")
	n := 0
	for _, op := range sec.pullAll() {
		if op.Kind == domain.KindSubmission {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the council's laptop pulled %d web submissions, want 1", n)
	}
}

// A process that cannot reach the database says so at /healthz (503,
// unavailable), so that a load balancer's checks send laptops to the
// others; the others stay healthy.
func TestHealthSaysWhenTheDatabaseIsGone(t *testing.T) {
	url, files := pgtest.URL(t), t.TempDir()
	a, b := newPGHarness(t, url, files), newPGHarness(t, url, files)
	for _, h := range []*harness{a, b} {
		if status, body := get(t, h.url+syncproto.PathHealth); status != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
			t.Fatalf("health at the start: %d %s", status, body)
		}
	}
	a.srv.st.Close() // its connections to the database gone
	if status, body := get(t, a.url+syncproto.PathHealth); status != http.StatusServiceUnavailable || !strings.Contains(body, `"unavailable"`) {
		t.Errorf("health of the process without its database: %d %s", status, body)
	}
	if status, _ := get(t, b.url+syncproto.PathHealth); status != http.StatusOK {
		t.Errorf("health of the other process: %d", status)
	}
}
