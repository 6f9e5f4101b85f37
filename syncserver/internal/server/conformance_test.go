package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto/synctest"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// target is the real server (Badger in a temporary directory, built by
// its public constructor) behind a real HTTP server on 127.0.0.1, with
// the administrator's service.
type target struct {
	srv *server.Server
	url string
}

func (tg *target) ServerURL() string { return tg.url }

func (tg *target) AddCouncil(t testing.TB, c domain.Council) {
	t.Helper()
	if _, err := tg.srv.Admin().AddCouncil(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func (tg *target) Code(t testing.TB, i synctest.Issue) string {
	t.Helper()
	is, err := tg.srv.Admin().Enroll(context.Background(), auth.IssueRequest{Device: i.Device, Council: i.Council, Role: i.Role, Name: i.Name})
	if err != nil {
		t.Fatal(err)
	}
	return is.Code
}

func (tg *target) Revoke(t testing.TB, device string) {
	t.Helper()
	if _, err := tg.srv.Admin().Revoke(context.Background(), device); err != nil {
		t.Fatal(err)
	}
}

func (tg *target) SetFilesQuota(t testing.TB, bytes int64) {
	tg.srv.Files().SetQuotas(bytes, bytes)
}

// The real server passes the protocol conformance suite that the fake
// laptops' tests run against passes too.
func TestConformance(t *testing.T) {
	synctest.Run(t, func(t *testing.T) synctest.Target {
		s, err := server.New(context.Background(), server.Config{DataDir: t.TempDir(), Small: true, MinFree: 1,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(s.Handler())
		t.Cleanup(func() { hs.Close(); s.Close() })
		return &target{srv: s, url: hs.URL}
	})
}

// The same suite on PostgreSQL (a schema of its own per case).
func TestConformancePostgres(t *testing.T) {
	synctest.Run(t, func(t *testing.T) synctest.Target {
		s, err := server.New(context.Background(), server.Config{Postgres: pgtest.URL(t), FilesDir: t.TempDir(), PostgresConns: 4,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(s.Handler())
		t.Cleanup(func() { hs.Close(); s.Close() })
		return &target{srv: s, url: hs.URL}
	})
}
