package middleware

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// chain is the order a handler uses: Log outside Recover.
func chain(h http.Handler, logs *bytes.Buffer, done func(*http.Request, int, *Info)) http.Handler {
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := Recover(h, log, func(w http.ResponseWriter, r *http.Request) {
		InfoOf(r).Code = "internal"
		http.Error(w, "sorry", http.StatusInternalServerError)
	})
	return Log(rec, LogOptions{Logger: log, Done: done, Quiet: func(r *http.Request) bool { return r.URL.Path == "/healthz" }})
}

func TestLogAndRecover(t *testing.T) {
	for _, tc := range []struct {
		name       string
		handler    http.HandlerFunc
		path       string
		wantStatus int
		wantBody   string
		wantLog    []string
		wantCode   string
	}{
		{"answered", func(w http.ResponseWriter, r *http.Request) {
			InfoOf(r).Device = "dev-1"
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, "ok")
		}, "/v1/sync", http.StatusAccepted, "ok", []string{"level=INFO", "msg=request", "status=202", "device=dev-1", "bytes_out=2"}, ""},
		{"a refusal", func(w http.ResponseWriter, r *http.Request) {
			i := InfoOf(r)
			i.Code, i.Detail = "forbidden", "not yours"
			w.WriteHeader(http.StatusForbidden)
		}, "/v1/sync", http.StatusForbidden, "", []string{"status=403", "code=forbidden", `error="not yours"`}, "forbidden"},
		{"a panic before answering", func(w http.ResponseWriter, r *http.Request) {
			InfoOf(r).Device = "dev-2"
			panic("boom")
		}, "/v1/sync", http.StatusInternalServerError, "sorry\n", []string{"panic in handler", "panic=boom", "device=dev-2", "stack=", "status=500", "code=internal"}, "internal"},
		{"a panic after answering", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "half")
			panic("late")
		}, "/v1/sync", http.StatusOK, "half", []string{"panic=late", "status=200"}, ""},
		{"a health check is quiet", func(w http.ResponseWriter, r *http.Request) {}, "/healthz", http.StatusOK, "", []string{"level=DEBUG", "status=200"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			var gotStatus int
			var gotCode string
			h := chain(tc.handler, &logs, func(_ *http.Request, status int, i *Info) { gotStatus, gotCode = status, i.Code })
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader("body")))
			if w.Code != tc.wantStatus || w.Body.String() != tc.wantBody {
				t.Errorf("answer %d %q, want %d %q", w.Code, w.Body.String(), tc.wantStatus, tc.wantBody)
			}
			if gotStatus != tc.wantStatus || gotCode != tc.wantCode {
				t.Errorf("Done saw %d %q, want %d %q", gotStatus, gotCode, tc.wantStatus, tc.wantCode)
			}
			for _, want := range tc.wantLog {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("the log lacks %q:\n%s", want, logs.String())
				}
			}
		})
	}
}

// http.ErrAbortHandler goes on up, as net/http means it to.
func TestRecoverLetsAbortThrough(t *testing.T) {
	h := Recover(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }), slog.New(slog.DiscardHandler),
		func(w http.ResponseWriter, _ *http.Request) { t.Error("answered an aborted request") })
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}

func TestLimitBody(t *testing.T) {
	var readErr error
	var read int
	h := LimitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		read, readErr = len(b), err
	}), 10)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader("0123456789")))
	if readErr != nil || read != 10 {
		t.Fatalf("10 bytes of 10: read %d, %v", read, readErr)
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("0123456789+"))
	req.ContentLength = 5 // a lie changes nothing
	h.ServeHTTP(httptest.NewRecorder(), req)
	var mbe *http.MaxBytesError
	if !errors.As(readErr, &mbe) || mbe.Limit != 10 {
		t.Fatalf("11 bytes of 10: %v, want *http.MaxBytesError", readErr)
	}
}

// A budget gives its bytes in arrival order and refuses what does not
// come in time; a request larger than the budget takes all of it.
func TestBudget(t *testing.T) {
	b := NewBudget(100, 50*time.Millisecond)
	release, ok := b.Take(context.Background(), 80)
	if !ok {
		t.Fatal("80 of 100 refused")
	}
	if _, ok := b.Take(context.Background(), 30); ok {
		t.Fatal("30 more given while 80 of 100 are held")
	}
	release()
	all, ok := b.Take(context.Background(), 1<<30)
	if !ok {
		t.Fatal("a request larger than the budget was refused: it should take it all")
	}
	if _, ok := b.Take(context.Background(), 1); ok {
		t.Fatal("a byte given while the whole budget is held")
	}
	all()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := b.Take(ctx, 1); ok {
		t.Fatal("given to a cancelled request")
	}
}

func TestLimiters(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	ls := NewLimiters(1, 2)
	for i, want := range []bool{true, true, false} {
		if ok, _ := ls.Allow("dev", now); ok != want {
			t.Fatalf("request %d: allowed %v, want %v", i+1, ok, want)
		}
	}
	if ok, wait := ls.Allow("dev", now); ok || wait <= 0 || wait > time.Second {
		t.Fatalf("over the burst: allowed %v, wait %v", ok, wait)
	}
	if ok, _ := ls.Allow("other", now); !ok {
		t.Fatal("another key shares the bucket")
	}
	if ok, _ := ls.Allow("dev", now.Add(time.Second)); !ok {
		t.Fatal("a token did not come back after a second")
	}
	if ok, _ := NewLimiters(0, 0).Allow("dev", now); !ok {
		t.Fatal("no limit (0) refused")
	}
}

func TestBudgetHoldGrows(t *testing.T) {
	b := NewBudget(100, 50*time.Millisecond)
	h, ok := b.Hold(context.Background(), 30)
	if !ok {
		t.Fatal("30 of 100 refused")
	}
	if !h.Grow(20) || !h.Grow(70) {
		t.Fatal("growing to 70 of 100, the rest free, refused")
	}
	other, ok := b.Take(context.Background(), 30)
	if !ok {
		t.Fatal("30 refused while 70 of 100 are held")
	}
	if h.Grow(71) {
		t.Fatal("grew to 71 while 30 of 100 are held by another")
	}
	other()
	if !h.Grow(1 << 30) {
		t.Fatal("growing past the budget, all of it free, refused: it should take it all")
	}
	if _, ok := b.Take(context.Background(), 1); ok {
		t.Fatal("a byte given while the whole budget is held")
	}
	h.Release()
	h.Release() // twice gives back nothing more (the semaphore would panic)
	all, ok := b.Take(context.Background(), 100)
	if !ok {
		t.Fatal("the whole budget refused after everything was given back")
	}
	all()
}
