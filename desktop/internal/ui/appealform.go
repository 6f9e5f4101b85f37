package ui

import (
	"context"
	"encoding/json"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// appealForm records a new appeal or edits one.
type appealForm struct {
	formPage
	a *domain.Appeal // nil: new

	council                             *controls.CodeSelect
	received, registered                *controls.Entry
	channel, language                   *controls.CodeSelect
	anonymous                           *widget.Check
	name, phone, email, address, pin    *controls.Entry
	gender, age                         *controls.CodeSelect
	vulnerable                          *controls.MultiCheck
	oblast, district                    *controls.CodeSelect
	village                             *controls.Entry
	category, authority                 *controls.CodeSelect
	authorityName, summary, description *controls.Entry
	extDays, extNote                    *controls.Entry
	eventID                             string // set when recorded from an event
}

func newAppealForm(u *UI, a *domain.Appeal) *appealForm {
	f := &appealForm{a: a}
	f.u = u
	f.kind = domain.KindAppeal
	if a != nil {
		f.recordID = a.ID
	}
	f.fs = u.newFieldSet(domain.KindAppeal)
	if a == nil {
		f.titleStr = u.T("appeal.new_title")
	} else {
		f.titleStr = u.T("appeal.edit_title", "regno", a.RegNo)
	}
	svc := u.sess.Records()
	today := svc.Today()

	cc, cn := u.councils()
	f.council = u.newCodeSelect(cc, cn, "", nil)
	f.received, f.registered = u.newEntry(), u.newEntry()
	for _, e := range []*controls.Entry{f.received, f.registered} {
		e.SetPlaceHolder(u.T("form.date_placeholder"))
	}
	f.channel = u.termSelect(refdata.AppealChannels, "", nil)
	f.language = u.newCodeSelect(l10n.Languages, []string{"Кыргызча", "Русский", "English"}, u.T("form.not_stated"), nil)
	f.name, f.phone, f.email, f.address, f.pin = u.newEntry(), u.newEntry(), u.newEntry(), u.newEntry(), u.newEntry()
	f.phone.SetPlaceHolder("+996 555 123 456")
	f.pin.SetPlaceHolder(u.T("form.pin_placeholder"))
	f.anonymous = widget.NewCheck(u.T("field.anonymous"), func(on bool) {
		u.touch()
		for _, e := range []*controls.Entry{f.name, f.pin} {
			if on {
				e.Disable()
			} else {
				e.Enable()
			}
		}
	})
	f.gender = u.termSelect(refdata.Genders, u.T("form.not_stated"), nil)
	f.age = u.termSelect(refdata.AgeGroups, u.T("form.not_stated"), nil)
	var vulnCodes, vulnNames []string
	for _, t := range u.catalog().Terms(refdata.VulnerableGroups) {
		vulnCodes = append(vulnCodes, t.Code)
		vulnNames = append(vulnNames, t.Names.In(u.Lang()))
	}
	f.vulnerable = u.newMultiCheck(vulnCodes, vulnNames, 2)
	rc, rn := u.regionChoices()
	f.district = u.newCodeSelect(nil, nil, u.T("form.not_stated"), nil)
	f.oblast = u.newCodeSelect(rc, rn, "", func(code string) {
		dc, dn := u.districtChoices(code)
		f.district.SetOptions(dc, dn, u.T("form.not_stated"))
	})
	f.village = u.newEntry()
	f.category = u.termSelect(refdata.RightCategories, "", nil)
	f.authority = u.termSelect(refdata.Authorities, u.T("form.not_stated"), nil)
	f.authorityName = u.newEntry()
	f.summary = u.newEntry()
	f.summary.SetPlaceHolder(u.T("form.summary_placeholder"))
	f.description = u.newMultiEntry(4)
	f.extDays, f.extNote = u.newEntry(), u.newEntry()

	// Starting values: the record, or sensible defaults for a new one.
	if a == nil {
		home := svc.HomeCouncil()
		if home == "" && len(cc) == 1 {
			home = cc[0]
		}
		f.council.SetCode(home)
		f.received.SetText(u.tr.DateInput(today))
		f.registered.SetText(u.tr.DateInput(today))
		f.language.SetCode(u.Lang())
		for _, c := range mustCouncils(u) {
			if c.Code == home {
				f.oblast.SetCode(c.Oblast)
				f.district.SetCode(c.District)
			}
		}
	} else {
		f.council.SetCode(a.Council)
		f.council.Disable() // a record stays with its council
		f.received.SetText(u.tr.DateInput(a.ReceivedOn))
		f.registered.SetText(u.tr.DateInput(a.RegisteredOn))
		f.channel.SetCode(a.Channel)
		f.language.SetCode(a.Language)
		f.anonymous.SetChecked(a.Anonymous)
		if p := a.Appellant; p != nil {
			f.name.SetText(p.Name)
			f.phone.SetText(p.Phone)
			f.email.SetText(p.Email)
			f.address.SetText(p.Address)
			f.pin.SetText(p.PIN)
		}
		f.gender.SetCode(a.Gender)
		f.age.SetCode(a.AgeGroup)
		f.vulnerable.SetSelected(a.VulnerableGroups)
		f.oblast.SetCode(a.Oblast)
		f.district.SetCode(a.District)
		f.village.SetText(a.Village)
		f.category.SetCode(a.Category)
		f.authority.SetCode(a.Authority)
		f.authorityName.SetText(a.AuthorityName)
		f.summary.SetText(a.Summary)
		f.description.SetText(a.Description)
		if a.ExtensionDays > 0 {
			f.extDays.SetText(strconv.Itoa(a.ExtensionDays))
		}
		f.extNote.SetText(a.ExtensionNote)
	}

	fs := f.fs
	f.section("appeal.sec_received",
		fs.add("council", "field.council", f.council),
		fs.add("channel", "field.channel", f.channel),
		fs.add("received_on", "field.received_on", f.received),
		fs.add("registered_on", "field.registered_on", f.registered),
	)
	f.section("appeal.sec_appellant",
		fs.add("anonymous", "field.appellant", f.anonymous),
		fs.add("appellant.name", "field.appellant_name", f.name),
		fs.add("appellant.phone", "field.phone", f.phone),
		fs.add("appellant.email", "field.email", f.email),
		fs.add("appellant.address", "field.address", f.address),
		fs.add("appellant.pin", "field.pin", f.pin),
		fs.add("gender", "field.gender", f.gender),
		fs.add("age_group", "field.age_group", f.age),
	)
	fs.fields["appellant"] = fs.fields["anonymous"]
	f.fold("field.vulnerable_groups", len(f.vulnerable.Selected()) > 0, fs.add("vulnerable_groups", "field.vulnerable_groups", f.vulnerable.Box))
	f.section("appeal.sec_matter",
		fs.add("category", "field.category", f.category),
		fs.add("language", "field.language", f.language),
		fs.add("authority", "field.authority", f.authority),
		fs.add("authority_name", "field.authority_name", f.authorityName),
		fs.add("oblast", "field.oblast", f.oblast),
		fs.add("district", "field.district", f.district),
		fs.add("village", "field.village", f.village),
	)
	f.wide("",
		fs.add("summary", "field.summary", f.summary),
		fs.add("description", "field.description", f.description),
	)
	if a != nil {
		f.section("appeal.sec_extension",
			fs.add("extension_days", "field.extension_days", f.extDays),
			fs.add("extension_note", "field.extension_note", f.extNote),
		)
	}
	f.submitOnEnter(f.received, f.registered, f.name, f.phone, f.email, f.address, f.pin, f.village,
		f.authorityName, f.summary, f.extDays, f.extNote)
	f.multi = map[string]*controls.MultiCheck{"vulnerable_groups": f.vulnerable}
	f.moreInputs = func(in map[string]string) {
		if f.eventID != "" {
			in["event_id"] = f.eventID
		}
	}
	f.restoreMore = func(in map[string]string) { f.eventID = in["event_id"] }
	f.values = f.read
	f.onSave = f.store
	f.finish()
	return f
}

func mustCouncils(u *UI) []domain.Council {
	cs, _ := u.sess.Records().Councils(context.Background())
	return cs
}

// read gathers the form into appeal fields (JSON-ready values), marking
// the fields it cannot read.
func (f *appealForm) read() (map[string]any, bool) {
	u := f.u
	ok := true
	date := func(name string, e *controls.Entry) any {
		d, err := u.tr.ParseDate(e.Text)
		if err != nil {
			f.fs.localError(name, u.T("err.format.date"))
			ok = false
			return e.Text
		}
		return d
	}
	vuln := f.vulnerable.Selected()
	var appellant *domain.Appellant
	p := domain.Appellant{Name: strings.TrimSpace(f.name.Text), Phone: strings.TrimSpace(f.phone.Text),
		Email: strings.TrimSpace(f.email.Text), Address: strings.TrimSpace(f.address.Text), PIN: strings.TrimSpace(f.pin.Text)}
	if f.anonymous.Checked {
		p.Name, p.PIN = "", ""
	}
	if p != (domain.Appellant{}) {
		appellant = &p
	}
	v := map[string]any{
		"received_on": date("received_on", f.received), "registered_on": date("registered_on", f.registered),
		"channel": f.channel.Code(), "language": f.language.Code(), "anonymous": f.anonymous.Checked,
		"appellant": appellant, "gender": f.gender.Code(), "age_group": f.age.Code(), "vulnerable_groups": vuln,
		"oblast": f.oblast.Code(), "district": f.district.Code(), "village": strings.TrimSpace(f.village.Text),
		"category": f.category.Code(), "authority": f.authority.Code(), "authority_name": strings.TrimSpace(f.authorityName.Text),
		"summary": strings.TrimSpace(f.summary.Text), "description": strings.TrimSpace(f.description.Text),
	}
	if f.a != nil {
		days := 0
		if t := strings.TrimSpace(f.extDays.Text); t != "" {
			n, err := strconv.Atoi(t)
			if err != nil || n < 0 {
				f.fs.localError("extension_days", u.T("err.format.number"))
				ok = false
			}
			days = n
		}
		v["extension_days"] = days
		v["extension_note"] = strings.TrimSpace(f.extNote.Text)
	} else {
		v["council"] = f.council.Code()
		if f.eventID != "" {
			v["event_id"] = f.eventID
		}
	}
	return v, ok
}

func (f *appealForm) store(changed map[string]any) error {
	u := f.u
	svc := u.sess.Records()
	ctx := context.Background()
	if f.a == nil {
		v, _ := f.read()
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		var a domain.Appeal
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		saved, err := svc.CreateAppeal(ctx, a)
		if err != nil {
			return err
		}
		f.saved = true
		u.shell.replaceTop(newAppealDetail(u, saved.ID))
		return nil
	}
	if len(changed) == 0 {
		f.saved = true
		u.shell.popNow()
		return nil
	}
	b, err := json.Marshal(changed)
	if err != nil {
		return err
	}
	if _, err := svc.EditAppeal(ctx, f.a.ID, b); err != nil {
		return err
	}
	f.saved = true
	u.shell.popNow()
	u.shell.top().changed([]records.Changed{{Kind: domain.KindAppeal, ID: f.a.ID}})
	return nil
}
