package records

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// Trainers' materials (domain.Material): one record per material, for
// every council; a new version replaces its file. Their content is kept
// apart (package files), as attachments' is.

// PublishMaterial saves a material whose file's content is stored
// already: a new one at version 1 (m.ID empty), or a new version of the
// material m.ID, its version counted up from the one this laptop holds.
// The day of publication is today.
func (s *Service) PublishMaterial(ctx context.Context, m domain.Material) (*domain.Material, error) {
	var out *domain.Material
	err := s.Update(ctx, func(tx *Tx) error {
		var cur *changeset.State
		action := changeset.ActionCreate
		m.Version = 1
		if m.ID == "" {
			m.ID = domain.NewID()
		} else {
			st, err := tx.state(domain.KindMaterial, m.ID)
			if err != nil {
				return fmt.Errorf("a new version of material %s: %w", m.ID, err)
			}
			old, err := materialOf(st)
			if err != nil {
				return err
			}
			cur, action, m.Version = st, changeset.ActionUpdate, old.Version+1
		}
		m.PublishedOn, m.Meta = s.Today(), nil
		m.Normalize()
		if err := m.Validate(s.Today()); err != nil {
			return err
		}
		fields, err := (changeset.Schema{}).ToFields(&m, domain.NotFields...)
		if err != nil {
			return err
		}
		st, err := tx.save(domain.KindMaterial, m.ID, "", action, cur, fields, changeset.Names(&m))
		if err != nil {
			return err
		}
		out, err = materialOf(st)
		return err
	})
	return out, err
}

func materialOf(st *changeset.State) (*domain.Material, error) {
	var m domain.Material
	if err := (changeset.Schema{}).FromFields(st.Values(), &m); err != nil {
		return nil, fmt.Errorf("material %s: %w", st.ID, err)
	}
	m.ID = st.ID
	m.Meta = meta(st)
	return &m, nil
}

// Material returns a material.
func (s *Service) Material(ctx context.Context, id string) (*domain.Material, error) {
	st, err := s.stateOf(ctx, domain.KindMaterial, id)
	if err != nil {
		return nil, err
	}
	return materialOf(st)
}

// Materials lists the materials this laptop holds (the catalogue, even
// before their files arrive), newest first, without deleted ones.
func (s *Service) Materials(ctx context.Context) ([]domain.Material, error) {
	rows, err := s.ix.Query(index.Filter{Kind: domain.KindMaterial})
	if err != nil {
		return nil, err
	}
	out := make([]domain.Material, 0, len(rows))
	for _, r := range rows {
		if r.Deleted {
			continue
		}
		m, err := s.Material(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	slices.SortStableFunc(out, func(a, b domain.Material) int {
		if c := b.PublishedOn.Compare(a.PublishedOn); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, nil
}

// MaterialCopy returns what this laptop holds of a material, as its copy
// record says (zero versions when it has none).
func (s *Service) MaterialCopy(ctx context.Context, material string) (*domain.MaterialCopy, error) {
	st, err := s.st.State(ctx, domain.KindMaterialCopy, domain.MaterialCopyID(material, s.Device().ID))
	if errors.Is(err, store.ErrNotFound) {
		return &domain.MaterialCopy{Material: material}, nil // none yet
	}
	if err != nil {
		return nil, err
	}
	var c domain.MaterialCopy
	if err := (changeset.Schema{}).FromFields(st.Values(), &c); err != nil {
		return nil, fmt.Errorf("material copy %s: %w", st.ID, err)
	}
	c.ID = st.ID
	return &c, nil
}

// NoteMaterial records what this laptop holds of a material: the version
// downloaded whole (downloaded > 0) or marked as read (read > 0), each
// only when newer than what its copy says. Only a council's laptop keeps
// copies (the trainers see from them which councils hold each version);
// others note nothing.
func (s *Service) NoteMaterial(ctx context.Context, material string, downloaded, read int) error {
	council := ""
	if w, ok := s.Reader(); ok && w.Role == domain.RoleSecretary {
		council = w.Council
	}
	if council == "" {
		return nil
	}
	return s.Update(ctx, func(tx *Tx) error {
		id := domain.MaterialCopyID(material, s.dev.ID)
		cur, err := tx.state(domain.KindMaterialCopy, id)
		action := changeset.ActionUpdate
		c := domain.MaterialCopy{ID: id, Council: council, Material: material}
		switch {
		case errors.Is(err, domain.ErrNotFound):
			cur, action, err = nil, changeset.ActionCreate, nil
		case err != nil:
			return err
		default:
			err = (changeset.Schema{}).FromFields(cur.Values(), &c)
		}
		if err != nil {
			return fmt.Errorf("material copy %s: %w", id, err)
		}
		now := s.now().UTC().Truncate(time.Second)
		changed := false
		if downloaded > c.Downloaded {
			c.Downloaded, c.DownloadedAt, changed = downloaded, &now, true
		}
		if read > c.Read {
			c.Read, c.ReadAt, changed = read, &now, true
		}
		if !changed {
			return nil
		}
		c.ID, c.Meta = id, nil
		if err := c.Validate(); err != nil {
			return err
		}
		fields, err := (changeset.Schema{}).ToFields(&c, domain.NotFields...)
		if err != nil {
			return err
		}
		_, err = tx.save(domain.KindMaterialCopy, id, council, action, cur, fields, changeset.Names(&c))
		return err
	})
}

// MaterialCopies lists the copies of a material this laptop holds records
// of (a council's laptop, its own; central staff, every council's).
func (s *Service) MaterialCopies(ctx context.Context, material string) ([]domain.MaterialCopy, error) {
	var out []domain.MaterialCopy
	err := s.st.EachState(ctx, domain.KindMaterialCopy, func(st *changeset.State) error {
		if st.Deleted() {
			return nil
		}
		var c domain.MaterialCopy
		if err := (changeset.Schema{}).FromFields(st.Values(), &c); err != nil || c.Material != material {
			return nil // a copy that does not read is not shown
		}
		c.ID = st.ID
		out = append(out, c)
		return nil
	})
	return out, err
}
