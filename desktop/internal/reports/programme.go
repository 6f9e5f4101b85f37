package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"sync"

	"github.com/kenesh/kenesh/assets"
	"github.com/kenesh/kenesh/shared/refdata"
)

// Programme is what the programme counts as its indicators
// (assets/programme/indicators.json): data, so that a second programme or
// country changes a file, not the code.
type Programme struct {
	Name    refdata.Names `json:"programme"`
	Targets struct {
		Councils int `json:"councils"`
		Oblasts  int `json:"oblasts"`
	} `json:"targets"`
	// PublicPlatformKinds are the event kinds counted as public platforms
	// held.
	PublicPlatformKinds []string `json:"public_platform_kinds"`
}

var (
	programmeOnce sync.Once
	programme     *Programme
	programmeErr  error
)

// DefaultProgramme returns the programme embedded in assets.
func DefaultProgramme() (*Programme, error) {
	programmeOnce.Do(func() {
		programme, programmeErr = LoadProgramme(assets.FS, "programme/indicators.json", refdata.Default())
	})
	return programme, programmeErr
}

// LoadProgramme reads and checks a programme file.
func LoadProgramme(fsys fs.FS, path string, cat *refdata.Catalog) (*Programme, error) {
	b, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, fmt.Errorf("programme: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p struct {
		Programme
		Note string `json:"note"`
	}
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("programme %s: %w", path, err)
	}
	if p.Targets.Councils <= 0 || p.Targets.Oblasts <= 0 {
		return nil, fmt.Errorf("programme %s: targets of councils and oblasts must be positive", path)
	}
	for _, k := range p.PublicPlatformKinds {
		if !cat.Has(refdata.EventKinds, k) {
			return nil, fmt.Errorf("programme %s: public_platform_kinds: %q is not an event kind", path, k)
		}
	}
	return &p.Programme, nil
}
