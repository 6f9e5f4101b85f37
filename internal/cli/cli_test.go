package cli

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseTakesFlagsAnywhere(t *testing.T) {
	tests := []struct {
		args    []string
		n       int
		pos     []string
		note    string
		usage   bool
		errText string
	}{
		{[]string{"ID", "closed", "--note", "x"}, 2, []string{"ID", "closed"}, "x", false, ""},
		{[]string{"--note", "y", "ID", "closed"}, 2, []string{"ID", "closed"}, "y", false, ""},
		{[]string{"ID"}, 2, nil, "", true, "usage: prog move ID STATUS"},
		{[]string{"ID", "closed", "--nope"}, 2, nil, "", true, "flag provided but not defined"},
	}
	for _, tt := range tests {
		var w bytes.Buffer
		fs := Flags("prog", "move", &w)
		note := fs.String("note", "", "")
		pos, err := Parse(fs, tt.args, tt.n, "ID STATUS")
		var u UsageError
		if got := errors.As(err, &u); got != tt.usage || (err != nil && !strings.Contains(err.Error(), tt.errText)) {
			t.Errorf("%v: err %v, want usage error %v containing %q", tt.args, err, tt.usage, tt.errText)
			continue
		}
		if err == nil && (!reflect.DeepEqual(pos, tt.pos) || *note != tt.note) {
			t.Errorf("%v: %v %q", tt.args, pos, *note)
		}
	}
}

func TestDispatchExitStatus(t *testing.T) {
	var cs Commands[*int]
	cs.Prog = "prog"
	cs.Register(Command[*int]{Name: "ok", Run: func(_ context.Context, e *int, _ []string) error { *e++; return nil }})
	cs.Register(Command[*int]{Name: "fail", Run: func(context.Context, *int, []string) error { return errors.New("disk full") }})
	cs.Register(Command[*int]{Name: "usage", Run: func(context.Context, *int, []string) error { return Usagef("usage: prog usage X") }})
	n := 0
	for _, tt := range []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"ok"}, 0, ""},
		{[]string{"fail"}, 1, "prog fail: disk full"},
		{[]string{"usage"}, 2, "prog usage: usage: prog usage X"},
		{[]string{"nope"}, 2, `prog: unknown command "nope"`},
		{nil, 2, ""},
	} {
		var errb bytes.Buffer
		if got := cs.Dispatch(context.Background(), &n, tt.args, &errb, nil); got != tt.status || !strings.Contains(errb.String(), tt.stderr) {
			t.Errorf("%v: status %d, stderr %q", tt.args, got, errb.String())
		}
	}
	if n != 1 {
		t.Fatalf("ok ran %d times", n)
	}
}
