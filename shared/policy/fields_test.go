package policy

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// A refusal about fields of a record names them with a field error code,
// so that a laptop can mark them in a form in its person's language: here
// and, through syncproto.RefusalFor, when the server refuses.
func TestRefusalsNameTheirFields(t *testing.T) {
	sec := Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	central := Device{Role: domain.RoleCentral}
	existing := &changeset.State{Kind: domain.KindAppeal, ID: "a", Council: "NRN-ATB", Created: 5}
	op := func(action changeset.Action, fields map[string]string) *changeset.Op {
		o := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: domain.KindAppeal, Record: "a", Council: "NRN-ATB", Action: action, Fields: map[string]changeset.Change{}}
		for k, v := range fields {
			o.Fields[k] = changeset.Change{Value: json.RawMessage(v)}
		}
		return o
	}
	cases := []struct {
		name string
		dev  Device
		op   *changeset.Op
		cur  *changeset.State
		code syncproto.Code
		want []domain.FieldError // Field and Code
	}{
		{"a secretary publishes", sec, op(changeset.ActionUpdate, map[string]string{"published": `true`, "summary": `"x"`, "review_note": `"ok"`}), existing,
			syncproto.CodeForbidden, []domain.FieldError{{Field: "published", Code: domain.CodeForbidden}, {Field: "review_note", Code: domain.CodeForbidden}}},
		{"central staff edit the summary", central, op(changeset.ActionUpdate, map[string]string{"summary": `"x"`, "published": `true`}), existing,
			syncproto.CodeForbidden, []domain.FieldError{{Field: "summary", Code: domain.CodeForbidden}}},
		{"another council's field", sec, op(changeset.ActionCreate, map[string]string{"council": `"OSH-ARA"`}), nil,
			syncproto.CodeWrongCouncil, []domain.FieldError{{Field: "council", Code: domain.CodeMismatch}}},
		{"another council's number", sec, op(changeset.ActionCreate, map[string]string{"council": `"NRN-ATB"`, "reg_no": `"OSH-ARA-2026-K7QH-0001"`}), nil,
			syncproto.CodeWrongCouncil, []domain.FieldError{{Field: "reg_no", Code: domain.CodeMismatch}}},
		{"no council", sec, op(changeset.ActionCreate, map[string]string{"summary": `"x"`}), nil,
			syncproto.CodeInvalid, []domain.FieldError{{Field: "council", Code: domain.CodeRequired}}},
		{"a kind it does not write", sec, &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: domain.KindCouncil, Record: "NRN-ATB", Action: changeset.ActionUpdate}, nil,
			syncproto.CodeForbidden, nil},
	}
	for _, c := range cases {
		r := CheckWrite(c.dev, c.op, c.cur)
		if r == nil || r.Code != c.code {
			t.Fatalf("%s: %v, want %s", c.name, r, c.code)
		}
		var got []domain.FieldError
		for _, f := range r.Fields {
			if f.Message == "" {
				t.Errorf("%s: field %s without a message", c.name, f.Field)
			}
			got = append(got, domain.FieldError{Field: f.Field, Code: f.Code})
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: fields %+v, want %+v", c.name, got, c.want)
		}
		var ve *domain.ValidationError
		if errors.As(r, &ve) != (len(c.want) > 0) {
			t.Errorf("%s: errors.As ValidationError is %v", c.name, ve != nil)
		}
		if got := syncproto.CodeOf(r); got != c.code {
			t.Errorf("%s: CodeOf %s, want %s", c.name, got, c.code)
		}
		// On the wire, and back on the laptop.
		ref := syncproto.RefusalFor(7, r)
		if ref.Seq != 7 || ref.Code != c.code || ref.Message != r.Message || len(ref.Fields) != len(c.want) {
			t.Errorf("%s: on the wire %+v", c.name, ref)
		}
		back := syncproto.FromBody(syncproto.ErrorBody{Code: ref.Code, Message: ref.Message, Fields: ref.Fields})
		if len(c.want) > 0 && (!errors.As(back, &ve) || ve.Fields[0].Field != c.want[0].Field || ve.Fields[0].Code != c.want[0].Code) {
			t.Errorf("%s: the laptop does not find the fields in %v", c.name, back)
		}
	}
}
