package ical

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	arran "github.com/arran4/golang-ical"
	emersion "github.com/emersion/go-ical"

	"sistercity/internal/civil"
)

func vladivostok(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Vladivostok")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func sample(t *testing.T) *Calendar {
	loc := vladivostok(t)
	start := time.Date(2020, 7, 4, 11, 0, 0, 0, loc)
	stamp := time.Date(2020, 7, 10, 3, 0, 0, 0, time.UTC)
	return &Calendar{
		ProdID: "-//sistercity//test//EN", Name: "부산 자매도시 교류", Lang: "ko", Refresh: 12 * time.Hour,
		Events: []Event{
			{
				UID: "activity-1@example.org", Stamp: stamp,
				Start:   Time{Date: civil.Of(start), At: start.UTC(), Zone: "Asia/Vladivostok"},
				End:     Time{Date: civil.Of(start), At: start.Add(7 * time.Hour).UTC(), Zone: "Asia/Vladivostok"},
				Summary: Text{Value: "Busan Day in Vladivostok", Lang: "en"},
				// Long Korean text: folding must not split its three-octet characters.
				Description: Text{Value: strings.Repeat("부산의 날; 블라디보스토크, 비대면 전환\\", 6) + "\n두 번째 줄"},
				Location:    Text{Value: "Vladivostok, Russia"}, Categories: []string{"문화 행사", "a,b"}, Status: StatusConfirmed,
			},
			{
				UID: "partnership-1@example.org", Stamp: stamp, Start: Time{Date: civil.MustParse("1992-06-30")},
				Summary: Text{Value: "블라디보스토크 결연 기념일"}, RRule: "FREQ=YEARLY", Transparent: true,
			},
			{
				UID: "partnership-2@example.org", Stamp: stamp, Start: Time{Date: civil.MustParse("1996-02-29")},
				Summary: Text{Value: "윤일 결연 기념일"}, RRule: "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", Transparent: true,
			},
			{
				UID: "activity-2@example.org", Stamp: stamp, Start: Time{Date: civil.MustParse("2019-09-04")},
				End: Time{Date: civil.MustParse("2019-09-06")}, Summary: Text{Value: "공식 방문"},
			},
			{
				UID: "activity-3@example.org", Stamp: stamp, Summary: Text{Value: "Zone unknown: UTC"},
				Start: Time{Date: civil.MustParse("2020-04-22"), At: time.Date(2020, 4, 22, 7, 0, 0, 0, time.UTC), Zone: "Mars/Olympus"},
			},
		},
	}
}

func TestWriteLines(t *testing.T) {
	var b bytes.Buffer
	if err := sample(t).Write(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasSuffix(out, "END:VCALENDAR\r\n") || strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") {
		t.Fatal("lines must end in CRLF, and only there")
	}
	folded := 0
	for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("folding split a character: %q", line)
		}
		if strings.HasPrefix(line, " ") {
			folded++
		}
	}
	if folded < 3 {
		t.Errorf("the long description was folded into %d continuation lines", folded)
	}
	unfolded := strings.ReplaceAll(out, "\r\n ", "")
	for _, want := range []string{
		"DTSTART;TZID=Asia/Vladivostok:20200704T110000\r\n",
		"DTEND;TZID=Asia/Vladivostok:20200704T180000\r\n",
		"SUMMARY;LANGUAGE=en:Busan Day in Vladivostok\r\n",
		`DESCRIPTION:부산의 날\; 블라디보스토크\, 비대면 전환\\부산의 날`,
		`\n두 번째 줄` + "\r\n",
		`CATEGORIES:문화 행사,a\,b` + "\r\n",
		"DTSTART;VALUE=DATE:19920630\r\nDTEND;VALUE=DATE:19920701\r\nRRULE:FREQ=YEARLY\r\n",
		"DTSTART;VALUE=DATE:20190904\r\nDTEND;VALUE=DATE:20190907\r\n", // the end is exclusive
		"DTSTART:20200422T070000Z\r\n",
		"DTSTAMP:20200710T030000Z\r\n",
		"REFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n",
		"BEGIN:VTIMEZONE\r\nTZID:Asia/Vladivostok\r\nBEGIN:STANDARD\r\nDTSTART:20200101T000000\r\nTZOFFSETFROM:+1000\r\nTZOFFSETTO:+1000\r\n",
		"TRANSP:TRANSPARENT\r\n",
	} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Count(unfolded, "BEGIN:VTIMEZONE") != 1 {
		t.Error("want one VTIMEZONE: the unknown zone goes out in UTC")
	}
}

// TestParsers reads the output back with two independent iCalendar libraries.
func TestParsers(t *testing.T) {
	var b bytes.Buffer
	if err := sample(t).Write(&b); err != nil {
		t.Fatal(err)
	}
	cal, err := arran.ParseCalendar(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("golang-ical: %v", err)
	}
	events := cal.Events()
	if len(events) != 5 {
		t.Fatalf("golang-ical: %d events", len(events))
	}
	if got := events[0].GetProperty(arran.ComponentPropertyDescription).Value; !strings.HasSuffix(got, "두 번째 줄") ||
		!strings.Contains(got, "부산의 날; 블라디보스토크, 비대면 전환\\") {
		t.Errorf("golang-ical description: %q", got)
	}
	start, err := events[0].GetStartAt()
	if err != nil || !start.Equal(time.Date(2020, 7, 4, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("golang-ical start: %v %v", start, err)
	}

	dec, err := emersion.NewDecoder(bytes.NewReader(b.Bytes())).Decode()
	if err != nil {
		t.Fatalf("go-ical: %v", err)
	}
	evs := dec.Events()
	if len(evs) != 5 {
		t.Fatalf("go-ical: %d events", len(evs))
	}
	s, err := evs[0].DateTimeStart(nil)
	if err != nil || !s.Equal(time.Date(2020, 7, 4, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("go-ical start: %v %v", s, err)
	}
	// 29 February recurs on the last day of February: the 28th in common years.
	set, err := evs[2].RecurrenceSet(time.UTC)
	if err != nil || set == nil {
		t.Fatalf("go-ical recurrence: %v", err)
	}
	var days []string
	for _, d := range set.Between(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2004, 12, 31, 0, 0, 0, 0, time.UTC), true) {
		days = append(days, d.Format("2006-01-02"))
	}
	if strings.Join(days, " ") != "2000-02-29 2001-02-28 2002-02-28 2003-02-28 2004-02-29" {
		t.Errorf("29 February recurs on %v", days)
	}
}

// TestVTimezoneTransitions: Moscow kept summer time until 2011, stayed on +04 until 2014, then
// went back to +03 for good; each change is an observance at its local time in the old offset.
func TestVTimezoneTransitions(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	tz := &vtimezone{name: "Europe/Moscow", loc: loc, from: 2010, to: 2014}
	tz.write(&lineWriter{w: &b})
	out := b.String()
	for _, want := range []string{
		"BEGIN:DAYLIGHT\r\nDTSTART:20100328T020000\r\nTZOFFSETFROM:+0300\r\nTZOFFSETTO:+0400\r\n",
		"BEGIN:STANDARD\r\nDTSTART:20101031T030000\r\nTZOFFSETFROM:+0400\r\nTZOFFSETTO:+0300\r\n",
		"DTSTART:20110327T020000\r\nTZOFFSETFROM:+0300\r\nTZOFFSETTO:+0400\r\n",
		"BEGIN:STANDARD\r\nDTSTART:20141026T020000\r\nTZOFFSETFROM:+0400\r\nTZOFFSETTO:+0300\r\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("VTIMEZONE lacks %q\n%s", want, out)
		}
	}
	if n := strings.Count(out, "TZOFFSETFROM"); n != 5 {
		t.Errorf("%d observances, want 5 (the start and four changes)", n)
	}
}

func TestFoldAndEscape(t *testing.T) {
	var b bytes.Buffer
	fold(&b, "X:"+strings.Repeat("я", 100)) // two octets each
	for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n") {
		if len(line) > 75 || !utf8.ValidString(line) || (i > 0 && line[0] != ' ') {
			t.Errorf("line %d: %q", i, line)
		}
	}
	if got := escape("a;b,c\\d\r\ne\x01f\tg"); got != `a\;b\,c\\d\ne`+"f\tg" {
		t.Errorf("escape: %q", got)
	}
	if got := paramValue(`Europe/A;B"`); got != `"Europe/A;B"` {
		t.Errorf("param: %q", got)
	}
	for d, want := range map[time.Duration]string{12 * time.Hour: "PT12H", 24 * time.Hour: "P1D", 90 * time.Minute: "PT1H30M"} {
		if got := duration(d); got != want {
			t.Errorf("duration %v: %q", d, got)
		}
	}
}
