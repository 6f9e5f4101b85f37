package main

import (
	"strings"
	"testing"
	"time"
)

func TestReportCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("", "init", "--device-name", "Бишкек")
	c.ok("", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N", "--district", "KG-N-ATB")
	c.ok("", "council", "add", "--code", "OSH-ARV", "--name", "Араван коомдук кеңеши", "--oblast", "KG-O")
	c.ok(appealJSON, "appeal", "add")
	c.ok(appealJSON, "appeal", "add")
	c.ok(`{"council":"OSH-ARV","kind":"hearing","title":"Угуу","date":"`+time.Now().Format("2006-01-02")+`","oblast":"KG-O",
		"participants":{"citizens":{"female":4,"male":3}}}`, "event", "add")

	type figures struct {
		Appeals struct {
			Total     int            `json:"total"`
			ByChannel map[string]int `json:"by_channel"`
		} `json:"appeals"`
		Events struct {
			ParticipantsTotal struct{ Total int } `json:"participants_total"`
		} `json:"events"`
	}
	r := decode[struct {
		Schema string `json:"schema"`
		Digest string `json:"digest"`
		Point  struct {
			Clock uint64 `json:"clock"`
		} `json:"log_point"`
		Summary figures `json:"summary"`
		Groups  []struct {
			Key string `json:"key"`
			figures
		} `json:"groups"`
	}](t, c.ok("", "report", "--by", "council"))
	if r.Schema != "kenesh.report/1" || len(r.Digest) != 64 || r.Point.Clock == 0 {
		t.Errorf("report head: %+v", r)
	}
	if r.Summary.Appeals.Total != 2 || r.Summary.Appeals.ByChannel["phone"] != 2 || r.Summary.Events.ParticipantsTotal.Total != 7 {
		t.Errorf("summary %+v", r.Summary)
	}
	if len(r.Groups) != 2 || r.Groups[0].Key != "NRN-ATB" || r.Groups[0].Appeals.Total != 2 || r.Groups[1].Appeals.Total != 0 {
		t.Errorf("groups %+v", r.Groups)
	}
	// As of yesterday nothing had been recorded.
	yesterday := time.Now().AddDate(0, 0, -1).Format("2006-01-02")
	past := decode[struct {
		Summary figures `json:"summary"`
		Replay  struct {
			Later int `json:"later"`
		} `json:"replay"`
	}](t, c.ok("", "report", "--as-of", yesterday))
	if past.Summary.Appeals.Total != 0 || past.Replay.Later == 0 {
		t.Errorf("as of %s: %+v", yesterday, past)
	}
	for _, bad := range [][]string{{"--by", "week"}, {"--oblast", "KG-X"}, {"--from", "2026-03-01", "--to", "2026-02-01"}, {"--from", "1 March"}, {"--council", "NOPE"}} {
		code, _, errs := c.run("", append([]string{"report"}, bad...)...)
		if code != 2 || !strings.Contains(errs, "report") {
			t.Errorf("report %v: exit %d, %s", bad, code, errs)
		}
	}
}
