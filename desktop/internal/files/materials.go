package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kenesh/kenesh/shared/domain"
)

// MaterialInput is a material a trainer publishes: its file and what the
// catalogue says of it. Replaces, when set, is the material this is a
// new version of.
type MaterialInput struct {
	Title, Description, Language, Audience, Topic, Notes string
	Replaces                                             string
	File                                                 Input
}

// Publish stores a material's file and saves the material (a new one, or
// a new version of in.Replaces, whose catalogue entry it replaces on
// every laptop). The old version's chunks stay where they are.
func (f *Files) Publish(ctx context.Context, in MaterialInput, r io.Reader) (*domain.Material, error) {
	m := domain.Material{ID: in.Replaces, Title: in.Title, Description: in.Description, Language: in.Language,
		Audience: in.Audience, Topic: in.Topic, Notes: in.Notes}
	if in.Replaces != "" {
		old, err := f.rec.Material(ctx, in.Replaces)
		if err != nil {
			return nil, fmt.Errorf("publish a new version: %w", err)
		}
		// What is not given again stays as the last version said.
		for _, p := range []struct{ v, old *string }{{&m.Title, &old.Title}, {&m.Description, &old.Description},
			{&m.Language, &old.Language}, {&m.Audience, &old.Audience}, {&m.Topic, &old.Topic}} {
			if *p.v == "" {
				*p.v = *p.old
			}
		}
	}
	// The description is checked before the file is stored: a mistake
	// in a field costs no minutes of reading a video.
	probe := m
	probe.Version, probe.PublishedOn = 1, f.rec.Today()
	probe.Normalize()
	if err := probe.Validate(f.rec.Today()); err != nil {
		if ve := fieldErrorsBut(err, "file"); ve != nil {
			return nil, ve
		}
	}
	f.naming.RLock()
	defer f.naming.RUnlock()
	att, err := f.Store(ctx, in.File, r, domain.MaxMaterialSize)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	m.File = *att
	out, err := f.rec.PublishMaterial(ctx, m)
	if err != nil {
		return nil, err
	}
	f.Touch(domain.KindMaterial, out.ID)
	return out, nil
}

// fieldErrorsBut is err without its errors about field prefix (nil when
// none is left).
func fieldErrorsBut(err error, prefix string) error {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := &domain.ValidationError{Kind: ve.Kind}
	for _, fe := range ve.Fields {
		if fe.Field != prefix && !strings.HasPrefix(fe.Field, prefix+".") {
			out.Fields = append(out.Fields, fe)
		}
	}
	if len(out.Fields) == 0 {
		return nil
	}
	return out
}

// OpenMaterial returns a material and a reader of its file, checked as
// Open says (ErrNotDownloaded until all of it is here).
func (f *Files) OpenMaterial(ctx context.Context, id string) (*domain.Material, io.Reader, error) {
	m, err := f.rec.Material(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	r, err := f.Content(ctx, &m.File)
	return m, r, err
}
