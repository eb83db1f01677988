// Package civil is a calendar date without a time or a zone: the day an agreement was signed,
// a city was founded or a figure was counted. It is stored as 'YYYY-MM-DD' text in both
// databases.
package civil

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Date is a calendar date. The zero Date means "unknown".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// Parse reads a date written as YYYY-MM-DD.
func Parse(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("civil: %q is not a date (YYYY-MM-DD)", s)
	}
	return Of(t), nil
}

// MustParse is Parse for dates written in code.
func MustParse(s string) Date {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Of returns the date of t in t's location.
func Of(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// Today returns today's date in loc.
func Today(loc *time.Location) Date { return Of(time.Now().In(loc)) }

// IsZero tells whether d is unknown.
func (d Date) IsZero() bool { return d == Date{} }

// String writes d as YYYY-MM-DD, or "" when d is zero.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// Before tells whether d comes before e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }

// After tells whether d comes after e.
func (d Date) After(e Date) bool { return d.Time().After(e.Time()) }

// YearsUntil returns the number of whole years from d to e: the age on e of something that began
// on d. A date on 29 February completes its year on 28 February in common years.
func (d Date) YearsUntil(e Date) int {
	years := e.Year - d.Year
	anniversary := d.AddYears(years)
	if e.Before(anniversary) {
		years--
	}
	return years
}

// AddYears returns the same day n years later; 29 February becomes 28 February in a common year.
func (d Date) AddYears(n int) Date {
	y := d.Year + n
	day := d.Day
	if d.Month == time.February && day == 29 && !isLeap(y) {
		day = 28
	}
	return Date{y, d.Month, day}
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// Scan reads a date stored as text (or as a time, from a PostgreSQL DATE column).
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case string:
		return d.scanString(v)
	case []byte:
		return d.scanString(string(v))
	case time.Time:
		*d = Of(v)
		return nil
	default:
		return fmt.Errorf("civil: cannot scan %T into a date", src)
	}
}

func (d *Date) scanString(s string) error {
	if s == "" {
		*d = Date{}
		return nil
	}
	if len(s) > 10 {
		s = s[:10]
	}
	p, err := Parse(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// Value stores d as YYYY-MM-DD text, or NULL when d is zero.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// MarshalText writes d as YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD; the empty string is the zero Date.
func (d *Date) UnmarshalText(b []byte) error { return d.scanString(string(b)) }
