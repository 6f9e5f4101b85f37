package export_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/reports/fixture"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// A training's attendees are exported with their names only in a
// personal export; an anonymised one, in every format, keeps how many
// were on the list and their groups, never a name or an organisation.
func TestTrainingAttendanceExport(t *testing.T) {
	svc, _, _ := fixture.New(t)
	ctx := context.Background()
	tr, err := svc.CreateEvent(ctx, domain.Event{Council: "NRN-ATB", Kind: domain.EventKindTraining, Title: "Окуу: кайрылуулар",
		Date: caldate.MustParse("2026-03-20"), Oblast: "KG-N", District: "KG-N-ATB"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SaveAttendees(ctx, tr.ID, []domain.Attendee{
		{Name: "Токтогулова Айпери", Gender: "female", Group: "civil_society", Organisation: "Жаштар борбору Ак-Тал"},
		{Name: "Сыдыков Нурбек", Gender: "male", Group: "journalists"},
	}); err != nil {
		t.Fatal(err)
	}
	private := []string{"Токтогулова Айпери", "Сыдыков Нурбек", "Жаштар борбору Ак-Тал"}
	for _, format := range []string{domain.FormatXLSX, domain.FormatCSV, domain.FormatJSON} {
		for _, personal := range []bool{false, true} {
			b, _ := write(t, svc, export.Options{Format: format, Personal: personal, Language: "ru"})
			text := everything(t, format, b)
			check := private[:2] // the tables have the names, JSON everything
			if format == domain.FormatJSON {
				check = private
			}
			for _, p := range check {
				if strings.Contains(text, p) != personal {
					t.Errorf("%s, personal %v: holds %q: %v", format, personal, p, !personal)
				}
			}
			if format == domain.FormatXLSX {
				rows, _ := sheets(t, b)
				var head, row []string
				for _, r := range rows {
					for _, x := range r[1:] {
						if strings.Contains(strings.Join(x, "\t"), "Окуу: кайрылуулар") {
							head, row = r[0], x
						}
					}
				}
				i := indexOf(head, "В списке участников")
				if i < 0 || row == nil || i >= len(row) || row[i] != "2" {
					t.Errorf("personal %v: the count of the list: column %d of %v, row %v", personal, i, head, row)
				}
			}
		}
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
