package policy

import (
	"encoding/json"
	"testing"
)

// jsonString answers as json.Unmarshal into a string does, on plain
// strings (its quick path) and on everything else.
func TestJSONStringAsUnmarshal(t *testing.T) {
	for _, raw := range []string{
		`"NRN-ATB"`, `"NRN-ATB-2025-QK5X-0123"`, `""`, `"Ат-Башы"`, `"a\"b"`, `"a\\b"`, `"\u0041"`,
		"\"a\tb\"", "\"\xff\xfe\"", `"NRN-ATB`, `NRN-ATB"`, `"`, `42`, `null`, `["NRN-ATB"]`, ``,
	} {
		var want string
		wantErr := json.Unmarshal([]byte(raw), &want)
		got, err := jsonString([]byte(raw))
		if (err != nil) != (wantErr != nil) || got != want {
			t.Errorf("jsonString(%q) = %q, %v; json.Unmarshal: %q, %v", raw, got, err, want, wantErr)
		}
	}
}
