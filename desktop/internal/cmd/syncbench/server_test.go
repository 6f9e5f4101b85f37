package main

import (
	"strings"
	"testing"
)

func TestMetricValue(t *testing.T) {
	page := `# HELP kenesh_append_groups_total Groups of appends run by this process.
# TYPE kenesh_append_groups_total counter
kenesh_append_groups_total 263
kenesh_append_groups_total_other 7
kenesh_requests_total{code="",endpoint="sync",status="200"} 264
`
	v, found, err := metricValue(strings.NewReader(page), "kenesh_append_groups_total")
	if err != nil || !found || v != 263 {
		t.Fatalf("got %v, %v, %v; want 263", v, found, err)
	}
	if _, found, err := metricValue(strings.NewReader(page), "kenesh_requests_total"); err != nil || found {
		t.Fatalf("a labelled sample taken as the unlabelled one: %v, %v", found, err)
	}
	if _, found, err := metricValue(strings.NewReader("kenesh_up 1\n"), "kenesh_append_groups_total"); err != nil || found {
		t.Fatalf("an absent metric found: %v, %v", found, err)
	}
	if _, _, err := metricValue(strings.NewReader("kenesh_append_groups_total x\n"), "kenesh_append_groups_total"); err == nil {
		t.Fatal("a sample that is not a number was read")
	}
}

func TestServerEnv(t *testing.T) {
	base := []string{"HOME=/root", "GOMAXPROCS=8"}
	if env := serverEnv(base, 0); env != nil {
		t.Errorf("serverEnv(0) = %q, want nil (this process's environment)", env)
	}
	env := serverEnv(base[:2:2], 1)
	if want := []string{"HOME=/root", "GOMAXPROCS=8", "GOMAXPROCS=1"}; strings.Join(env, " ") != strings.Join(want, " ") {
		t.Errorf("serverEnv(1) = %q, want %q (exec takes the last)", env, want)
	}
	if base[1] != "GOMAXPROCS=8" || len(base) != 2 {
		t.Errorf("serverEnv changed its base: %q", base)
	}
}
