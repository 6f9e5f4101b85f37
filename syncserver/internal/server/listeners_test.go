package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/syncproto"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The server serves on two listeners: the laptops' (the sync API and a
// mounted handler beside it) and the metrics', apart. /metrics is not on
// the laptops' listener.
func TestPublicAndMetricsListeners(t *testing.T) {
	s, err := New(context.Background(), Config{DataDir: t.TempDir(), Small: true, MinFree: 1, Listen: "127.0.0.1:0", MetricsListen: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Public: PublicOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	s.Mount("/public/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "register: "+r.URL.Path)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func(a net.Addr) { ready <- a }) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("the server stopped: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not start")
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	public := "http://" + addr.String()
	metrics := "http://" + s.MetricsAddr().String()

	if status, body := get(t, public+syncproto.PathHealth); status != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("health on the public listener: %d %s", status, body)
	}
	if status, body := get(t, public+"/public/appeals"); status != http.StatusOK || body != "register: /public/appeals" {
		t.Fatalf("the mounted handler: %d %s", status, body)
	}
	status, body := get(t, public+syncproto.PathMetrics)
	var eb syncproto.ErrorBody
	if status != http.StatusNotFound || json.Unmarshal([]byte(body), &eb) != nil || strings.Contains(body, "kenesh_") {
		t.Fatalf("/metrics on the laptops' listener: %d %s", status, body)
	}
	status, body = get(t, metrics+syncproto.PathMetrics)
	if status != http.StatusOK || !strings.Contains(body, `kenesh_requests_total{code="",endpoint="healthz",status="200"} 1`) ||
		!strings.Contains(body, `kenesh_devices{state="active"} 0`) {
		t.Fatalf("/metrics on the metrics listener: %d\n%s", status, body)
	}
	if status, _ := get(t, metrics+syncproto.PathSync); status != http.StatusNotFound {
		t.Fatalf("the sync API on the metrics listener: %d", status)
	}
}

// The metrics' address must not be the laptops'.
func TestMetricsListenIsItsOwn(t *testing.T) {
	_, err := New(context.Background(), Config{DataDir: t.TempDir(), Small: true, MinFree: 1, Listen: "127.0.0.1:7480", MetricsListen: "127.0.0.1:7480"})
	if err == nil || !strings.Contains(err.Error(), "--metrics-listen") {
		t.Fatalf("the same address for both: %v", err)
	}
}

// The server serves the public register beside the sync API by default:
// its root leads there, and the sync API still answers every other path.
func TestPublicRegisterServed(t *testing.T) {
	s, err := New(context.Background(), Config{DataDir: t.TempDir(), Small: true, MinFree: 1, Listen: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	defer s.Close()
	if status, body := get(t, srv.URL+"/public/en/"); status != http.StatusOK || !strings.Contains(body, "Published appeals") {
		t.Fatalf("the register: %d %s", status, body)
	}
	if status, body := get(t, srv.URL+"/"); status != http.StatusOK || !strings.Contains(body, "<html") {
		t.Fatalf("the root: %d %s", status, body)
	}
	if status, body := get(t, srv.URL+syncproto.PathHealth); status != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("health: %d %s", status, body)
	}
	if status, _ := get(t, srv.URL+"/v1/nothing"); status != http.StatusNotFound {
		t.Fatalf("an unknown API path: %d", status)
	}
}
