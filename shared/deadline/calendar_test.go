package deadline

import (
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
)

var d = caldate.MustParse

// TestCaldatePrecondition fails with a clear message when caldate cannot
// represent the dates this package works with; every other test depends on it.
func TestCaldatePrecondition(t *testing.T) {
	for _, s := range []string{"2007-05-04", "2024-12-31", "2026-03-21", "2027-01-01"} {
		if got := d(s).String(); got != s {
			t.Fatalf("caldate.MustParse(%q).String() = %q: caldate cannot represent present-day dates, so no deadline can be right; fix caldate.New", s, got)
		}
	}
	if d("2026-03-21").DaysUntil(d("2026-03-22")) != 1 {
		t.Fatal("caldate: consecutive days are not one day apart")
	}
}

func TestEmbeddedCalendarLoads(t *testing.T) {
	if _, err := LoadCalendar(); err != nil {
		t.Fatalf("LoadCalendar: %v", err)
	}
}

func TestCovers(t *testing.T) {
	cal := Default().Calendar()
	for _, tc := range []struct {
		year int
		want bool
	}{
		{2023, false}, {2024, true}, {2025, true}, {2026, true}, {2027, true}, {2040, false},
	} {
		if got := cal.Covers(tc.year); got != tc.want {
			t.Errorf("Covers(%d) = %v, want %v", tc.year, got, tc.want)
		}
	}
}

func TestIsWorkingDayEmbedded(t *testing.T) {
	cal := Default().Calendar()
	for _, tc := range []struct {
		date string
		want bool
		why  string
	}{
		{"2026-11-25", true, "an ordinary Wednesday"},
		{"2026-11-28", false, "Saturday"},
		{"2026-11-29", false, "Sunday"},
		// 2004 Labour Code: holidays on a weekend roll to the next working day.
		{"2024-06-16", false, "Kurman Ait 2024 on a Sunday"},
		{"2024-06-17", false, "Monday after Kurman Ait on a Sunday (rollover)"},
		{"2024-11-07", false, "Day of History under the 2004 Code"},
		{"2024-02-23", false, "Defender of the Fatherland Day under the 2004 Code"},
		// 2024 decree: days off moved to other days.
		{"2024-01-03", false, "decreed New Year day off"},
		{"2024-01-08", true, "rollover Monday for Christmas, moved by decree to 2 January"},
		{"2024-01-27", true, "Saturday declared working"},
		{"2024-03-22", false, "decreed Nooruz day off"},
		{"2024-04-08", true, "rollover Monday for 7 April, moved by decree"},
		{"2024-09-02", true, "rollover Monday for Independence Day, moved by decree"},
		// 2025: decree until 4 February, then the 2025 Code.
		{"2025-01-06", false, "decreed New Year day off"},
		{"2025-01-11", true, "Saturday worked for 2 January"},
		{"2025-02-24", true, "no rollover for 23 February on a Sunday under the 2025 Code"},
		{"2025-03-10", true, "no rollover for 8 March on a Saturday under the 2025 Code"},
		{"2025-03-31", true, "no rollover for Orozo Ait on a Sunday under the 2025 Code"},
		// 2025 Code: New Year and May holidays; some holidays became working days.
		{"2026-01-05", false, "New Year holidays"},
		{"2026-01-07", false, "Orthodox Christmas"},
		{"2026-01-09", false, "decreed extra day off"},
		{"2026-01-12", true, "first working day of 2026"},
		{"2026-02-23", true, "Defender of the Fatherland Day is a working day since 2025"},
		{"2026-03-09", true, "8 March on a Sunday is not transferred"},
		{"2026-03-20", false, "Orozo Ait 2026"},
		{"2026-03-23", true, "Nooruz on a Saturday is not transferred"},
		{"2026-04-07", true, "April Revolution Day is a working day since 2025"},
		{"2026-05-04", false, "May holidays"},
		{"2026-05-08", false, "May holidays"},
		{"2026-05-11", true, "after the May holidays"},
		{"2026-05-27", false, "Kurman Ait 2026"},
		{"2026-08-31", false, "Independence Day"},
		{"2026-11-09", true, "7-8 November on a weekend: working days since 2025, nothing transferred"},
		{"2027-05-17", true, "Kurman Ait 2027 on a Sunday is not transferred"},
		{"2040-03-21", false, "Nooruz in a year without movable holidays"},
	} {
		if got := cal.IsWorkingDay(d(tc.date)); got != tc.want {
			t.Errorf("IsWorkingDay(%s, %s) = %v, want %v: %s", tc.date, d(tc.date).Weekday(), got, tc.want, tc.why)
		}
	}
}

func TestAddWorkingDaysEmbedded(t *testing.T) {
	cal := Default().Calendar()
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-11-20", 1, "2026-11-23"},  // Friday -> Monday
		{"2026-11-21", 1, "2026-11-23"},  // Saturday -> Monday
		{"2026-11-23", 1, "2026-11-24"},  // Monday -> Tuesday
		{"2026-11-23", 0, "2026-11-23"},  // working day itself
		{"2026-11-21", 0, "2026-11-23"},  // next working day
		{"2026-11-23", 5, "2026-11-30"},  // a full week
		{"2026-03-19", 1, "2026-03-23"},  // Orozo Ait Friday, Nooruz Saturday
		{"2024-03-20", 1, "2024-03-25"},  // Nooruz, decreed 22 March, weekend
		{"2025-12-31", 1, "2026-01-12"},  // New Year holidays and decreed days
		{"2026-12-28", 10, "2027-01-18"}, // across the New Year holidays and Christmas
		{"2026-11-24", -1, "2026-11-23"}, // backwards
		{"2026-11-23", -1, "2026-11-20"}, // backwards over a weekend
	} {
		if got := cal.AddWorkingDays(d(tc.from), tc.n); got != d(tc.want) {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
	if got := cal.NextWorkingDay(d("2026-05-01")); got != d("2026-05-11") {
		t.Errorf("NextWorkingDay(2026-05-01) = %s, want 2026-05-11", got)
	}
}

// testCalendar is a small hypothetical calendar: rollover on, one fixed
// holiday on 3 May 2026 (a Sunday), one movable holiday, a decreed working
// Saturday and a decreed day off.
const testCalendar = `{
  "weekend": ["saturday", "sunday"],
  "weekend_rollover": [{"from": null, "until": null, "applies": true, "source": "test"}],
  "fixed_holidays": [
    {"id": "test_day", "names": {"ky": "Сыноо күнү", "ru": "День теста", "en": "Test Day"}, "month": 5, "day": 3,
     "periods": [{"from": null, "until": null, "non_working": true, "source": "test"}]},
    {"id": "two_days", "names": {"ky": "Эки күн", "ru": "Два дня", "en": "Two days"}, "month": 11, "day": 7, "through_day": 8,
     "periods": [{"from": null, "until": null, "non_working": true, "source": "test"}]}
  ],
  "movable_holidays": [{"id": "feast", "names": {"ky": "Айт", "ru": "Айт", "en": "Feast"}, "source": "test"}],
  "years": [
    {"year": 2026,
     "movable": [{"holiday": "feast", "date": "2026-05-04", "confirmed": false, "source": "test"}],
     "extra_days_off": [{"date": "2026-06-12", "source": "test decree"}],
     "working_weekends": [{"date": "2026-06-20", "source": "test decree"}]}
  ]
}`

func TestHypotheticalCalendar(t *testing.T) {
	cal, err := NewCalendar([]byte(testCalendar))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		date string
		want bool
		why  string
	}{
		{"2026-05-03", false, "holiday on a Sunday"},
		{"2026-05-04", false, "movable holiday on Monday"},
		{"2026-05-05", false, "the Sunday holiday rolls past the Monday holiday to Tuesday"},
		{"2026-05-06", true, "ordinary Wednesday"},
		{"2026-06-12", false, "decreed day off"},
		{"2026-06-20", true, "Saturday declared working"},
		{"2026-06-21", false, "the Sunday after it stays off"},
		{"2026-11-07", false, "Saturday holiday"},
		{"2026-11-08", false, "Sunday holiday"},
		{"2026-11-09", false, "rollover of 7 November"},
		{"2026-11-10", false, "rollover of 8 November"},
		{"2026-11-11", true, "after both rollovers"},
		{"2027-05-03", false, "fixed holiday on a Monday in an uncovered year"},
		{"2027-05-04", true, "movable holiday unknown in an uncovered year"},
	} {
		if got := cal.IsWorkingDay(d(tc.date)); got != tc.want {
			t.Errorf("IsWorkingDay(%s, %s) = %v, want %v: %s", tc.date, d(tc.date).Weekday(), got, tc.want, tc.why)
		}
	}
	if got := cal.AddWorkingDays(d("2026-06-19"), 1); got != d("2026-06-20") {
		t.Errorf("a working Saturday counts: AddWorkingDays(2026-06-19, 1) = %s, want 2026-06-20", got)
	}
	if !cal.Covers(2026) || cal.Covers(2027) {
		t.Error("Covers: want 2026 only")
	}
}

func TestRolloverSwitchesByDate(t *testing.T) {
	// The same holiday on a Sunday rolls over before the switch and not after.
	data := strings.Replace(testCalendar,
		`[{"from": null, "until": null, "applies": true, "source": "test"}]`,
		`[{"from": null, "until": "2026-10-31", "applies": true, "source": "old code"},
		  {"from": "2026-11-01", "until": null, "applies": false, "source": "new code"}]`, 1)
	cal, err := NewCalendar([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if cal.IsWorkingDay(d("2026-05-05")) {
		t.Error("2026-05-05: rollover before the switch should make it a day off")
	}
	if !cal.IsWorkingDay(d("2026-11-09")) {
		t.Error("2026-11-09: no rollover after the switch")
	}
}

func TestCalendarValidation(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, wantErr string
	}{
		{"bad weekday", `"saturday", "sunday"`, `"saturday", "sundae"`, "not a day of the week"},
		{"all week off", `"saturday", "sunday"`, `"monday","tuesday","wednesday","thursday","friday","saturday","sunday"`, "1 to 6"},
		{"unknown field", `"weekend":`, `"weekends": [], "weekend":`, "unknown field"},
		{"overlapping periods", `"periods": [{"from": null, "until": null, "non_working": true, "source": "test"}]}`,
			`"periods": [{"from": null, "until": null, "non_working": true, "source": "test"}, {"from": "2026-01-01", "until": null, "non_working": false, "source": "test"}]}`, "overlaps"},
		{"until before from", `"applies": true, "source": "test"`, `"applies": true, "source": "test", "from": "2026-02-01", "until": "2026-01-01"`, "before"},
		{"missing source", `"source": "test decree"}],
     "working`, `"source": ""}],
     "working`, "source is empty"},
		{"bad month", `"month": 5`, `"month": 13`, "month"},
		{"bad day", `"month": 5, "day": 3`, `"month": 2, "day": 30`, "day 30"},
		{"working weekend on a working day", `"date": "2026-06-20"`, `"date": "2026-06-19"`, "already a working day"},
		{"extra day off on a weekend", `"date": "2026-06-12"`, `"date": "2026-06-13"`, "already a day off"},
		{"date outside its year", `"date": "2026-06-12"`, `"date": "2025-06-12"`, "must be a date in 2026"},
		{"movable holiday missing", `"movable": [{"holiday": "feast", "date": "2026-05-04", "confirmed": false, "source": "test"}]`, `"movable": []`, "has no date"},
		{"undefined movable holiday", `"holiday": "feast"`, `"holiday": "fest"`, "not defined"},
		{"missing working_weekends", `,
     "working_weekends": [{"date": "2026-06-20", "source": "test decree"}]`, ``, "must both be present"},
		{"bad date", `"2026-06-12"`, `"12.06.2026"`, "YYYY-MM-DD"},
		{"missing names", `"en": "Feast"`, `"en": ""`, "names need"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(testCalendar, tc.old, tc.new, 1)
			if data == testCalendar {
				t.Fatalf("test case does not change the calendar: %q not found", tc.old)
			}
			_, err := NewCalendar([]byte(data))
			if err == nil {
				t.Fatal("broken calendar accepted")
			}
			if !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "deadline rules: ") {
				t.Errorf("error %q: want the prefix \"deadline rules: \" and %q", err, tc.wantErr)
			}
		})
	}
}

func TestLongRunOffRejected(t *testing.T) {
	data := strings.Replace(testCalendar, `"month": 11, "day": 7, "through_day": 8`, `"month": 11, "day": 1, "through_day": 30`, 1)
	data = strings.Replace(data, `"month": 5, "day": 3`, `"month": 12, "day": 1, "through_day": 31`, 1)
	_, err := NewCalendar([]byte(data))
	if err == nil || !strings.Contains(err.Error(), "no working day") {
		t.Fatalf("a calendar with two months off in a row: err = %v, want \"no working day\"", err)
	}
}
