package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/internal/cli"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/jsonin"
)

// The JSON a script pipes into 'appeal add' and 'event add' is outside
// input: any bytes must give a record or an *jsonin.Error, never a panic.
func FuzzDecodeAppeal(f *testing.F) {
	f.Add([]byte(appealJSON))
	f.Add([]byte(`{"received_on":"2026-02-30"}`))
	f.Add([]byte(`{"consultations":[{"id":"x","on":null}],"vulnerable_groups":["disability"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := decodeAppeal(data)
		var je *jsonin.Error
		if err != nil && !errors.As(err, &je) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if err == nil {
			_ = a.Summary
		}
	})
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(`{"kind":"hearing","title":"Угуу","date":"2026-03-01","participants":{"citizens":{"female":1}}}`))
	f.Add([]byte(`{"followups":[{"due":"2026-01-01","status":"open"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := decodeEvent(data)
		var je *jsonin.Error
		if err != nil && !errors.As(err, &je) {
			t.Fatalf("error of type %T: %v", err, err)
		}
	})
}

// The attendees piped into 'training attend': one object or an array;
// anything else is an *jsonin.Error (or, for an empty array, a usage
// error), never a panic, and a list is never empty.
func FuzzAttendeesIn(f *testing.F) {
	f.Add([]byte(`{"name":"Асель","gender":"female","group":"council_members"}`))
	f.Add([]byte(`[{"name":"Бакыт","group":"journalists","council":"NRN-KOC"},{"name":"Нурлан"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(` [{"id":5}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := attendeesIn(data)
		var je *jsonin.Error
		var ue cli.UsageError
		switch {
		case err != nil && !errors.As(err, &je) && !errors.As(err, &ue):
			t.Fatalf("error of type %T: %v", err, err)
		case err == nil && len(list) == 0:
			t.Fatal("no attendees and no error")
		}
	})
}

// A competition or an entry piped in: a *jsonin.Error or a value the
// domain checks, normalises and ranks without a panic, whatever it holds;
// points typed on the command line: a map or an error.
func FuzzDecodeCompetition(f *testing.F) {
	f.Add([]byte(`{"title":"Сынак","audience":"journalists","deadline":"2026-10-01","categories":[{"name":"Видео"}],"criteria":[{"name":"Сапаты","max":5}],"jurors":[{"name":"Айгүл","device":"0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9d0e"},{"name":"Бакыт","device":"laptop-of-bakyt"}]}`),
		[]byte(`{"author":"Нурлан","title":"Жер","category":"Видео","related":["Айгүл"]}`), "1=3 Сапаты=4")
	f.Add([]byte(`{"places":-3,"criteria":[{"id":"x","max":0}],"entries":[{"id":"e","related":["?"]}],"scores":[{"juror":"","points":{"x":-1}}]}`),
		[]byte(`[]`), "=1 x= 99999999999999999999=1")
	f.Fuzz(func(t *testing.T, comp, entry []byte, points string) {
		var je *jsonin.Error
		c, err := decodeCompetition(comp)
		if err != nil && !errors.As(err, &je) {
			t.Fatalf("competition: error of type %T: %v", err, err)
		}
		e, err := decodeEntry(entry)
		if err != nil && !errors.As(err, &je) {
			t.Fatalf("entry: error of type %T: %v", err, err)
		}
		c.Entries = append(c.Entries, e)
		c.Normalize()
		_ = c.Validate(caldate.MustParse("2026-11-25"))
		for _, r := range c.Ranking() {
			for _, s := range r.Standings {
				if s.Place < 1 || s.Place > len(r.Standings) {
					t.Fatalf("place %d of %d", s.Place, len(r.Standings))
				}
			}
		}
		if m, err := parsePoints(&c, strings.Fields(points)); err == nil && m == nil {
			t.Fatal("no points and no error")
		}
	})
}
