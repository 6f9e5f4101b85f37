package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// side is what one system did in one measurement. Bytes are counted by the
// testnet.Link the traffic crossed: TCP payload both ways, HTTP headers
// included.
type side struct {
	Seconds  float64 `json:"seconds"`
	Up       int64   `json:"bytes_up"`
	Down     int64   `json:"bytes_down"`
	Requests int     `json:"requests"`
	// Groups is how many groups of appends the server committed the
	// requests in (0: not counted: PouchDB, or a server without the
	// metric).
	Groups  int64 `json:"groups,omitempty"`
	Conns   int64 `json:"connections"`
	Records int   `json:"records"`
	Ops     int   `json:"operations,omitempty"`
}

func (s *side) bytes() int64 { return s.Up + s.Down }

func (s *side) perSecond() float64 {
	if s.Seconds <= 0 {
		return 0
	}
	return float64(s.Records) / s.Seconds
}

// zstdCmp compares a day's push on the wire with zstd -19 of the changed
// fields alone.
type zstdCmp struct {
	Ops        int   `json:"operations"`
	FieldsRaw  int   `json:"changed_fields_bytes"`
	Zstd19     int   `json:"zstd19_bytes"`
	Zstd19Dict int   `json:"zstd19_dict_bytes"`
	Wire       int64 `json:"kenesh_wire_bytes"`
	Frame      int   `json:"kenesh_request_frame_bytes"`
	// The same day's work by laptops without the dictionary (another
	// council, the same seed: other ids and clocks, the same kind of work).
	WirePlain   int64 `json:"kenesh_no_dict_wire_bytes"`
	Zstd19Plain int   `json:"no_dict_run_zstd19_bytes"`
}

// loadResult is one concurrency run.
type loadResult struct {
	Clients    int     `json:"clients"`
	Rounds     int     `json:"rounds"`
	OpsPerSync int     `json:"ops_per_sync"`
	Requests   int     `json:"requests"`
	Seconds    float64 `json:"seconds"`
	OpsPushed  int     `json:"ops_pushed"`
	OpsPulled  int     `json:"ops_pulled"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	// ExchP50ms, ExchP99ms: the syncs' exchanges alone (exchangeClock),
	// without the clients' encoding and decoding and their wait for a
	// core to do them.
	ExchP50ms float64 `json:"exchange_p50_ms,omitempty"`
	ExchP99ms float64 `json:"exchange_p99_ms,omitempty"`
	// HandledMs: the servers' mean time a sync from its body read to its
	// answer encoded (their kenesh_sync_duration_seconds), waits for the
	// group's commit, a connection and the cores included.
	HandledMs float64 `json:"handled_mean_ms,omitempty"`
	// MeanMs: the syncs' mean latency (in a closed loop, about the clients
	// over the syncs a second).
	MeanMs float64 `json:"mean_ms"`
	// The first round apart: every client's first timed sync starts at
	// once (the first sync of each laptop on its server process, too),
	// and its slowest ones have made most of the p99 on PostgreSQL
	// (BENCHMARKS.md, pg5). FirstMaxMs: when the last of them ended;
	// SlowInFirst: how many of the syncs at or over the p99 were of the
	// first round; LaterP99ms: the p99 of the other rounds' syncs.
	FirstP50ms  float64 `json:"first_round_p50_ms"`
	FirstMaxMs  float64 `json:"first_round_max_ms"`
	SlowInFirst int     `json:"slow_in_first_round"`
	Slow        int     `json:"slow"`
	LaterP99ms  float64 `json:"later_rounds_p99_ms"`
	// Groups: the groups of appends (commits) the servers ran during the
	// timed syncs (0: not served by the server).
	Groups    int64   `json:"groups,omitempty"`
	PeakRSS   int64   `json:"server_peak_rss"`
	RSSBefore int64   `json:"server_rss_before"`
	ServerCPU float64 `json:"server_cpu_seconds"`
	// ClientCPU is this process's CPU over the same time: the load
	// generator's 500 clients share the machine's cores with the server,
	// so what they cost is part of the measure.
	ClientCPU float64 `json:"client_cpu_seconds"`
	// DatabaseCPU is PostgreSQL's CPU over the same time (with -postgres;
	// 0 on Badger), its server processes' together.
	DatabaseCPU   float64 `json:"postgres_cpu_seconds,omitempty"`
	ReqPerSecond  float64 `json:"requests_per_second"`
	OpsPushPerSec float64 `json:"ops_pushed_per_second"`
	// BytesUp and BytesDown are what the clients sent and received during
	// the timed syncs (HTTP included); Proto is the protocol the server
	// told them it speaks (2: they send protocol 2's requests, binary
	// where that frame is the smaller, see syncproto.EncodeSyncRequest).
	BytesUp   int64 `json:"bytes_up"`
	BytesDown int64 `json:"bytes_down"`
	Proto     int   `json:"proto"`
	// Load is the machine's load average (1 minute) at the start and end.
	Load [2]float64 `json:"loadavg"`
}

// results is everything one run measured.
type results struct {
	Date      string   `json:"date"`
	Machine   string   `json:"machine"`
	CPUs      int      `json:"cpus"`
	Go        string   `json:"go"`
	Commit    string   `json:"commit"`
	Command   string   `json:"command"`
	Records   int      `json:"records"`
	Seed      uint64   `json:"seed"`
	EdgeBPS   int64    `json:"edge_bps"`
	EdgeRTTms int64    `json:"edge_rtt_ms"`
	Notes     []string `json:"notes,omitempty"`

	PushK *side `json:"push_kenesh,omitempty"`
	PushP *side `json:"push_pouchdb,omitempty"`
	PullK *side `json:"first_pull_kenesh,omitempty"`
	PullP *side `json:"first_pull_pouchdb,omitempty"`
	IncrK *side `json:"incremental_kenesh,omitempty"`
	IncrP *side `json:"incremental_pouchdb,omitempty"`

	DayPushK     *side    `json:"day_push_kenesh,omitempty"`
	DayPullK     *side    `json:"day_pull_kenesh,omitempty"`
	DayIdleK     *side    `json:"day_idle_kenesh,omitempty"`
	DayTogetherK *side    `json:"day_push_and_pull_one_sync_kenesh,omitempty"`
	DayPushPlain *side    `json:"day_push_kenesh_no_dict,omitempty"`
	DayPullPlain *side    `json:"day_pull_kenesh_no_dict,omitempty"`
	DayPushP     *side    `json:"day_push_pouchdb,omitempty"`
	DayPullP     *side    `json:"day_pull_pouchdb,omitempty"`
	DayIdleP     *side    `json:"day_idle_pouchdb,omitempty"`
	DayTogetherP *side    `json:"day_sync_pouchdb,omitempty"`
	Zstd         *zstdCmp `json:"day_vs_zstd,omitempty"`

	Load          []loadResult `json:"load,omitempty"`
	ServerPeakRSS int64        `json:"server_peak_rss"`
	// PushMem: the server's memory during the push (not the first pull).
	PushMem *memPeak `json:"push_server_memory,omitempty"`
	// Spread: the push was of a spread backlog (-spread), whose target is 5x.
	Spread bool `json:"spread,omitempty"`
}

func newResults(c *config) *results {
	r := &results{
		Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), CPUs: runtime.NumCPU(), Go: runtime.Version(),
		Command: strings.Join(os.Args, " "), Records: c.records, Seed: c.seed, Spread: c.spread, EdgeBPS: c.edgeBPS, EdgeRTTms: c.edgeRTT.Milliseconds(),
	}
	r.Machine = machine()
	if out, err := exec.Command("git", "-C", c.root, "describe", "--always", "--dirty").Output(); err == nil {
		r.Commit = strings.TrimSpace(string(out))
	}
	return r
}

func machine() string {
	name := runtime.GOOS + "/" + runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				name += ", " + strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		name += fmt.Sprintf(", %d GiB", (kb+(1<<19))>>20)
	}
	return name
}

func (r *results) note(format string, a ...any) { r.Notes = append(r.Notes, fmt.Sprintf(format, a...)) }

// print writes the table of results and targets.
func (r *results) print(out io.Writer) {
	fmt.Fprintf(out, "\nKenesh sync benchmark (issue #3): %s, %d CPUs, %s, %s, commit %s\n", r.Date, r.CPUs, r.Machine, r.Go, r.Commit)
	fmt.Fprintf(out, "command: %s\n\n", r.Command)
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "measure\tKenesh\tPouchDB\tKenesh/PouchDB\ttarget\tmet\t")
	row := func(name, k, p, ratio, target, met string) {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t\n", name, k, p, ratio, target, met)
	}
	if r.PushK != nil {
		k, p := r.PushK, r.PushP
		name, target := fmt.Sprintf("push %d records, loopback: records/s", k.Records), 10.0
		if r.Spread {
			name, target = fmt.Sprintf("push %d records, spread backlog: records/s", k.Records), 5
		}
		row(name, f0(k.perSecond()), orDash(p, func(p *side) string { return f0(p.perSecond()) }),
			ratioStr(k.perSecond(), pv(p, (*side).perSecond)), fmt.Sprintf(">= %gx", target), met(p != nil, ratio(k.perSecond(), pv(p, (*side).perSecond)) >= target))
		row("  bytes on the wire", mb(k.bytes()), orDash(p, func(p *side) string { return mb(p.bytes()) }),
			ratioStr(float64(k.bytes()), pv(p, bytesF)), "<= 0.25x", met(p != nil, ratio(float64(k.bytes()), pv(p, bytesF)) <= 0.25))
		row("  seconds / requests", fmt.Sprintf("%.1f s / %d", k.Seconds, k.Requests), orDash(p, func(p *side) string { return fmt.Sprintf("%.1f s / %d", p.Seconds, p.Requests) }), "", "", "")
		if k.Groups > 0 {
			row("  groups of appends (commits)", fmt.Sprintf("%d (%.2f requests a group)", k.Groups, float64(k.Requests)/float64(k.Groups)), "", "", "", "")
		}
	}
	if r.PullK != nil {
		k, p := r.PullK, r.PullP
		row(fmt.Sprintf("first pull of %d records by a new laptop: records/s", k.Records), f0(k.perSecond()), orDash(p, func(p *side) string { return f0(p.perSecond()) }),
			ratioStr(k.perSecond(), pv(p, (*side).perSecond)), "report", "")
		row("  bytes on the wire", mb(k.bytes()), orDash(p, func(p *side) string { return mb(p.bytes()) }), ratioStr(float64(k.bytes()), pv(p, bytesF)), "", "")
		row("  seconds / requests", fmt.Sprintf("%.1f s / %d", k.Seconds, k.Requests), orDash(p, func(p *side) string { return fmt.Sprintf("%.1f s / %d", p.Seconds, p.Requests) }), "", "", "")
	}
	if r.IncrK != nil {
		k, p := r.IncrK, r.IncrP
		row(fmt.Sprintf("incremental sync, %d records changed: bytes", k.Records), kb(k.bytes()), orDash(p, func(p *side) string { return kb(p.bytes()) }),
			ratioStr(float64(k.bytes()), pv(p, bytesF)), "<= 0.05x", met(p != nil, ratio(float64(k.bytes()), pv(p, bytesF)) <= 0.05))
		row("  seconds / requests", fmt.Sprintf("%.2f s / %d", k.Seconds, k.Requests), orDash(p, func(p *side) string { return fmt.Sprintf("%.2f s / %d", p.Seconds, p.Requests) }), "", "", "")
	}
	if r.DayPushK != nil {
		edge := fmt.Sprintf("EDGE %d kbit/s, %d ms", r.EdgeBPS/1000, r.EdgeRTTms)
		kp, kl := r.DayPushK, r.DayPullK
		row(fmt.Sprintf("day's work (%d records), %s: push s", kp.Records, edge), secs(kp), orDash(r.DayPushP, secs), "", "", "")
		row(fmt.Sprintf("  pull of another laptop's %d records: s", kl.Records), secs(kl), orDash(r.DayPullP, secs), "", "", "")
		tot := kp.Seconds + kl.Seconds
		var ptot float64
		if r.DayPushP != nil && r.DayPullP != nil {
			ptot = r.DayPushP.Seconds + r.DayPullP.Seconds
		}
		row("  push + pull: s", fmt.Sprintf("%.2f", tot), orDashF(ptot, "%.2f"), ratioStr(tot, ptot), "< 3 s", met(true, tot < 3))
		if t := r.DayTogetherK; t != nil {
			row("  push + pull in one sync (day 2): s", fmt.Sprintf("%.2f (%d req)", t.Seconds, t.Requests),
				orDash(r.DayTogetherP, func(p *side) string { return fmt.Sprintf("%.2f (%d req)", p.Seconds, p.Requests) }),
				ratioStr(t.Seconds, pv(r.DayTogetherP, func(p *side) float64 { return p.Seconds })), "< 3 s", met(true, t.Seconds < 3))
		}
		if i := r.DayIdleK; i != nil {
			row("  sync with nothing to do: requests, bytes", fmt.Sprintf("%d, %d B", i.Requests, i.bytes()),
				orDash(r.DayIdleP, func(p *side) string { return fmt.Sprintf("%d, %d B", p.Requests, p.bytes()) }), "", "1 small request", met(true, i.Requests == 1 && i.bytes() < 2048))
		}
	}
	if z := r.Zstd; z != nil {
		row(fmt.Sprintf("day's push on the wire vs zstd -19 of its changed fields alone (%d B)", z.FieldsRaw), "", "", "", "", "")
		row("  Kenesh, with the dictionary", fmt.Sprintf("%d B, %.2fx", z.Wire, float64(z.Wire)/float64(z.Zstd19)), fmt.Sprintf("zstd -19: %d B", z.Zstd19), "", "<= 1.3x", met(true, float64(z.Wire) <= 1.3*float64(z.Zstd19)))
		if z.WirePlain > 0 {
			row("  Kenesh, without the dictionary (same work, other council)", fmt.Sprintf("%d B, %.2fx", z.WirePlain, float64(z.WirePlain)/float64(z.Zstd19Plain)), fmt.Sprintf("zstd -19: %d B", z.Zstd19Plain), "", "<= 1.3x", met(true, float64(z.WirePlain) <= 1.3*float64(z.Zstd19Plain)))
		}
		row("  (zstd -19 -D sync-1.dict of the fields alone)", fmt.Sprintf("%.2fx", float64(z.Wire)/float64(z.Zstd19Dict)), fmt.Sprintf("%d B", z.Zstd19Dict), "", "", "")
	}
	if p := r.DayPushPlain; p != nil && r.DayPullPlain != nil {
		row("  day without the dictionary: push + pull s", fmt.Sprintf("%.2f", p.Seconds+r.DayPullPlain.Seconds), "", "", "", "")
	}
	for _, l := range r.Load {
		row(fmt.Sprintf("%d clients x %d syncs of %d ops: syncs/s, ops/s", l.Clients, l.Rounds, l.OpsPerSync), fmt.Sprintf("%.0f, %.0f", l.ReqPerSecond, l.OpsPushPerSec), "", "", "", "")
		row("  latency p50 / p99 / max", fmt.Sprintf("%.0f / %.0f / %.0f ms", l.P50ms, l.P99ms, l.MaxMs), "", "", "report", "")
		if l.ExchP99ms > 0 {
			row("  the exchange alone (request written -> answer), p50 / p99", fmt.Sprintf("%.0f / %.0f ms", l.ExchP50ms, l.ExchP99ms), "", "", "report", "")
		}
		if l.HandledMs > 0 {
			row("  mean: a sync, in the servers' handler (body read -> answer encoded)", fmt.Sprintf("%.0f, %.0f ms", l.MeanMs, l.HandledMs), "", "", "report", "")
		}
		if l.Rounds > 1 {
			row("  first round p50 / max; syncs >= p99 in it; later rounds' p99", fmt.Sprintf("%.0f / %.0f ms; %d of %d; %.0f ms", l.FirstP50ms, l.FirstMaxMs, l.SlowInFirst, l.Slow, l.LaterP99ms), "", "", "report", "")
		}
		row("  server peak RSS (before), CPU", fmt.Sprintf("%s (%s), %.1f s", mib(l.PeakRSS), mib(l.RSSBefore), l.ServerCPU), "", "", "report", "")
		if l.Groups > 0 {
			row("  groups of appends (commits)", fmt.Sprintf("%d (%.1f syncs a group)", l.Groups, float64(l.Requests)/float64(l.Groups)), "", "", "report", "")
		}
		row("  server CPU a sync, clients' CPU", fmt.Sprintf("%.2f ms, %.1f s", 1000*l.ServerCPU/float64(max(l.Requests, 1)), l.ClientCPU), "", "", "report", "")
		if a := l.cpuAccount(r.CPUs); a != "" {
			row("  CPU a sync: servers, PostgreSQL, clients; syncs/s the cores allow", a, "", "", "report", "")
		}
		row(fmt.Sprintf("  bytes up, down (server protocol %d)", l.Proto), fmt.Sprintf("%.2f MB, %.2f MB", float64(l.BytesUp)/1e6, float64(l.BytesDown)/1e6), "", "", "report", "")
		row("  load average at start, end", fmt.Sprintf("%.1f, %.1f", l.Load[0], l.Load[1]), "", "", "report", "")
	}
	w.Flush()
	if r.PushMem != nil {
		fmt.Fprintf(out, "\nserver during the push: %s\n", r.PushMem)
	}
	if r.ServerPeakRSS > 0 {
		fmt.Fprintf(out, "\nserver of the push, incremental and day parts: peak RSS %s\n", mib(r.ServerPeakRSS))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(out, "note: %s\n", n)
	}
}

func bytesF(s *side) float64 { return float64(s.bytes()) }

func pv(p *side, f func(*side) float64) float64 {
	if p == nil {
		return 0
	}
	return f(p)
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func ratioStr(a, b float64) string {
	if b == 0 {
		return "-"
	}
	r := a / b
	if r < 0.1 {
		return fmt.Sprintf("%.3fx (1/%.0f)", r, 1/r)
	}
	return fmt.Sprintf("%.2fx", r)
}

func met(known, ok bool) string {
	switch {
	case !known:
		return "?"
	case ok:
		return "yes"
	}
	return "NO"
}

func orDash(p *side, f func(*side) string) string {
	if p == nil {
		return "-"
	}
	return f(p)
}

func orDashF(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

func secs(s *side) string { return fmt.Sprintf("%.2f", s.Seconds) }
func f0(v float64) string { return fmt.Sprintf("%.0f", v) }
func mb(n int64) string   { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
func kb(n int64) string   { return fmt.Sprintf("%.1f kB", float64(n)/1e3) }
func mib(n int64) string  { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

// cpuAccount writes where the machine's CPU went during the timed syncs,
// a sync at a time: the servers', PostgreSQL's and the clients' (this
// process: 500 laptops' protocol clients on the same cores), the clients'
// share of the three, and the syncs a second the cores could give at
// that CPU a sync, with the clients and without them (had the laptops
// their own machines, as they have). In a closed loop of n clients the
// mean latency is n / syncs a second, so this bounds what the p99 can
// reach on these cores ("" without syncs or cores).
func (l *loadResult) cpuAccount(cores int) string {
	if l.Requests == 0 || cores <= 0 {
		return ""
	}
	n := float64(l.Requests)
	server, db, clients := l.ServerCPU/n, l.DatabaseCPU/n, l.ClientCPU/n
	all := server + db + clients
	if all <= 0 || server+db <= 0 {
		return ""
	}
	return fmt.Sprintf("%.2f, %.2f, %.2f ms (clients %.0f%%); %.0f, without the clients %.0f",
		1000*server, 1000*db, 1000*clients, 100*clients/all, float64(cores)/all, float64(cores)/(server+db))
}
