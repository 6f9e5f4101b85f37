package server

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// scrape reads one sample of the server's metrics by its name (without
// labels); ok is false when the metric is not served.
func scrape(t *testing.T, h http.Handler, name string) (v float64, ok bool) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, syncproto.PathMetrics, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("metrics: %d %s", rec.Code, rec.Body)
	}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatalf("metrics: %q: %v", sc.Text(), err)
			}
			return v, true
		}
	}
	return 0, false
}

// The groups of appends (Badger's group commit) are served as a counter:
// a lone push is one group, and the count follows the store's.
func TestMetricsCountAppendGroups(t *testing.T) {
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	sec := h.enroll(domain.RoleSecretary, "NRN-ATB")
	m := h.srv.MetricsHandler()
	g0, ok := scrape(t, m, "kenesh_append_groups_total")
	if !ok {
		t.Fatal("kenesh_append_groups_total is not served")
	}
	for i := 1; i <= 3; i++ {
		sec.push(sec.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, appealFields("NRN-ATB")))
		g, _ := scrape(t, m, "kenesh_append_groups_total")
		if g-g0 != float64(i) {
			t.Fatalf("after %d pushes one after the other: %v groups, want %d", i, g-g0, i)
		}
	}
	gc, ok := h.srv.st.(interface{ AppendGroups() int64 })
	if !ok {
		t.Fatalf("%T does not count its groups", h.srv.st)
	}
	if g, _ := scrape(t, m, "kenesh_append_groups_total"); g != float64(gc.AppendGroups()) {
		t.Fatalf("served %v groups, the store ran %d", g, gc.AppendGroups())
	}
}
