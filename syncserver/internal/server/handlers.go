package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/api"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/ingest"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Options tune the handlers NewHandlers builds.
type Options struct {
	Logger *slog.Logger // nil: slog.Default()
	// Rate and Burst limit sync requests per device (0: no limit).
	Rate  float64
	Burst int
	// Key is the store's data key: the server's own backup recipient is
	// derived from it (nil: backups must name their recipients).
	Key []byte
	Now func() time.Time // nil: time.Now
}

// Handlers are the server's parts on one store, ready to serve: what
// Server serves on its listeners, and what a test serves with httptest on
// a store in a temporary directory (any engine of the store contract).
type Handlers struct {
	// Sync is the laptops' API: enrollment, sync and health.
	Sync http.Handler
	// Metrics serves the Prometheus metrics, for the metrics listener.
	Metrics http.Handler
	// Admin is what an administrator does (councils, enrollment codes,
	// devices, revocation, backup), on the same store.
	Admin *admin.Local
	// Presence keeps when devices last synced, until it is flushed to the
	// store (Server does so every SeenEvery and when it closes).
	Presence *auth.Presence
	// Identity is the server's, as laptops see it.
	Identity store.Identity
}

// NewHandlers builds the server's handlers on st. It does not close st.
func NewHandlers(ctx context.Context, st store.Store, o Options) (*Handlers, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ing, err := ingest.Open(ctx, st, ingest.Options{Logger: o.Logger, Now: o.Now})
	if err != nil {
		return nil, err
	}
	// A store from before the public register, or projected by an older
	// rule: project it now, before anything is served from it.
	if err := ing.Project(ctx); err != nil {
		return nil, err
	}
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		return nil, err
	}
	au := auth.New(st, o.Now)
	au.Reserve(ing.ServerDevice())
	presence := auth.NewPresence()
	metrics := api.NewMetrics(st.CountDevices)
	sync := api.New(api.Config{Store: st, Auth: au, Ingest: ing, Codec: codec, Presence: presence,
		Metrics: metrics, Logger: o.Logger, Rate: o.Rate, Burst: o.Burst, Now: o.Now})
	return &Handlers{
		Sync:     sync,
		Metrics:  metrics.Handler(),
		Admin:    &admin.Local{Store: st, Ingest: ing, Auth: au, Presence: presence, Key: o.Key},
		Presence: presence,
		Identity: store.Identity{ServerID: ing.ServerID(), Device: ing.ServerDevice()},
	}, nil
}
