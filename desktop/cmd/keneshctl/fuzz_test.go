package main

import (
	"errors"
	"testing"

	"github.com/kenesh/kenesh/internal/cli"
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
