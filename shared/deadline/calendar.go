package deadline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kenesh/kenesh/assets"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

// holidaysPath is the holiday calendar inside assets.FS.
const holidaysPath = "law/holidays.json"

// maxDaysOff bounds every search for a working day, so that a calendar
// without working days cannot hang a caller; NewCalendar rejects such data.
const maxDaysOff = 1000

// maxRunOff is the longest run of consecutive days off NewCalendar accepts.
const maxRunOff = 60

// Calendar tells working days from non-working days: weekends, public
// holidays (with the rule that moves a holiday falling on a weekend to the
// next working day, while that rule is in force), and the days off and
// working days the government decrees for a year. It is safe for concurrent
// use.
type Calendar struct {
	weekend    [7]bool
	rollover   []rolloverPeriod
	fixed      []fixedPeriod
	movable    map[int][]caldate.Date
	covered    map[int]bool
	extraOff   map[caldate.Date]bool
	forcedWork map[caldate.Date]bool

	mu    sync.Mutex
	cache map[int]map[caldate.Date]bool // year -> holidays of that year and the days they roll to
}

type rolloverPeriod struct {
	from, until caldate.Date // zero = open
	applies     bool
}

type fixedPeriod struct {
	month       time.Month
	day, last   int
	from, until caldate.Date // zero = open
	nonWorking  bool
}

// Wire format of holidays.json.
type calendarFile struct {
	Note            string         `json:"note"`
	Weekend         []string       `json:"weekend"`
	WeekendRollover []rolloverWire `json:"weekend_rollover"`
	FixedHolidays   []fixedWire    `json:"fixed_holidays"`
	MovableHolidays []movableWire  `json:"movable_holidays"`
	Years           []yearWire     `json:"years"`
}

type rolloverWire struct {
	From    caldate.Date `json:"from"`
	Until   caldate.Date `json:"until"`
	Applies bool         `json:"applies"`
	Source  string       `json:"source"`
}

type fixedWire struct {
	ID         string            `json:"id"`
	Names      refdata.Names     `json:"names"`
	Month      int               `json:"month"`
	Day        int               `json:"day"`
	ThroughDay int               `json:"through_day"`
	Periods    []fixedPeriodWire `json:"periods"`
}

type fixedPeriodWire struct {
	From       caldate.Date `json:"from"`
	Until      caldate.Date `json:"until"`
	NonWorking bool         `json:"non_working"`
	Source     string       `json:"source"`
}

type movableWire struct {
	ID     string        `json:"id"`
	Names  refdata.Names `json:"names"`
	Source string        `json:"source"`
}

type yearWire struct {
	Year            int           `json:"year"`
	Movable         []movableDate `json:"movable"`
	ExtraDaysOff    []dayWire     `json:"extra_days_off"`
	WorkingWeekends []dayWire     `json:"working_weekends"`
}

type movableDate struct {
	Holiday   string       `json:"holiday"`
	Date      caldate.Date `json:"date"`
	Confirmed bool         `json:"confirmed"`
	Source    string       `json:"source"`
}

type dayWire struct {
	Date   caldate.Date `json:"date"`
	Source string       `json:"source"`
}

// LoadCalendar parses and validates the embedded holiday calendar
// (assets/law/holidays.json).
func LoadCalendar() (*Calendar, error) {
	b, err := fs.ReadFile(assets.FS, holidaysPath)
	if err != nil {
		return nil, fmt.Errorf("deadline rules: %w", err)
	}
	c, err := parseCalendar(b)
	if err != nil {
		return nil, fmt.Errorf("deadline rules: %s: %w", holidaysPath, err)
	}
	return c, nil
}

var idRE = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*$`)

// NewCalendar parses and validates a holiday calendar in the format of
// assets/law/holidays.json. Tests use it for hypothetical calendars.
func NewCalendar(data []byte) (*Calendar, error) {
	c, err := parseCalendar(data)
	if err != nil {
		return nil, fmt.Errorf("deadline rules: holiday calendar: %w", err)
	}
	return c, nil
}

func parseCalendar(data []byte) (*Calendar, error) {
	var f calendarFile
	if err := decodeStrict(data, &f); err != nil {
		return nil, err
	}
	return buildCalendar(&f)
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w (fix the JSON; unknown fields are not allowed)", err)
	}
	if dec.More() {
		return errors.New("extra data after the JSON object; keep one object per file")
	}
	return nil
}

var weekdayNames = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

func buildCalendar(f *calendarFile) (*Calendar, error) {
	c := &Calendar{
		movable:    make(map[int][]caldate.Date),
		covered:    make(map[int]bool),
		extraOff:   make(map[caldate.Date]bool),
		forcedWork: make(map[caldate.Date]bool),
		cache:      make(map[int]map[caldate.Date]bool),
	}

	if len(f.Weekend) == 0 || len(f.Weekend) > 6 {
		return nil, errors.New(`"weekend" must list 1 to 6 days, such as ["saturday", "sunday"]`)
	}
	for _, name := range f.Weekend {
		wd, ok := weekdayNames[name]
		if !ok {
			return nil, fmt.Errorf("weekend: %q is not a day of the week; use lower-case English names such as \"saturday\"", name)
		}
		if c.weekend[wd] {
			return nil, fmt.Errorf("weekend: %q is listed twice", name)
		}
		c.weekend[wd] = true
	}

	if len(f.WeekendRollover) == 0 {
		return nil, errors.New(`"weekend_rollover" is missing: list the periods when a holiday on a weekend moves the day off to the next working day (applies true) or not (applies false)`)
	}
	var spans []span
	for i, p := range f.WeekendRollover {
		where := fmt.Sprintf("weekend_rollover %d", i+1)
		if err := checkSpan(where, p.From, p.Until, p.Source); err != nil {
			return nil, err
		}
		spans = append(spans, span{where, p.From, p.Until})
		c.rollover = append(c.rollover, rolloverPeriod{p.From, p.Until, p.Applies})
	}
	if err := checkNoOverlap(spans); err != nil {
		return nil, err
	}

	seen := map[string]bool{}
	for i, h := range f.FixedHolidays {
		where := fmt.Sprintf("fixed_holidays %d (%q)", i+1, h.ID)
		if err := checkID(where, h.ID, seen); err != nil {
			return nil, err
		}
		if err := checkNames(where, h.Names); err != nil {
			return nil, err
		}
		if h.Month < 1 || h.Month > 12 {
			return nil, fmt.Errorf("%s: month %d must be 1 to 12", where, h.Month)
		}
		maxDay := daysIn(time.Month(h.Month))
		if h.Day < 1 || h.Day > maxDay {
			return nil, fmt.Errorf("%s: day %d must be 1 to %d", where, h.Day, maxDay)
		}
		last := h.Day
		if h.ThroughDay != 0 {
			if h.ThroughDay < h.Day || h.ThroughDay > maxDay {
				return nil, fmt.Errorf("%s: through_day %d must be %d to %d (or omitted for a single day)", where, h.ThroughDay, h.Day, maxDay)
			}
			last = h.ThroughDay
		}
		if len(h.Periods) == 0 {
			return nil, fmt.Errorf("%s: no periods; add one with from, until, non_working and source", where)
		}
		spans = spans[:0]
		for j, p := range h.Periods {
			pwhere := fmt.Sprintf("%s, period %d", where, j+1)
			if err := checkSpan(pwhere, p.From, p.Until, p.Source); err != nil {
				return nil, err
			}
			spans = append(spans, span{pwhere, p.From, p.Until})
			c.fixed = append(c.fixed, fixedPeriod{time.Month(h.Month), h.Day, last, p.From, p.Until, p.NonWorking})
		}
		if err := checkNoOverlap(spans); err != nil {
			return nil, err
		}
	}

	movableIDs := map[string]bool{}
	for i, m := range f.MovableHolidays {
		where := fmt.Sprintf("movable_holidays %d (%q)", i+1, m.ID)
		if err := checkID(where, m.ID, movableIDs); err != nil {
			return nil, err
		}
		if err := checkNames(where, m.Names); err != nil {
			return nil, err
		}
		if strings.TrimSpace(m.Source) == "" {
			return nil, fmt.Errorf("%s: source is empty; cite the law that makes it a holiday", where)
		}
	}

	years := c.covered
	for i, y := range f.Years {
		where := fmt.Sprintf("years %d (%d)", i+1, y.Year)
		if y.Year < 1991 || y.Year > 2200 {
			return nil, fmt.Errorf("%s: year must be 1991 to 2200", where)
		}
		if years[y.Year] {
			return nil, fmt.Errorf("%s: the year appears twice; merge the entries", where)
		}
		years[y.Year] = true
		got := map[string]bool{}
		for _, m := range y.Movable {
			if !movableIDs[m.Holiday] {
				return nil, fmt.Errorf("%s: movable holiday %q is not defined under movable_holidays", where, m.Holiday)
			}
			if got[m.Holiday] {
				return nil, fmt.Errorf("%s: movable holiday %q appears twice", where, m.Holiday)
			}
			got[m.Holiday] = true
			if m.Date.IsZero() || m.Date.Year() != y.Year {
				return nil, fmt.Errorf("%s: %s date %q must be a date in %d", where, m.Holiday, m.Date, y.Year)
			}
			if strings.TrimSpace(m.Source) == "" {
				return nil, fmt.Errorf("%s: %s: source is empty; say where the date comes from", where, m.Holiday)
			}
			c.movable[y.Year] = append(c.movable[y.Year], m.Date)
		}
		for id := range movableIDs {
			if !got[id] {
				return nil, fmt.Errorf("%s: movable holiday %q has no date; add it (with \"confirmed\": false if not yet announced)", where, id)
			}
		}
		if y.ExtraDaysOff == nil || y.WorkingWeekends == nil {
			return nil, fmt.Errorf("%s: \"extra_days_off\" and \"working_weekends\" must both be present (use [] when the government decreed none)", where)
		}
		for _, list := range []struct {
			name string
			days []dayWire
			set  map[caldate.Date]bool
		}{{"extra_days_off", y.ExtraDaysOff, c.extraOff}, {"working_weekends", y.WorkingWeekends, c.forcedWork}} {
			for _, d := range list.days {
				if d.Date.IsZero() || d.Date.Year() != y.Year {
					return nil, fmt.Errorf("%s: %s: date %q must be a date in %d", where, list.name, d.Date, y.Year)
				}
				if list.set[d.Date] {
					return nil, fmt.Errorf("%s: %s: %s appears twice", where, list.name, d.Date)
				}
				if strings.TrimSpace(d.Source) == "" {
					return nil, fmt.Errorf("%s: %s: %s: source is empty; cite the decree", where, list.name, d.Date)
				}
				list.set[d.Date] = true
			}
		}
	}

	// Decreed days must change something: a typo in a date would otherwise
	// pass silently.
	for d := range c.extraOff {
		if c.forcedWork[d] {
			return nil, fmt.Errorf("%s is both in extra_days_off and in working_weekends; keep it in one", d)
		}
		if !c.workingByLaw(d) {
			return nil, fmt.Errorf("extra_days_off: %s (%s) is already a day off (weekend or holiday); remove it or correct the date", d, d.Weekday())
		}
	}
	for d := range c.forcedWork {
		if c.workingByLaw(d) {
			return nil, fmt.Errorf("working_weekends: %s (%s) is already a working day; remove it or correct the date", d, d.Weekday())
		}
	}

	// No long stretch without a working day, checked from the first year the
	// data covers (or 2024) to the year after the last.
	first, last := 2024, 2024
	for y := range years {
		first, last = min(first, y), max(last, y)
	}
	run := 0
	for d := caldate.New(first, 1, 1); d.Year() <= last+1; d = d.AddDays(1) {
		if c.IsWorkingDay(d) {
			run = 0
		} else if run++; run > maxRunOff {
			return nil, fmt.Errorf("no working day for more than %d days up to %s; check the weekend and holidays", maxRunOff, d)
		}
	}
	return c, nil
}

type span struct {
	where       string
	from, until caldate.Date
}

func checkSpan(where string, from, until caldate.Date, source string) error {
	if !from.IsZero() && !until.IsZero() && until.Before(from) {
		return fmt.Errorf("%s: until %s is before from %s", where, until, from)
	}
	if strings.TrimSpace(source) == "" {
		return fmt.Errorf("%s: source is empty; cite the law or decree", where)
	}
	return nil
}

// checkNoOverlap reports two spans that share a day. A zero from is the
// beginning of time, a zero until the end of time.
func checkNoOverlap(spans []span) error {
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b span) int {
		switch {
		case a.from.IsZero() && b.from.IsZero():
			return 0
		case a.from.IsZero():
			return -1
		case b.from.IsZero():
			return 1
		}
		return a.from.Compare(b.from)
	})
	for i := 1; i < len(sorted); i++ {
		prev, cur := sorted[i-1], sorted[i]
		if prev.until.IsZero() || cur.from.IsZero() || !prev.until.Before(cur.from) {
			return fmt.Errorf("%s overlaps %s; end one (until) the day before the other begins (from)", prev.where, cur.where)
		}
	}
	return nil
}

func checkID(where, id string, seen map[string]bool) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("%s: id must be lower_snake ASCII such as \"new_year\"", where)
	}
	if seen[id] {
		return fmt.Errorf("%s: id appears twice", where)
	}
	seen[id] = true
	return nil
}

func checkNames(where string, n refdata.Names) error {
	if strings.TrimSpace(n.KY) == "" || strings.TrimSpace(n.RU) == "" || strings.TrimSpace(n.EN) == "" {
		return fmt.Errorf("%s: names need ky, ru and en", where)
	}
	return nil
}

// daysIn is the longest length of month m (29 for February).
func daysIn(m time.Month) int {
	return caldate.New(2024, m+1, 0).Day()
}

func inSpan(d, from, until caldate.Date) bool {
	return (from.IsZero() || !d.Before(from)) && (until.IsZero() || !d.After(until))
}

func (c *Calendar) rolloverApplies(d caldate.Date) bool {
	for _, p := range c.rollover {
		if inSpan(d, p.from, p.until) {
			return p.applies
		}
	}
	return false
}

// holidaysOff returns the non-working holidays of year y and the days they
// roll over to (which may lie in y+1).
func (c *Calendar) holidaysOff(y int) map[caldate.Date]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if off, ok := c.cache[y]; ok {
		return off
	}
	var days []caldate.Date
	for _, h := range c.fixed {
		if !h.nonWorking {
			continue
		}
		for day := h.day; day <= h.last; day++ {
			d := caldate.New(y, h.month, day)
			if d.Month() != h.month { // 29 February in a common year
				continue
			}
			if inSpan(d, h.from, h.until) {
				days = append(days, d)
			}
		}
	}
	days = append(days, c.movable[y]...)
	slices.SortFunc(days, caldate.Date.Compare)
	days = slices.Compact(days)

	off := make(map[caldate.Date]bool, len(days)+4)
	for _, d := range days {
		off[d] = true
	}
	for _, h := range days {
		if !c.weekend[h.Weekday()] || !c.rolloverApplies(h) {
			continue
		}
		d := h.AddDays(1)
		for c.weekend[d.Weekday()] || off[d] {
			d = d.AddDays(1)
		}
		off[d] = true
	}
	c.cache[y] = off
	return off
}

// workingByLaw is IsWorkingDay without the days the government decreed.
func (c *Calendar) workingByLaw(d caldate.Date) bool {
	if c.weekend[d.Weekday()] {
		return false
	}
	return !c.holidaysOff(d.Year())[d] && !c.holidaysOff(d.Year() - 1)[d]
}

// IsWorkingDay reports whether d is a working day for state and municipal
// bodies on a five-day week. For a year the calendar does not cover (see
// Covers) only weekends and fixed holidays are known.
func (c *Calendar) IsWorkingDay(d caldate.Date) bool {
	if c.forcedWork[d] {
		return true
	}
	if c.extraOff[d] {
		return false
	}
	return c.workingByLaw(d)
}

// NextWorkingDay returns d itself if it is a working day, else the first
// working day after it.
func (c *Calendar) NextWorkingDay(d caldate.Date) caldate.Date {
	for i := 0; !c.IsWorkingDay(d); i++ {
		if i == maxDaysOff {
			panic(fmt.Sprintf("deadline: no working day within %d days after %s", maxDaysOff, d))
		}
		d = d.AddDays(1)
	}
	return d
}

// AddWorkingDays returns the n-th working day after d. For n == 0 it returns
// d if d is a working day, else the next working day; a negative n counts
// back to the |n|-th working day before d.
func (c *Calendar) AddWorkingDays(d caldate.Date, n int) caldate.Date {
	if n == 0 {
		return c.NextWorkingDay(d)
	}
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for gap := 0; n > 0; {
		d = d.AddDays(step)
		if c.IsWorkingDay(d) {
			n--
			gap = 0
		} else if gap++; gap == maxDaysOff {
			panic(fmt.Sprintf("deadline: no working day within %d days of %s", maxDaysOff, d))
		}
	}
	return d
}

// Covers reports whether the calendar has the movable holidays (and the
// government's transfers) of year. Deadlines in a year it does not cover may
// miss a holiday: add the year to assets/law/holidays.json.
func (c *Calendar) Covers(year int) bool {
	return c.covered[year]
}
