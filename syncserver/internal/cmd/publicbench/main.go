// Command publicbench measures the public register and the citizens' form
// of a real server (server.New and Run, on 127.0.0.1) holding many
// appeals, as BENCHMARKS.md reports:
//
//	go run ./syncserver/internal/cmd/publicbench -appeals 100000 -published 20000
//
// It fills a store in a temporary directory (or -data, kept and reused)
// with appeals of ten councils through the ingester, central staff
// publishing some; then, for -duration, -readers clients at once read
// list pages (random filters and pages), appeal pages and the statistics;
// then for -form-duration citizens send the form at -form-rate a second
// (each one loads the form and posts it) while -laptops laptops keep
// syncing over the sync API (each pushing 50 new appeals a sync and
// pulling). Times "at the server" are the request log's, from the first
// byte of a request read to the last of its answer written; the clients'
// times include the loopback and the queue of 2 cores shared with them.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/server"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

var (
	cpuProfile  string
	readerPace  float64
	laptopOps   int
	laptopEvery time.Duration
)

var councils = []domain.Council{
	{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N", District: "KG-N-ATB"}, {Code: "OSH-ARA", Name: "Араван", Oblast: "KG-O"},
	{Code: "CHU-ALA", Name: "Аламүдүн", Oblast: "KG-C"}, {Code: "BTK-LEY", Name: "Лейлек", Oblast: "KG-B"},
	{Code: "JAL-SUZ", Name: "Сузак", Oblast: "KG-J"}, {Code: "ISK-TON", Name: "Тоң", Oblast: "KG-Y"},
	{Code: "TLS-BAK", Name: "Бакай-Ата", Oblast: "KG-T"}, {Code: "NRN-KOC", Name: "Кочкор", Oblast: "KG-N"},
	{Code: "OSH-NOO", Name: "Ноокат", Oblast: "KG-O"}, {Code: "CHU-SOK", Name: "Сокулук", Oblast: "KG-C"},
}

var (
	categories = []string{"land_property", "education", "social_protection", "domestic_violence", "health", "labour", "local_services", "discrimination", "police_justice", "housing"}
	statuses   = []string{"verified", "referred", "answered", "closed"}
)

func main() {
	var (
		appeals   = flag.Int("appeals", 100000, "appeals in the store")
		published = flag.Int("published", 20000, "of which published")
		data      = flag.String("data", "", "data directory, kept and reused (default: a temporary one, removed)")
		readers   = flag.Int("readers", 200, "clients reading at once")
		duration  = flag.Duration("duration", 15*time.Second, "how long they read")
		formRate  = flag.Int("form-rate", 200, "form submissions a second")
		formDur   = flag.Duration("form-duration", 10*time.Second, "how long citizens send the form")
		laptops   = flag.Int("laptops", 20, "laptops syncing while the form is sent")
		profile   = flag.String("cpuprofile", "", "write a CPU profile of the reading phase to this file")
		pace      = flag.Float64("pace", 0, "pages a second each reader asks at most (0: the next as soon as one is read)")
		lapOps    = flag.Int("laptop-ops", 50, "new appeals each laptop pushes in a sync")
		lapEvery  = flag.Duration("laptop-every", 0, "time between a laptop's syncs (0: the next as soon as one is done)")
	)
	flag.Parse()
	cpuProfile = *profile
	readerPace = *pace
	laptopOps, laptopEvery = *lapOps, *lapEvery
	if err := run(*appeals, *published, *data, *readers, *duration, *formRate, *formDur, *laptops); err != nil {
		fmt.Fprintln(os.Stderr, "publicbench:", err)
		os.Exit(1)
	}
}

// timings collects the request log's "ms" of public requests, by kind.
type timings struct {
	mu sync.Mutex
	ms map[string][]float64
}

func (t *timings) Enabled(context.Context, slog.Level) bool { return true }
func (t *timings) WithAttrs([]slog.Attr) slog.Handler       { return t }
func (t *timings) WithGroup(string) slog.Handler            { return t }
func (t *timings) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "request" {
		return nil
	}
	var path, method string
	var ms float64
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "path":
			path = a.Value.String()
		case "method":
			method = a.Value.String()
		case "ms":
			ms = a.Value.Float64()
		}
		return true
	})
	kind := kindOf(path)
	if kind == "form" && method == http.MethodPost {
		kind = "form sent"
	}
	t.mu.Lock()
	t.ms[kind] = append(t.ms[kind], ms)
	t.mu.Unlock()
	return nil
}

func (t *timings) reset() {
	t.mu.Lock()
	t.ms = map[string][]float64{}
	t.mu.Unlock()
}

func kindOf(path string) string {
	switch {
	case path == "/v1/sync":
		return "sync"
	case strings.Contains(path, "/appeals/"):
		return "appeal page"
	case strings.HasSuffix(path, "/stats"):
		return "statistics"
	case strings.HasSuffix(path, "/appeal"):
		return "form"
	case strings.Contains(path, "/track/"):
		return "tracking"
	case strings.HasPrefix(path, "/public/"):
		return "list page"
	}
	return "other"
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func run(nAppeals, nPublished int, data string, readers int, duration time.Duration, formRate int, formDur time.Duration, nLaptops int) error {
	ctx := context.Background()
	if data == "" {
		dir, err := os.MkdirTemp("", "publicbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		data = dir + "/srv"
	}
	tm := &timings{ms: map[string][]float64{}}
	cfg := server.Config{DataDir: data, Listen: "127.0.0.1:0", Logger: slog.New(tm), Rate: 0}
	// The bench's citizens send the form as soon as it is shown, often
	// within the millisecond (the token's clock): the least fill time
	// that still leaves the check in place (0 would be the 3 s default).
	cfg.Public.Guard.MinFill = time.Nanosecond
	cfg.Public.Guard.PerAddress, cfg.Public.Guard.PerNetwork, cfg.Public.Guard.MaxWaiting = -1, -1, 1<<30
	s, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	regNos, ids, err := fill(ctx, s, nAppeals, nPublished)
	if err != nil {
		s.Close()
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx, func(a net.Addr) { ready <- a }) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-done:
		return err
	}
	defer func() { stop(); <-done }()
	base := "http://" + addr.String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: readers + 50, MaxConnsPerHost: 0},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// Warm the view (the first request builds it from the store).
	t0 := time.Now()
	if _, err := get(client, base+"/public/en/"); err != nil {
		return err
	}
	fmt.Printf("first request after start (builds the view of %d published appeals): %.0f ms\n", len(regNos), float64(time.Since(t0).Microseconds())/1000)
	tm.reset()
	fmt.Printf("\n## %d readers at once for %s (%d appeals, %d published)\n\n", readers, duration, nAppeals, len(regNos))
	clientMs := map[string][]float64{}
	var cmu sync.Mutex
	var wg sync.WaitGroup
	var bytesRead atomic.Int64
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer f.Close()
	}
	end := time.Now().Add(duration)
	var failures atomic.Int64
	for i := 0; i < readers; i++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 7))
			langs := []string{"ky", "ru", "en"}
			var gap time.Duration
			if readerPace > 0 {
				gap = time.Duration(float64(time.Second) / readerPace)
			}
			next := time.Now().Add(time.Duration(rng.Int64N(int64(gap) + 1))) // readers start spread over one gap
			for time.Now().Before(end) {
				if readerPace > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(gap)
				}
				lang := langs[rng.IntN(3)]
				var path string
				switch r := rng.IntN(10); {
				case r < 4:
					q := url.Values{}
					if rng.IntN(2) == 0 {
						q.Set("oblast", councils[rng.IntN(len(councils))].Oblast)
					}
					if rng.IntN(2) == 0 {
						q.Set("category", categories[rng.IntN(len(categories))])
					}
					if rng.IntN(3) == 0 {
						q.Set("status", statuses[rng.IntN(len(statuses))])
					}
					if len(q) == 0 {
						q.Set("page", fmt.Sprint(1+rng.IntN(50)))
					}
					path = "/public/" + lang + "/?" + q.Encode()
				case r < 9:
					path = "/public/" + lang + "/appeals/" + regNos[rng.IntN(len(regNos))]
				default:
					path = "/public/" + lang + "/stats"
				}
				t := time.Now()
				n, err := get(client, base+path)
				if err != nil {
					if failures.Add(1) == 1 {
						fmt.Println("first failure:", err)
					}
					continue
				}
				bytesRead.Add(int64(n))
				cmu.Lock()
				clientMs[kindOf(strings.SplitN(path, "?", 2)[0])] = append(clientMs[kindOf(strings.SplitN(path, "?", 2)[0])], float64(time.Since(t).Microseconds())/1000)
				cmu.Unlock()
			}
		}(uint64(i))
	}
	wg.Wait()
	if os.Getenv("PUBLICBENCH_PROFILE_ALL") == "" {
		pprof.StopCPUProfile()
	}
	total := 0
	fmt.Println("| page | requests | at the server p50 | p99 | max | at the client p50 | p99 |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	tm.mu.Lock()
	for _, k := range []string{"list page", "appeal page", "statistics"} {
		v := tm.ms[k]
		total += len(v)
		fmt.Printf("| %s | %d | %.2f ms | %.2f ms | %.2f ms | %.1f ms | %.1f ms |\n", k, len(v), pct(v, .5), pct(v, .99), pct(v, 1), pct(clientMs[k], .5), pct(clientMs[k], .99))
	}
	tm.mu.Unlock()
	fmt.Printf("\n%d requests in %s: %.0f a second, %.1f MB read (uncompressed), %d failed\n", total, duration, float64(total)/duration.Seconds(), float64(bytesRead.Load())/1e6, failures.Load())

	// A publication reaches the server: the next request sees it (the
	// view is made again), and so does every request after it.
	if err := publication(ctx, s, client, base, regNos, ids); err != nil {
		return err
	}

	// The form while laptops sync.
	tm.reset()
	every := "back to back"
	if laptopEvery > 0 {
		every = "every " + laptopEvery.String()
	}
	fmt.Printf("\n## the form at %d a second for %s while %d laptops sync (%s, %d new appeals each)\n\n", formRate, formDur, nLaptops, every, laptopOps)
	lctx, lstop := context.WithCancel(ctx)
	defer lstop()
	var syncs, pushed atomic.Int64
	var lwg sync.WaitGroup
	startLaptops := make(chan struct{})
	for i := 0; i < nLaptops; i++ {
		c := councils[i%len(councils)]
		is, err := s.Admin().Enroll(ctx, auth.IssueRequest{Role: domain.RoleSecretary, Council: c.Code, Name: fmt.Sprintf("laptop %d", i)})
		if err != nil {
			return err
		}
		cl, err := syncclient.New(base, syncclient.Options{LocalIP: net.IPv4(127, 0, 1, byte(1+i))})
		if err != nil {
			return err
		}
		dev := domain.NewID()
		if _, err := cl.Enroll(ctx, syncproto.EnrollRequest{Proto: syncproto.Proto, Code: is.Code, DeviceID: dev, DeviceName: "bench", Cap: syncproto.CurrentCapability}); err != nil {
			return fmt.Errorf("enroll: %w", err)
		}
		// The laptop has pulled its council's appeals before (a first
		// pull is another measure: syncbench's): it pulls from the log's
		// head, what is new.
		cursor, err := s.Admin().Store.Head(ctx)
		if err != nil {
			return err
		}
		lwg.Add(1)
		go func(i int, c domain.Council, cursor uint64) {
			defer lwg.Done()
			<-startLaptops
			clock := hlc.NewClock(0, time.Now)
			var seq uint64
			next := time.Now()
			for n := 0; lctx.Err() == nil; n++ {
				if laptopEvery > 0 {
					select {
					case <-time.After(time.Until(next)):
					case <-lctx.Done():
						return
					}
					next = next.Add(laptopEvery)
				}
				var ops []syncproto.WireOp
				for k := 0; k < laptopOps; k++ {
					seq++
					ops = append(ops, createOp(dev, seq, uint64(clock.Now()), c, domain.FormatRegNo(c.Code, 2026, fmt.Sprintf("L%03d", i)[:4], seq), k, false))
				}
				resp, err := cl.Sync(lctx, &syncproto.SyncRequest{Proto: syncproto.Proto, Device: dev, Ops: ops, Cursor: cursor, Pull: true, Cap: syncproto.CurrentCapability})
				if err != nil {
					seq -= uint64(laptopOps)
					continue
				}
				cursor = resp.Cursor
				syncs.Add(1)
				pushed.Add(int64(len(ops)))
			}
		}(i, c, cursor)
	}
	tm.reset()
	tokenRe := regexp.MustCompile(`name="t" value="([^"]+)"`)
	var accepted, refused atomic.Int64
	var fmu sync.Mutex
	why := map[string]int{} // refusals by reason, under fmu
	refuse := func(reason string) {
		refused.Add(1)
		fmu.Lock()
		why[reason]++
		fmu.Unlock()
	}
	var formMs []float64
	var fwg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(formRate))
	close(startLaptops)
	fend := time.Now().Add(formDur)
	start := time.Now()
	for i := 0; time.Now().Before(fend); i++ {
		<-tick.C
		fwg.Add(1)
		go func(i int) {
			defer fwg.Done()
			t := time.Now()
			page, err := getBody(client, base+"/public/ru/appeal")
			m := tokenRe.FindStringSubmatch(page)
			if err != nil {
				refuse("the form: " + err.Error())
				return
			}
			if m == nil {
				refuse("the form has no token")
				return
			}
			form := url.Values{"t": {m[1]}, "council": {councils[i%len(councils)].Code}, "category": {"labour"},
				"text": {fmt.Sprintf("Работодатель не платит зарплату (%d). Нас двенадцать человек.", i)}, "name": {"Сагынбаев Нурлан"}, "phone": {"+996 555 987 654"}}
			resp, err := client.PostForm(base+"/public/ru/appeal", form)
			if err != nil {
				refuse("sending: " + err.Error())
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				refuse("sent: " + resp.Status)
				return
			}
			accepted.Add(1)
			fmu.Lock()
			formMs = append(formMs, float64(time.Since(t).Microseconds())/1000)
			fmu.Unlock()
		}(i)
	}
	tick.Stop()
	fwg.Wait()
	elapsed := time.Since(start)
	lstop()
	lwg.Wait()
	pprof.StopCPUProfile()
	tm.mu.Lock()
	gets, posts := tm.ms["form"], tm.ms["form sent"]
	tm.mu.Unlock()
	fmt.Printf("%d submissions accepted (%.0f a second), %d refused or failed; load and send, at the client: p50 %.1f ms, p99 %.1f ms\n",
		accepted.Load(), float64(accepted.Load())/elapsed.Seconds(), refused.Load(), pct(formMs, .5), pct(formMs, .99))
	for reason, n := range why {
		fmt.Printf("  refused or failed %d times: %s\n", n, reason)
	}
	fmt.Printf("at the server: the form shown p50 %.2f ms, p99 %.2f ms; sent (committed) p50 %.2f ms, p99 %.2f ms\n", pct(gets, .5), pct(gets, .99), pct(posts, .5), pct(posts, .99))
	tm.mu.Lock()
	sy := tm.ms["sync"]
	tm.mu.Unlock()
	fmt.Printf("meanwhile %d laptops made %d syncs (%.0f a second), pushing %d appeals; a sync at the server: p50 %.1f ms, p99 %.1f ms\n",
		nLaptops, syncs.Load(), float64(syncs.Load())/elapsed.Seconds(), pushed.Load(), pct(sy, .5), pct(sy, .99))
	return nil
}

func get(c *http.Client, u string) (int, error) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", u, resp.Status)
	}
	return int(n), err
}

func getBody(c *http.Client, u string) (string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// createOp is a whole appeal of council c, published when publish (its
// status then one that may be).
func createOp(dev string, seq, clock uint64, c domain.Council, regNo string, n int, publish bool) syncproto.WireOp {
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	status := "received"
	if publish {
		status = statuses[n%len(statuses)]
	}
	day := fmt.Sprintf("2026-%02d-%02d", 1+n%11, 1+n%27)
	f := map[string]any{"council": c.Code, "reg_no": regNo, "received_on": day, "registered_on": day, "channel": "phone",
		"oblast": c.Oblast, "category": categories[n%len(categories)], "authority": "police", "status": status,
		"summary": "Ички кыскача мазмун", "description": "Ички сүрөттөмө: " + strings.Repeat("сөз ", 40),
		"appellant":      map[string]any{"name": "Асанова Айгүл", "phone": "+996 555 000 111"},
		"public_summary": fmt.Sprintf("Айыл өкмөтү жер үлүшүн мыйзамсыз бөлүп берген, арыз %d", n)}
	if c.District != "" {
		f["district"] = c.District
	}
	if publish {
		f["verified_on"], f["ready_for_publication"] = day, true
		if status == "answered" || status == "closed" {
			f["referred_on"], f["referred_to"], f["answered_on"] = day, "прокуратура", fmt.Sprintf("2026-%02d-%02d", 1+n%11, 1+(n*3)%27)
		}
		if status == "closed" {
			f["closed_on"] = "2026-11-30"
		}
	}
	fields := map[string]syncproto.WireChange{}
	for k, v := range f {
		fields[k] = syncproto.WireChange{V: raw(v)}
	}
	return syncproto.WireOp{Device: dev, Seq: seq, HLC: clock, Kind: domain.KindAppeal, Record: domain.NewID(), Council: c.Code,
		Action: "create", Author: "bench", Fields: fields}
}

// fill makes the appeals (once: a store that holds them is reused) and
// returns the published ones' numbers.
func fill(ctx context.Context, s *server.Server, nAppeals, nPublished int) (regNos, ids []string, err error) {
	a := s.Admin()
	err = a.Store.ReadPublic(ctx, func(r store.PublicReader) error {
		return r.EachAppeal(func(p *store.PublicAppeal) error {
			regNos, ids = append(regNos, p.RegNo), append(ids, p.ID)
			return nil
		})
	})
	if err != nil || len(regNos) > 0 {
		return regNos, ids, err
	}
	t0 := time.Now()
	for _, c := range councils {
		if _, err := a.AddCouncil(ctx, c); err != nil {
			return nil, nil, err
		}
	}
	central := &store.Device{ID: domain.NewID(), Name: "central", Role: domain.RoleCentral}
	clock, cseq := hlc.NewClock(0, time.Now), uint64(0) // one clock: a publication orders after its appeal
	every := max(1, nAppeals/max(1, nPublished))
	for ci, c := range councils {
		dev := &store.Device{ID: domain.NewID(), Name: "secretary " + c.Code, Role: domain.RoleSecretary, Council: c.Code}
		per := nAppeals / len(councils)
		var batch, pub []syncproto.WireOp
		for i := 0; i < per; i++ {
			n := ci*per + i
			publish := n%every == 0 && len(regNos) < nPublished
			regNo := domain.FormatRegNo(c.Code, 2026, "B7QH", uint64(i+1))
			op := createOp(dev.ID, uint64(i+1), uint64(clock.Now()), c, regNo, n, publish)
			batch = append(batch, op)
			if publish {
				cseq++
				pub = append(pub, syncproto.WireOp{Device: central.ID, Seq: cseq, HLC: uint64(clock.Now()), Kind: domain.KindAppeal, Record: op.Record,
					Action: "update", Author: "central", Fields: map[string]syncproto.WireChange{"published": {V: json.RawMessage("true")},
						"published_on": {V: json.RawMessage(`"2026-11-30"`)}}})
				regNos, ids = append(regNos, regNo), append(ids, op.Record)
			}
			// The publications go right after the appeals they name (a
			// publication of an appeal the server has not got is refused);
			// they are a part of those appeals, so never more than a push.
			if len(batch) == syncproto.MaxPushOps || i == per-1 {
				if err := push(ctx, a, dev, batch); err != nil {
					return nil, nil, err
				}
				batch = batch[:0]
				if len(pub) > 0 {
					if err := push(ctx, a, central, pub); err != nil {
						return nil, nil, err
					}
					pub = pub[:0]
				}
			}
		}
	}
	fmt.Printf("filled %d appeals (%d published) in %s\n", nAppeals, len(regNos), time.Since(t0).Round(time.Second))
	return regNos, ids, nil
}

// push pushes ops as dev and fails on any refusal: a benchmark whose
// appeals were not all taken measures another register than it says.
func push(ctx context.Context, a *admin.Local, dev *store.Device, ops []syncproto.WireOp) error {
	res, err := a.Ingest.Push(ctx, dev, ops)
	if err != nil {
		return err
	}
	if len(res.Refused) > 0 {
		return fmt.Errorf("%d of %d operations refused, the first: %+v", len(res.Refused), len(ops), res.Refused[0])
	}
	return nil
}

// publication unpublishes one appeal and publishes it again, as central
// staff do, timing the first request after each (which waits for the view
// to be made again from the projection) and a request after it.
func publication(ctx context.Context, s *server.Server, c *http.Client, base string, regNos, ids []string) error {
	a := s.Admin()
	central := &store.Device{ID: domain.NewID(), Name: "central", Role: domain.RoleCentral}
	clock := hlc.NewClock(0, time.Now)
	fmt.Println()
	for seq, published := range []bool{false, true} {
		op := syncproto.WireOp{Device: central.ID, Seq: uint64(seq + 1), HLC: uint64(clock.Now()), Kind: domain.KindAppeal, Record: ids[0],
			Action: "update", Author: "central", Fields: map[string]syncproto.WireChange{"published": {V: json.RawMessage(fmt.Sprint(published))}}}
		if err := push(ctx, a, central, []syncproto.WireOp{op}); err != nil {
			return err
		}
		want := http.StatusNotFound
		if published {
			want = http.StatusOK
		}
		var took []string
		for range 2 {
			t := time.Now()
			resp, err := c.Get(base + "/public/en/appeals/" + regNos[0])
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				return fmt.Errorf("published %v: its page answers %d", published, resp.StatusCode)
			}
			took = append(took, fmt.Sprintf("%.1f ms", float64(time.Since(t).Microseconds())/1000))
		}
		fmt.Printf("published set to %v: the appeal's page answers %d; the first request %s, the next %s\n", published, want, took[0], took[1])
	}
	return nil
}
