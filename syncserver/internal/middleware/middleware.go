package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// Info is what a handler tells the request log about its request, beyond
// what the log sees itself: who made it, and the error code and message
// of a refusal.
type Info struct {
	Device string
	Code   string
	Detail string
}

type infoKey struct{}

// InfoOf returns the Info of r, which Log put in its context; outside Log,
// a new one that nobody reads.
func InfoOf(r *http.Request) *Info {
	if i, ok := r.Context().Value(infoKey{}).(*Info); ok {
		return i
	}
	return &Info{}
}

// LogOptions configure Log.
type LogOptions struct {
	Logger *slog.Logger     // nil: slog.Default()
	Now    func() time.Time // nil: time.Now
	// Quiet, if set, picks requests logged at debug level rather than
	// info (health checks a load balancer makes every few seconds).
	Quiet func(r *http.Request) bool
	// Done, if set, is called once a request is answered, with its
	// status: what a handler counts in its metrics.
	Done func(r *http.Request, status int, info *Info)
}

// Log logs every request once it is answered, as one line: method, path,
// status, time taken, bytes in and out, the remote address, and what the
// handler put in its Info. Put it outside Recover, so that a panic's
// answer is logged with its status.
func Log(h http.Handler, o LogOptions) http.Handler {
	log, now := o.Logger, o.Now
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := now()
		info := &Info{}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		rec := &recorder{ResponseWriter: w}
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			if o.Done != nil {
				o.Done(r, status, info)
			}
			level := slog.LevelInfo
			if o.Quiet != nil && o.Quiet(r) {
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status),
				slog.Float64("ms", float64(now().Sub(start).Microseconds())/1000), slog.Int64("bytes_in", max(r.ContentLength, 0)),
				slog.Int("bytes_out", rec.n), slog.String("remote", r.RemoteAddr)}
			if info.Device != "" {
				attrs = append(attrs, slog.String("device", info.Device))
			}
			if info.Code != "" {
				attrs = append(attrs, slog.String("code", info.Code), slog.String("error", info.Detail))
			}
			log.LogAttrs(r.Context(), level, "request", attrs...)
		}()
		h.ServeHTTP(rec, r)
	})
}

// Recover answers a request whose handler panicked: it logs the panic with
// its stack and, unless the handler had begun its answer, calls answer
// (which writes the handler's own kind of error: JSON for the sync API, a
// page for the register). A panic with http.ErrAbortHandler goes on up, as
// net/http means it to.
func Recover(h http.Handler, log *slog.Logger, answer func(w http.ResponseWriter, r *http.Request)) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			log.Error("panic in handler", "path", r.URL.Path, "device", InfoOf(r).Device, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !rec.wrote {
				answer(rec, r)
			}
		}()
		h.ServeHTTP(rec, r)
	})
}

// LimitBody bounds the body of every request to n bytes: reading past them
// fails with an *http.MaxBytesError (and the connection is closed after
// the answer), whatever Content-Length said.
func LimitBody(h http.Handler, n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}

// recorder notes the status and size of an answer.
type recorder struct {
	http.ResponseWriter
	status int
	n      int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.n += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
