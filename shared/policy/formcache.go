package policy

import (
	"crypto/sha256"
	"sync"

	"github.com/kenesh/kenesh/shared/xlsform"
)

// decodedForms keeps the forms CheckResponse decoded, by the definition's
// bytes. The server judges every response operation against its
// definition; decoding it each time cost 0.4 ms for the needs
// assessment's 8 KB and grows with the definition (up to
// domain.MaxDefinition, 1 MiB): a laptop pushing thousands of responses to
// a big form would have held a core for minutes. A version is published
// once and never changed, so a few dozen entries hold every form in use.
// Bounded by the definitions' bytes too: 64 definitions of the 1 MiB
// maximum would have kept several hundred MB of decoded forms.
var decodedForms = &formCache{max: 64, maxBytes: 16 << 20}

// formCache is a bounded map from a definition's SHA-256 to its decoded
// form. Keyed by content, not by record or clock, so that no state built
// without clocks (a test's, an import's) can ever get another's form.
// When full, an arbitrary entry goes: the forms in use come back at the
// next response. The forms it returns are shared: callers only read them
// (xlsform.Form's Check and Evaluate do not change the form).
type formCache struct {
	max      int // forms
	maxBytes int // their definitions' bytes, in all

	mu    sync.Mutex
	forms map[[sha256.Size]byte]cachedForm
	bytes int
}

type cachedForm struct {
	form *xlsform.Form
	size int // its definition's bytes
}

// decode returns the form of a definition, decoding it on first use.
// Errors are not kept: a definition that does not decode is refused
// anyway, and the refusal is the rare case.
func (c *formCache) decode(def []byte) (*xlsform.Form, error) {
	key := sha256.Sum256(def)
	c.mu.Lock()
	cf, ok := c.forms[key]
	c.mu.Unlock()
	if ok {
		return cf.form, nil
	}
	f, err := xlsform.Decode(def)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(def) > c.maxBytes {
		return f, nil // used once, not kept
	}
	if c.forms == nil {
		c.forms = map[[sha256.Size]byte]cachedForm{}
	}
	if _, ok := c.forms[key]; ok {
		return f, nil // decoded meanwhile by another check
	}
	for k, old := range c.forms {
		if len(c.forms) < c.max && c.bytes+len(def) <= c.maxBytes {
			break
		}
		delete(c.forms, k)
		c.bytes -= old.size
	}
	c.forms[key] = cachedForm{form: f, size: len(def)}
	c.bytes += len(def)
	return f, nil
}
