package api

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestAlertRulesNameRealMetrics: every metric the operator guide's alert
// rules and its table name is one the server exposes (or one of the few
// that come from elsewhere, named below), so that a renamed metric cannot
// silence an alert.
func TestAlertRulesNameRealMetrics(t *testing.T) {
	m := NewMetrics(nil)
	m.CountAppendGroups(func() int64 { return 0 }) // as the server does on a store that counts them
	names := map[string]bool{"kenesh_devices": true}
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	for _, c := range []prometheus.Collector{m.requests, m.opsAccepted, m.opsRefused, m.opsPulled, m.opsWithheld, m.bytes, m.syncDuration, m.enrollments, m.busy, &m.budgets} {
		ch := make(chan *prometheus.Desc, 4)
		c.Describe(ch)
		close(ch)
		for d := range ch {
			if s := fq.FindStringSubmatch(d.String()); s != nil {
				names[s[1]] = true
			}
		}
	}
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		names[f.GetName()] = true
	}
	elsewhere := map[string]bool{
		"up":                          true, // Prometheus's own
		"node_filesystem_avail_bytes": true, // node_exporter
		"kenesh_backup_last_success_timestamp_seconds": true, // the guide's backup timer
	}
	metric := regexp.MustCompile(`\b((?:kenesh|process|go|node)_[a-z_]+|up)\b`)
	for _, file := range []string{"../../../docs/prometheus/kenesh-alerts.yml", "../../../docs/operator-guide.md"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, n := range metric.FindAllString(string(b), -1) {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
			if names[n] || names[base] || elsewhere[n] || strings.HasSuffix(n, "_") {
				found++
				continue
			}
			if strings.HasPrefix(n, "process_") || strings.HasPrefix(n, "go_") {
				if !names[n] {
					t.Errorf("%s names %s, which the server does not expose", file, n)
				}
				continue
			}
			if strings.HasPrefix(n, "kenesh_") {
				t.Errorf("%s names %s, which the server does not expose", file, n)
			}
		}
		if found < 5 {
			t.Errorf("%s: only %d metric names found", file, found)
		}
	}
}
