package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/refdata"
)

// historyView lists who changed what and when, newest first.
func (u *UI) historyView(kind, id string) fyne.CanvasObject {
	entries, err := u.sess.Records().History(context.Background(), kind, id)
	box := container.NewVBox()
	if err != nil {
		box.Add(wrapped(u.problem(err)))
		return box
	}
	// An item of a list taken off (an attendee, a follow-up action) is
	// stored as null: what it was is in an earlier entry, so the person is
	// told who or what went, not just "—".
	// Each value is decoded once, here, for both.
	values := make([]map[string]any, len(entries))
	removed := make([]map[string]any, len(entries))
	last := map[string]any{}
	for i, e := range entries {
		values[i] = make(map[string]any, len(e.Changes))
		for k, v := range e.Changes {
			v = decoded(v)
			values[i][k] = v
			if _, item, isItem := strings.Cut(k, "/"); isItem && item != "" && v == nil && last[k] != nil {
				if removed[i] == nil {
					removed[i] = map[string]any{}
				}
				removed[i][k] = last[k]
			}
			last[k] = v
		}
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		who := e.Author
		if who == "" {
			who = u.T("history.unknown_author")
		}
		head := bold(u.tr.DateTime(e.At) + " · " + who + " · " + u.T("history.action."+string(e.Action)))
		head.Wrapping = fyne.TextWrapWord
		box.Add(head)
		if e.Refused {
			l := wrapped(u.T("history.refused"))
			l.Importance = widget.DangerImportance
			box.Add(l)
		}
		names := make([]string, 0, len(e.Changes))
		for k := range e.Changes {
			names = append(names, k)
		}
		sort.Strings(names)
		var lines []string
		for _, k := range names {
			if k == changeset.DeletedField {
				continue
			}
			if was, ok := removed[i][k]; ok {
				lines = append(lines, "• "+u.fieldName(k)+": "+u.T("history.removed", "what", u.valueText(k, was)))
				continue
			}
			lines = append(lines, "• "+u.fieldName(k)+": "+u.valueText(k, values[i][k]))
		}
		if len(lines) > 0 {
			l := widget.NewLabel(strings.Join(lines, "\n"))
			l.Wrapping = fyne.TextWrapWord
			box.Add(l)
		}
		box.Add(widget.NewSeparator())
	}
	return box
}

// valueText shows a stored field value to a person: names for codes,
// local dates, "—" for a cleared field.
func (u *UI) valueText(field string, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case bool:
		if x {
			return u.T("common.yes")
		}
		return u.T("common.no")
	case string:
		if x == "" {
			return "—"
		}
		switch field {
		case "status":
			return u.statusName(x)
		case "category":
			if t, ok := u.catalog().Term(refdata.RightCategories, x); ok {
				return t.Names.In(u.Lang())
			}
			if t, ok := u.catalog().Term(refdata.EventKinds, x); ok {
				return t.Names.In(u.Lang())
			}
		case "kind":
			return u.termName(refdata.EventKinds, x)
		case "channel":
			return u.termName(refdata.AppealChannels, x)
		case "oblast":
			return u.regionName(x)
		case "district":
			return u.districtName(x)
		case "authority":
			return u.termName(refdata.Authorities, x)
		case "council":
			return u.councilName(x)
		case "language":
			if n, ok := languageNames[x]; ok {
				return n
			}
		case "at_status":
			return u.statusName(x)
		case "gender":
			return u.termName(refdata.Genders, x)
		case "age_group":
			return u.termName(refdata.AgeGroups, x)
		case "vulnerable_groups":
			return u.termName(refdata.VulnerableGroups, x)
		}
		if strings.HasPrefix(field, "followups") && field != "followups" {
			break
		}
		if d, err := caldate.Parse(x); err == nil {
			return u.tr.Date(d)
		}
		return short(x, 120)
	case float64:
		return u.tr.Int(int(x))
	case []any:
		parts := make([]string, 0, len(x))
		for _, item := range x {
			parts = append(parts, u.valueText(field, item))
		}
		return short(strings.Join(parts, "; "), 240)
	case map[string]any:
		return u.objectText(field, x)
	}
	b, _ := json.Marshal(v)
	return short(string(b), 120)
}

// rawValueText shows a JSON field value (conflicts, refusals).
func (u *UI) rawValueText(field string, raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	if m, ok := v.(map[string]any); ok {
		keys := make([]string, 0, len(m))
		for k := range m {
			if k == "id" && strings.Contains(field, "/") {
				continue // an item's id says nothing to a person
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		base, _, _ := strings.Cut(field, "/")
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s: %s", u.fieldName(k), u.memberText(base, k, m[k])))
		}
		return strings.Join(parts, "\n")
	}
	if s, ok := v.(string); ok {
		// A code (a category, a district, a council) or a date in words,
		// as the record's page shows it; other text whole: a person
		// compares and merges it.
		if t := u.valueText(field, s); t != short(s, 120) {
			return t
		}
		return s
	}
	return u.valueText(field, v)
}

// decoded turns a stored value (JSON) into plain Go values for valueText.
func decoded(v any) any {
	raw, ok := v.(json.RawMessage)
	if !ok {
		return v
	}
	var out any
	if json.Unmarshal(raw, &out) != nil {
		return string(raw)
	}
	return out
}

// objectText shows a small record (a speaker, a follow-up action, a
// consultation, the appellant, participant counts) as one line.
func (u *UI) objectText(field string, m map[string]any) string {
	base, _, _ := strings.Cut(field, "/")
	if base == "participants" {
		var parts []string
		for _, t := range u.catalog().Terms(refdata.ParticipantGroups) {
			g, ok := m[t.Code].(map[string]any)
			if !ok {
				continue
			}
			n := 0
			for _, v := range g {
				if f, ok := v.(float64); ok {
					n += int(f)
				}
			}
			parts = append(parts, t.Names.In(u.Lang())+": "+u.tr.Int(n))
		}
		return strings.Join(parts, "; ")
	}
	var parts []string
	for _, k := range []string{"name", "action", "consultant", "summary", "role", "organisation", "owner", "phone", "email",
		"address", "pin", "due", "on", "status", "at_status", "done_on"} {
		v, ok := m[k]
		if !ok || v == nil || v == "" {
			continue
		}
		parts = append(parts, u.memberText(base, k, v))
	}
	return short(strings.Join(parts, ", "), 240)
}

// memberText shows member k of an item of collection base in words: as
// the record's own field of that name, but for a follow-up's status,
// which is a follow-up's (refdata.FollowupStatuses), not an appeal's.
func (u *UI) memberText(base, k string, v any) string {
	if s, ok := v.(string); ok && k == "status" && base == "followups" {
		return u.termName(refdata.FollowupStatuses, s)
	}
	return u.valueText(k, v)
}
