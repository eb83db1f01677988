package web

import (
	"context"
	"database/sql"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/config"
	"sistercity/internal/register"
	"sistercity/internal/tz"
)

// setCityZone gives city id the time zone zone.
func setCityZone(t *testing.T, e *testEnv, id int64, zone string) {
	t.Helper()
	e.inTx(func(tx *sql.Tx) error {
		c, err := register.GetCity(context.Background(), tx, id)
		if err != nil {
			return err
		}
		c.Timezone = zone
		return register.UpdateCity(context.Background(), tx, c)
	})
}

// videoFormZones reads the zone the new video form proposes and the zones it suggests.
func videoFormZones(t *testing.T, c *client) (string, []string) {
	t.Helper()
	resp, body := c.get("/admin/videos/new")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("new video form: %d\n%s", resp.StatusCode, body)
	}
	m := regexp.MustCompile(`id="f-zone" name="zone" list="zones" value="([^"]*)"`).FindStringSubmatch(body)
	list := regexp.MustCompile(`(?s)<datalist id="zones">(.*?)</datalist>`).FindStringSubmatch(body)
	if m == nil || list == nil {
		t.Fatalf("no zone field or zone list:\n%s", body)
	}
	var zones []string
	for _, o := range regexp.MustCompile(`<option value="([^"]+)">`).FindAllStringSubmatch(list[1], -1) {
		zones = append(zones, o[1])
	}
	return m[1], zones
}

// TestVideoZonesFollowTheRegister: the video form types times in the home city's zone,
// whatever city runs the site (UTC while the home city has no zone), and offers every zone of
// the embedded database.
func TestVideoZonesFollowTheRegister(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	editor := e.userClient(auth.RoleEditor)
	home := &register.City{Country: "DE", Kind: register.KindCity, Texts: []register.Text{{Lang: "en", Name: "Hamburg"}}}
	partner := &register.City{Country: "US", Kind: register.KindCity, Timezone: "America/Chicago",
		Texts: []register.Text{{Lang: "en", Name: "Chicago"}}}
	e.inTx(func(tx *sql.Tx) error {
		for _, c := range []*register.City{home, partner} {
			if err := register.CreateCity(ctx, tx, c); err != nil {
				return err
			}
		}
		return register.SetHomeCity(ctx, tx, home.ID)
	})

	zone, zones := videoFormZones(t, editor)
	if zone != "UTC" || !slices.Equal(zones, tz.List()) {
		t.Errorf("home city without a zone: form zone %q, suggested %v", zone, zones)
	}

	setCityZone(t, e, home.ID, "Europe/Berlin")
	zone, zones = videoFormZones(t, editor)
	if zone != "Europe/Berlin" || !slices.Equal(zones, tz.List()) {
		t.Errorf("home city in Berlin: form zone %q, suggested %v", zone, zones)
	}
}

// TestBadTranslateURLFailsAtStart: the machine translation is built once, when the server is
// made, so an unusable --translate-url stops the start instead of turning the feature off.
func TestBadTranslateURLFailsAtStart(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"https://", "http:///translate", "ftp://lt.example/"} {
		_, err := New(Options{Config: config.Config{TranslateURL: bad}})
		if err == nil || !strings.Contains(err.Error(), "translate-url") {
			t.Errorf("New with --translate-url %q: %v, want an error naming the flag", bad, err)
		}
	}
	m, err := newMachine(config.Config{TranslateURL: "https://lt.example/"})
	if err != nil || m == nil {
		t.Errorf("a good URL: %v, %v", m, err)
	}
	if m, err := newMachine(config.Config{}); err != nil || m != nil {
		t.Errorf("no URL: %v, %v, want the feature off", m, err)
	}
}
