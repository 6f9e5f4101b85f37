package showcase

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/shared/domain"
)

func TestCreate(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "d")
	o := Options{Passphrase: "showcase pass", DeviceName: "Demo", Appeals: 60, Events: 10, Seed: 1, Conflicts: 2,
		Session: session.Options{KDF: keyfile.TestParams}}
	if err := Create(ctx, dir, o); err != nil {
		t.Fatal(err)
	}
	s, err := session.Unlock(ctx, dir, "showcase pass", o.Session)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, _ := s.Records().Count(records.Filter{Kind: domain.KindAppeal})
	c, _ := s.Records().Conflicts(ctx)
	if n != 60 || len(c) != 2 || s.Records().HomeCouncil() == "" {
		t.Fatalf("appeals %d, conflicts %d, home %q", n, len(c), s.Records().HomeCouncil())
	}
}
