package server

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"time"

	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/api"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/blobstore"
	"github.com/kenesh/kenesh/syncserver/internal/files"
	"github.com/kenesh/kenesh/syncserver/internal/ingest"
	"github.com/kenesh/kenesh/syncserver/internal/public"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// DefaultRequestMemory is Options.RequestMemory's default
// (api.DefaultDecodeBudget; the bodies' budget is half of it).
const DefaultRequestMemory = api.DefaultDecodeBudget

// Options tune the handlers NewHandlers builds.
type Options struct {
	Logger *slog.Logger // nil: slog.Default()
	// Rate and Burst limit sync requests per device (0: no limit).
	Rate  float64
	Burst int
	// RequestMemory bounds the bytes that the sync and files requests
	// being worked on hold at once, all together: decoded requests (each
	// charged its payload twice and what its counts of operations, fields
	// and settled values make) and pull pages (api.Config.DecodeBudget);
	// the bodies being received get half as much on top (BodyBudget).
	// 0: DefaultRequestMemory. A request that cannot get its share within
	// RequestWait (0: 10 s) is answered busy, 503 with Retry-After, and
	// its laptop tries again.
	RequestMemory int64
	RequestWait   time.Duration
	// Key is the store's data key: the server's own backup recipient is
	// derived from it (nil: backups must name their recipients).
	Key []byte
	Now func() time.Time // nil: time.Now
	// Public configures the public register and form (Handlers.Public).
	Public PublicOptions
	// Blobs is where file chunks are kept (nil: the server keeps no
	// files and answers the files endpoints as a server before them).
	Blobs blobstore.Store
	// FilesQuota and MaterialsQuota bound each council's files and the
	// materials' (files.Config).
	FilesQuota, MaterialsQuota int64
}

// PublicOptions configure the public side.
type PublicOptions struct {
	// Off serves no public pages; NoForm serves the register without the
	// citizens' form and tracking.
	Off, NoForm bool
	// Licence of the open data (default public.DefaultLicence).
	Licence string
	// Guard is the form's protection against abuse; its Secret, when
	// nil, is derived from the data key (Options.Key), so that restarts
	// and other processes of the server accept the same forms.
	Guard public.GuardConfig
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
	// Public is the public register, the citizens' form and tracking,
	// to be served under public.Prefix (nil when Options.Public.Off).
	Public http.Handler
	// Identity is the server's, as laptops see it.
	Identity store.Identity
	// Files serves the files endpoints (nil without Options.Blobs).
	Files *files.Service
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
	if gc, ok := st.(store.AppendGroupCounter); ok {
		metrics.CountAppendGroups(gc.AppendGroups)
	}
	var fs *files.Service
	if o.Blobs != nil {
		if fs, err = files.New(files.Config{Store: st, Blobs: o.Blobs, Key: o.Key, Quota: o.FilesQuota, MaterialQuota: o.MaterialsQuota, Logger: o.Logger}); err != nil {
			return nil, err
		}
	}
	sync := api.New(api.Config{Store: st, Auth: au, Ingest: ing, Codec: codec, Presence: presence, Files: fs,
		Metrics: metrics, Logger: o.Logger, Rate: o.Rate, Burst: o.Burst, Now: o.Now,
		DecodeBudget: o.RequestMemory, BodyBudget: o.RequestMemory / 2, BudgetWait: o.RequestWait})
	var pub http.Handler
	var pubH *public.Handler
	if !o.Public.Off {
		g := o.Public.Guard
		if g.Secret == nil && len(o.Key) > 0 {
			sum := sha256.Sum256(append([]byte("kenesh-public-form:"), o.Key...))
			g.Secret = sum[:]
		}
		cfg := public.Config{Store: st, Logger: o.Logger, Now: o.Now, Licence: o.Public.Licence, Guard: g}
		if !o.Public.NoForm {
			cfg.Submit = ing.Submit
		}
		if pubH, err = public.New(cfg); err != nil {
			return nil, err
		}
		pub = pubH
		// serve --public-challenge on a store that keeps the switch for
		// every process turns it on there: for the whole deployment.
		if sw, ok := st.(store.ChallengeSwitch); ok && g.Challenge && cfg.Submit != nil {
			if err := sw.SetChallenge(ctx, true); err != nil {
				return nil, err
			}
		}
	}
	return &Handlers{
		Public:   pub,
		Sync:     sync,
		Metrics:  metrics.Handler(),
		Admin:    &admin.Local{Store: st, Ingest: ing, Auth: au, Presence: presence, Key: o.Key, Public: pubH, Files: fs},
		Presence: presence,
		Identity: store.Identity{ServerID: ing.ServerID(), Device: ing.ServerDevice()},
		Files:    fs,
	}, nil
}
