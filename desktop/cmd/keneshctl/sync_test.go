package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// A server that acknowledges more than the laptop made: keneshctl sync
// exits 1 with a sentence, and every change stays pending.
func TestSyncRefusesAnImpossibleAcknowledgement(t *testing.T) {
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case syncproto.PathEnroll:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(syncproto.EnrollResponse{Proto: 1, ServerID: "fake", Token: "t", Role: domain.RoleSecretary, Name: "катчы"})
		case syncproto.PathSync:
			body, _ := io.ReadAll(r.Body)
			var req syncproto.SyncRequest
			if err := codec.DecodeJSON(body, &req); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			frame, _ := codec.EncodeJSON(syncproto.SyncResponse{Proto: 1, Acked: 1000, Cursor: req.Cursor}, 0)
			w.Header().Set("Content-Type", syncproto.ContentType)
			w.Write(frame)
		}
	}))
	defer srv.Close()
	c := newCLI(t)
	c.ok("", "init", "--device-name", "Ат-Башы ноутбугу")
	c.ok("", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N")
	if code, _, errs := c.run("", "enroll", "--server", srv.URL, "--code", "ABCD-EFGH"); code != 1 || !strings.Contains(errs, "impossible") {
		t.Fatalf("enroll (its first sync meets the impossible answer): exit %d, %s", code, errs)
	}
	code, _, errs := c.run("", "sync")
	if code != 1 || !strings.Contains(errs, "every change stays pending") {
		t.Fatalf("sync: exit %d, stderr %q", code, errs)
	}
	st := decode[map[string]any](t, c.ok("", "status"))
	if st["pending"] != float64(1) || st["acked"] != float64(0) || !strings.Contains(st["last_error"].(string), "impossible") {
		t.Fatalf("status after the impossible answer: %v", st)
	}
}
