package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// fakeSync is a sync server of a test's making: it enrolls every code as
// enrolled says and answers each sync request with answer's reply, one
// request at a time (answer may keep what it saw in the test's variables,
// read under mu). The protocol's framing is its: the reply is encoded as
// the real server's is, so a test says only what the server decides.
func fakeSync(t *testing.T, enrolled syncproto.EnrollResponse, mu *sync.Mutex, answer func(*syncproto.SyncRequest) syncproto.SyncResponse) *httptest.Server {
	t.Helper()
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case syncproto.PathEnroll:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(enrolled)
		case syncproto.PathSync:
			body, _ := io.ReadAll(r.Body)
			var req syncproto.SyncRequest
			if err := codec.DecodeJSON(body, &req); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			mu.Lock()
			resp := answer(&req)
			mu.Unlock()
			frame, _ := codec.EncodeJSON(resp, 0)
			w.Header().Set("Content-Type", syncproto.ContentType)
			w.Write(frame)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// secretary is what a fake server answers a secretary's enrollment at
// Ат-Башы.
var secretary = syncproto.EnrollResponse{Proto: 1, ServerID: "fake", Token: "t", Role: domain.RoleSecretary, Council: "NRN-ATB", Name: "катчы"}

// A server that acknowledges more than the laptop made: keneshctl sync
// exits 1 with a sentence, and every change stays pending.
func TestSyncRefusesAnImpossibleAcknowledgement(t *testing.T) {
	enrolled := secretary
	enrolled.Council = ""
	srv := fakeSync(t, enrolled, new(sync.Mutex), func(req *syncproto.SyncRequest) syncproto.SyncResponse {
		return syncproto.SyncResponse{Proto: 1, Acked: 1000, Cursor: req.Cursor}
	})
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

// A change the server refuses stays on the record, listed by status
// (refused_open, refusals_open, beside refused and refusals) and by
// refused; take-centre gives the record back the value the centre holds,
// as a new change that syncs, and the refusal stops being open.
func TestRefusedTakeCentre(t *testing.T) {
	srv := fakeSync(t, secretary, new(sync.Mutex), func(req *syncproto.SyncRequest) syncproto.SyncResponse {
		resp := syncproto.SyncResponse{Proto: 1, Cursor: req.Cursor}
		for _, op := range req.Ops {
			resp.Acked = op.Seq
			if ch, ok := op.Fields["village"]; ok && op.Action == "update" && string(ch.V) != "null" { // a village the server does not know
				resp.Refused = append(resp.Refused, syncproto.Refusal{Seq: op.Seq, Code: syncproto.CodeInvalid, Message: "no such village",
					Fields: []syncproto.FieldReason{{Field: "village", Code: domain.CodeUnknown, Message: "no such village"}}})
			}
		}
		return resp
	})
	c := newCLI(t)
	c.ok("", "init", "--device-name", "Ат-Башы ноутбугу")
	c.ok("", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N", "--district", "KG-N-ATB")
	a := decode[map[string]any](t, c.ok(appealJSON, "appeal", "add"))
	id := a["id"].(string)
	c.ok("", "enroll", "--server", srv.URL, "--code", "ABCD-EFGH")
	c.ok(`{"village": "Ак-Муз"}`, "appeal", "edit", id)
	c.ok("", "sync")
	type status struct {
		Refused      int
		Refusals     []struct{ Seq uint64 }
		RefusedOpen  int `json:"refused_open"`
		RefusalsOpen []struct {
			Seq    uint64
			Record string
			Open   []struct {
				Field   string
				Value   json.RawMessage
				Reasons []struct{ Code string }
			}
		} `json:"refusals_open"`
	}
	st := decode[status](t, c.ok("", "status"))
	if st.Refused != 1 || st.RefusedOpen != 1 || st.RefusalsOpen[0].Record != id || st.RefusalsOpen[0].Open[0].Field != "village" ||
		string(st.RefusalsOpen[0].Open[0].Value) != `"Ак-Муз"` || st.RefusalsOpen[0].Open[0].Reasons[0].Code != domain.CodeUnknown {
		t.Fatalf("status after the refusal: %+v", st)
	}
	seq := strconv.FormatUint(st.RefusalsOpen[0].Seq, 10)
	if list := decode[[]map[string]any](t, c.ok("", "refused")); len(list) != 1 {
		t.Fatalf("refused: %v", list)
	}
	c.ok("", "refused", "take-centre", seq)
	if code, _, errs := c.run("", "refused", "take-centre", seq); code != 1 || !strings.Contains(errs, "settled already") {
		t.Fatalf("take-centre again: exit %d, %s", code, errs)
	}
	if got := decode[map[string]any](t, c.ok("", "appeal", "show", id)); got["village"] != nil {
		t.Fatalf("village %v after taking the centre's (none)", got["village"])
	}
	c.ok("", "sync")
	st = decode[status](t, c.ok("", "status"))
	if st.Refused != 1 || st.RefusedOpen != 0 || len(st.RefusalsOpen) != 0 {
		t.Fatalf("status after taking the centre's value: %+v", st)
	}
}

// An appeal recorded with a review note before the laptop was enrolled:
// the server refuses its creation for the note. Corrected, it is sent
// again without the note (the server takes it), and refused lists the
// note alone, kept on this laptop (kept); take-centre settles it here,
// with no change to send.
func TestRefusedCreationKeptNote(t *testing.T) {
	var sent []string // each appeal operation's action, and whether it held the note
	var acked uint64
	var mu sync.Mutex // the handler's goroutines and the test's share sent
	srv := fakeSync(t, secretary, &mu, func(req *syncproto.SyncRequest) syncproto.SyncResponse {
		for _, op := range req.Ops {
			acked = op.Seq
		}
		resp := syncproto.SyncResponse{Proto: 1, Cursor: req.Cursor, Acked: acked}
		for _, op := range req.Ops {
			if op.Kind != domain.KindAppeal {
				continue
			}
			_, note := op.Fields["review_note"]
			sent = append(sent, op.Action+" note="+strconv.FormatBool(note))
			if note {
				resp.Refused = append(resp.Refused, syncproto.Refusal{Seq: op.Seq, Code: syncproto.CodeForbidden, Message: "review_note: central staff only",
					Fields: []syncproto.FieldReason{{Field: "review_note", Code: domain.CodeForbidden, Message: "central staff only"}}})
			}
		}
		return resp
	})
	c := newCLI(t)
	c.ok("", "init", "--device-name", "Ат-Башы ноутбугу")
	c.ok("", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N", "--district", "KG-N-ATB")
	in := decode[map[string]any](t, appealJSON)
	in["review_note"] = "Каралды ң ө ү"
	b, _ := json.Marshal(in)
	id := decode[map[string]any](t, c.ok(string(b), "appeal", "add"))["id"].(string)
	c.ok("", "enroll", "--server", srv.URL, "--code", "ABCD-EFGH")
	c.ok("", "sync")
	type view struct {
		Seq     uint64
		Created bool
		Open    []struct {
			Field string
			Kept  bool
		}
	}
	list := decode[[]view](t, c.ok("", "refused"))
	if len(list) != 1 || !list[0].Created {
		t.Fatalf("refused after the first sync: %+v", list)
	}
	c.ok(`{"summary": "Оңдолду ң ө ү"}`, "appeal", "edit", id)
	c.ok("", "sync")
	list = decode[[]view](t, c.ok("", "refused"))
	if len(list) != 1 || list[0].Created || len(list[0].Open) != 1 || list[0].Open[0].Field != "review_note" || !list[0].Open[0].Kept {
		t.Fatalf("refused after the correction: %+v", list)
	}
	mu.Lock()
	got := strings.Join(sent, ", ")
	mu.Unlock()
	if got != "create note=true, create note=false" {
		t.Fatalf("sent %s: want the creation, then the creation again without the note", got)
	}
	c.ok("", "refused", "take-centre", strconv.FormatUint(list[0].Seq, 10))
	if got := decode[map[string]any](t, c.ok("", "appeal", "show", id)); got["review_note"] != nil || got["summary"] != "Оңдолду ң ө ү" {
		t.Fatalf("the appeal after taking the centre's: note %v, summary %v", got["review_note"], got["summary"])
	}
	st := decode[struct {
		Pending     int
		RefusedOpen int `json:"refused_open"`
	}](t, c.ok("", "status"))
	if st.Pending != 0 || st.RefusedOpen != 0 {
		t.Fatalf("status at the end: %+v", st)
	}
}
