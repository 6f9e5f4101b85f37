package jsonin

import (
	"errors"
	"strings"
	"testing"
)

type inner struct {
	N int `json:"n"`
}

type target struct {
	Name  string  `json:"name"`
	Count int     `json:"count"`
	In    inner   `json:"in"`
	List  []inner `json:"list"`
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantLine int
		field    string
		contains string
	}{
		{"ok", `{"name":"Көл","count":2}`, 0, "", ""},
		{"syntax", "{\n  \"name\": \"x\",\n  \"count\": 2,,\n}", 3, "", "not valid JSON"},
		{"type", "{\n \"name\": \"x\",\n \"count\": \"two\"\n}", 3, "count", "expected int"},
		{"nested type", "{\"in\":\n {\"n\": true}}", 2, "in.n", "expected int"},
		{"unknown field", "{\n\"name\":\"x\",\n\"cuont\": 1}", 3, "cuont", "unknown field"},
		{"truncated", "{\"name\": \"x\"", 1, "", "ends too early"},
		{"empty", "  ", 0, "", "no input"},
		{"two objects", `{"name":"a"} {"name":"b"}`, 1, "", "after the JSON object"},
		{"array instead of object", `[1,2]`, 1, "", "expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v target
			err := Decode("appeal", []byte(tt.in), &v)
			if tt.contains == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not *Error", err, err)
			}
			if e.Line != tt.wantLine || e.Field != tt.field || !strings.Contains(e.Error(), tt.contains) {
				t.Fatalf("got line %d field %q msg %q; want line %d field %q containing %q", e.Line, e.Field, e.Error(), tt.wantLine, tt.field, tt.contains)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"name":"Көл","count":2,"in":{"n":1},"list":[{"n":2}]}`))
	f.Add([]byte("{\n\"cuont\": 1}"))
	f.Add([]byte(`{"name": "\u04a3"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v target
		err := Decode("x", data, &v)
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if e != nil && (e.Line < 0 || e.Column < 0) {
			t.Fatalf("bad position %+v", e)
		}
	})
}
