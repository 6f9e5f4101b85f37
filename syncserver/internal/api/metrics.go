package api

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/syncserver/internal/middleware"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus metrics, in their own registry (so
// that several servers can run in one test process).
type Metrics struct {
	Registry *prometheus.Registry

	requests     *prometheus.CounterVec
	opsAccepted  prometheus.Counter
	opsRefused   *prometheus.CounterVec
	opsPulled    prometheus.Counter
	opsWithheld  prometheus.Counter
	bytes        *prometheus.CounterVec
	syncDuration prometheus.Histogram
	enrollments  prometheus.Counter
	busy         *prometheus.CounterVec
	// budgets are the handler's byte budgets, reported at each scrape
	// (set by New).
	budgets budgetCollector
}

// NewMetrics registers the metrics. countDevices, if set, is called at
// each scrape for the number of active and revoked devices.
func NewMetrics(countDevices func(context.Context) (active, revoked int, err error)) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kenesh", Name: "requests_total",
			Help: "HTTP requests by endpoint, HTTP status and protocol error code (\"\" when none).",
		}, []string{"endpoint", "status", "code"}),
		opsAccepted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "kenesh", Name: "ops_accepted_total", Help: "Operations accepted into the log.",
		}),
		opsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kenesh", Name: "ops_refused_total", Help: "Operations judged and refused, by code.",
		}, []string{"code"}),
		opsPulled: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "kenesh", Name: "ops_pulled_total", Help: "Operations sent to devices in pulls.",
		}),
		opsWithheld: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "kenesh", Name: "ops_withheld_total",
			Help: "Operations left out of pulls because they are over the per-operation limit (stored before it existed).",
		}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kenesh", Name: "sync_bytes_total",
			Help: "Sync bodies in bytes: direction in (requests) or out (responses), form compressed (the frame) or decoded; and chunk streams of the files endpoints, form files.",
		}, []string{"direction", "form"}),
		syncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "kenesh", Name: "sync_duration_seconds",
			Help:    "Time to handle a sync once its body is read: judge, commit, pull, encode.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		enrollments: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "kenesh", Name: "enrollments_total", Help: "Devices enrolled.",
		}),
		busy: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kenesh", Name: "busy_total",
			Help: "Requests answered busy (503 with Retry-After; the laptop tries again) because a byte budget had no room for them in time, by budget: " +
				"body (request bodies being received) or decode (decoded requests and files requests being worked on); " +
				"page counts pull pages left for the laptop's next sync, its push taken.",
		}, []string{"budget"}),
	}
	m.budgets.desc = prometheus.NewDesc("kenesh_budget_bytes",
		"The byte budgets of requests being worked on (serve --request-memory): bytes held now (state held) and the bound (state size), by budget (body, decode).",
		[]string{"budget", "state"}, nil)
	m.Registry.MustRegister(m.requests, m.opsAccepted, m.opsRefused, m.opsPulled, m.opsWithheld, m.bytes, m.syncDuration, m.enrollments, m.busy, &m.budgets,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if countDevices != nil {
		m.Registry.MustRegister(&deviceCollector{count: countDevices,
			desc: prometheus.NewDesc("kenesh_devices", "Enrolled devices, by state (active or revoked).", []string{"state"}, nil)})
	}
	return m
}

// CountAppendGroups adds kenesh_append_groups_total, read from groups at
// each scrape: the groups of appends (commits of one or more change sets)
// the store has run in this process (store.AppendGroupCounter). Against
// the push requests it says whether change sets share commits.
func (m *Metrics) CountAppendGroups(groups func() int64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: "kenesh", Name: "append_groups_total",
		Help: "Groups of appends run by this process: transactions, each committing one or more change sets.",
	}, func() float64 { return float64(groups()) }))
}

// Handler serves the metrics in Prometheus's text format: on the metrics
// listener (kenesh-syncserver serve --metrics-listen), never to laptops.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

type deviceCollector struct {
	count func(context.Context) (int, int, error)
	desc  *prometheus.Desc
}

func (c *deviceCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *deviceCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	active, revoked, err := c.count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(active), "active")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(revoked), "revoked")
}

// budgetCollector reports the handler's budgets: what they hold now and
// their size.
type budgetCollector struct {
	desc *prometheus.Desc
	b    atomic.Pointer[[2]*middleware.Budget] // body, decode
}

func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	b := c.b.Load()
	if b == nil {
		return
	}
	for i, name := range []string{"body", "decode"} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(b[i].Held()), name, "held")
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(b[i].Size()), name, "size")
	}
}
