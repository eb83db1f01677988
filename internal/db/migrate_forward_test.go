package db_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/exchange"
	"sistercity/internal/fed"
	"sistercity/internal/langtext"
	"sistercity/internal/milestone"
	"sistercity/internal/register"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// fixture is a few rows written as the schema of migration version made them, and how to
// read them back through today's domain code. Most later migrations only add tables and columns
// with defaults, so a fixture's SQL is also valid for every later schema; one that moves a
// column away (0026, 0029) ends the schemas its fixture is written at: until.
type fixture struct {
	version int64
	until   int64    // the migration that drops what the SQL writes; 0 for none
	sql     []string // run with $1 = a timestamp
	check   func(ctx context.Context, t *testing.T, d *db.DB)
}

const fixtureVTT = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n안녕하세요, 자매도시 여러분\n\n00:00:04.000 --> 00:00:06.000\nПривет из Сеула\n"

var fixtures = []fixture{
	{version: 1, sql: []string{
		`INSERT INTO users (id, username, display_name, password_hash, role, locale, created_at, updated_at)
			VALUES (7, 'mira', 'Mira Kim', 'x', 'editor', 'ko', $1, $1)`,
		`INSERT INTO cities (id, country, kind, population, founded_on, timezone, created_at, updated_at)
			VALUES (11, 'KR', 'city', 9500000, '1394-10-28', 'Asia/Seoul', $1, $1)`,
		`INSERT INTO cities (id, country, kind, created_at, updated_at) VALUES (12, 'RU', 'city', $1, $1)`,
		`INSERT INTO city_texts (city_id, lang, name, description) VALUES (11, 'ko', '서울', ''), (11, 'en', 'Seoul', ''), (12, 'ru', 'Москва', '')`,
		`INSERT INTO city_contacts (id, city_id, position, name, email) VALUES (1, 11, 0, 'Protocol office', 'protocol@example.org')`,
		`INSERT INTO partnerships (id, home_city_id, partner_city_id, type, signed_on, status, note, created_at, updated_at)
			VALUES (21, 11, 12, 'sister', '2013-12-02', 'active', 'signed in Seoul', $1, $1)`,
		`INSERT INTO partnership_areas (partnership_id, area) VALUES (21, 'culture')`,
	}, check: func(ctx context.Context, t *testing.T, d *db.DB) {
		u, err := auth.GetUser(ctx, d.R, 7)
		if err != nil || u.Username != "mira" || u.Role != "editor" || u.Locale != "ko" || u.Disabled {
			t.Errorf("user: %+v %v", u, err)
		}
		c, err := register.GetCity(ctx, d.R, 11)
		if err != nil || c.Name("ko") != "서울" || c.Country != "KR" || c.Population == nil || *c.Population != 9500000 ||
			c.FoundedOn.String() != "1394-10-28" || len(c.Contacts) != 1 || c.Timezone != "Asia/Seoul" {
			t.Errorf("city: %+v %v", c, err)
		}
		p, err := register.GetPartnership(ctx, d.R, 21)
		if err != nil || p.HomeCityID != 11 || p.PartnerCityID != 12 || p.Status != "active" ||
			p.SignedOn.String() != "2013-12-02" || !slices.Equal(p.Areas, []string{"culture"}) {
			t.Errorf("partnership: %+v %v", p, err)
		}
	}},
	// Texts typed before they had a language (migration 0026) keep them as 'und'.
	{version: 1, until: 26, sql: []string{
		`UPDATE partnerships SET signed_at = 'Moscow' WHERE id = 21`,
		`INSERT INTO partnership_signatories (id, partnership_id, position, side, name, title) VALUES (41, 21, 0, 'home', 'Park Won-soon', 'Mayor')`,
		`INSERT INTO partnership_status_history (id, partnership_id, status, changed_on, reason, recorded_at)
			VALUES (42, 21, 'active', '2013-12-02', 'Agreement signed', $1)`,
	}, check: func(ctx context.Context, t *testing.T, d *db.DB) {
		p, err := register.GetPartnership(ctx, d.R, 21)
		if err != nil || !langtext.Equal(p.SignedAt, langtext.Texts{"und": "Moscow"}) || len(p.Signatories) != 1 ||
			!langtext.Equal(p.Signatories[0].Name, langtext.Texts{"und": "Park Won-soon"}) ||
			!langtext.Equal(p.Signatories[0].Title, langtext.Texts{"und": "Mayor"}) ||
			len(p.History) != 1 || !langtext.Equal(p.History[0].Reason, langtext.Texts{"und": "Agreement signed"}) {
			t.Errorf("texts of no stated language: %+v %v", p, err)
		}
	}},
	{version: 2, sql: []string{
		`INSERT INTO activities (id, kind, organiser_kind, mode, first_mode, status, planned_start_on, created_at, updated_at)
			VALUES (31, 'cultural_event', 'city', 'in_person', 'in_person', 'planned', '2025-05-01', $1, $1)`,
		`INSERT INTO activity_texts (activity_id, lang, title) VALUES (31, 'en', 'Lantern festival')`,
		`INSERT INTO activity_partnerships (activity_id, partnership_id) VALUES (31, 21)`,
	}, check: func(ctx context.Context, t *testing.T, d *db.DB) {
		a, err := exchange.Get(ctx, d.R, 31)
		if err != nil || a.Kind != "cultural_event" || len(a.Texts) != 1 || a.Texts[0].Title != "Lantern festival" ||
			!slices.Equal(a.Partnerships, []int64{21}) || a.Planned.Start.Date.String() != "2025-05-01" {
			t.Errorf("activity: %+v %v", a, err)
		}
	}},
	// A venue typed before venues had a language (migration 0029) keeps it as 'und'.
	{version: 2, until: 29, sql: []string{
		`UPDATE activities SET venue = 'Seoul Plaza' WHERE id = 31`,
	}, check: func(ctx context.Context, t *testing.T, d *db.DB) {
		a, err := exchange.Get(ctx, d.R, 31)
		if err != nil || !langtext.Equal(a.Venue, langtext.Texts{"und": "Seoul Plaza"}) {
			t.Errorf("venue of no stated language: %+v %v", a, err)
		}
	}},
	{version: 3, sql: []string{
		`INSERT INTO milestones (id, on_date, partnership_id, created_at, updated_at) VALUES (41, '2023-12-02', 21, $1, $1)`,
		`INSERT INTO milestone_texts (milestone_id, lang, title) VALUES (41, 'en', 'Tenth anniversary')`,
	}, check: func(ctx context.Context, t *testing.T, d *db.DB) {
		m, err := milestone.Get(ctx, d.R, 41)
		if err != nil || m.Title("en") != "Tenth anniversary" || m.PartnershipID != 21 || m.On.String() != "2023-12-02" {
			t.Errorf("milestone: %+v %v", m, err)
		}
	}},
	{version: 4, sql: []string{
		`INSERT INTO videos (id, original_lang, origin_city_id, state, published_at, duration_ms, source_key, processing, created_at, updated_at)
			VALUES (51, 'ko', 11, 'published', $1, 4000, 'src/51', 'ready', $1, $1)`,
		`INSERT INTO video_texts (video_id, lang, title, description) VALUES (51, 'ko', '새해 인사', 'greetings')`,
		`INSERT INTO video_partnerships (video_id, partnership_id) VALUES (51, 21)`,
		`INSERT INTO video_tags (video_id, tag) VALUES (51, 'newyear')`,
		`INSERT INTO video_renditions (video_id, height, width, lines, size, bitrate, storage_key)
			VALUES (51, 360, 640, 360, 123456, 800000, 'renditions/51/360.mp4')`,
	}, check: func(ctx context.Context, t *testing.T, d *db.DB) {
		v, err := video.Get(ctx, d.R, 51)
		if err != nil {
			t.Errorf("video: %v", err)
			return
		}
		if v.State != video.StatePublished || v.Duration != 4*time.Second || v.OriginCityID != 11 || v.PublishedAt.IsZero() ||
			len(v.Texts) != 1 || v.Texts[0].Title != "새해 인사" || !slices.Equal(v.Partnerships, []int64{21}) ||
			!slices.Equal(v.Tags, []string{"newyear"}) || len(v.Renditions) != 1 || v.Renditions[0].Key != "renditions/51/360.mp4" ||
			v.Renditions[0].Lines != 360 {
			t.Errorf("video: %+v", v)
		}
	}},
	{version: 6, sql: []string{
		`INSERT INTO activity_videos (activity_id, video_id) VALUES (31, 51)`,
	}, check: func(ctx context.Context, t *testing.T, d *db.DB) {
		a, err := exchange.Get(ctx, d.R, 31)
		if err != nil || len(a.Videos) != 1 || a.Videos[0].ID != 51 {
			t.Errorf("activity's videos: %+v %v", a, err)
		}
	}},
	{version: 7, sql: []string{
		`INSERT INTO subtitle_tracks (id, video_id, lang, kind, label, status, vtt, plain_text, cue_count, done_count, created_at, updated_at)
			VALUES (61, 51, 'ko', 'subtitles', '한국어', 'approved', '` + fixtureVTT + `', '', 2, 2, $1, $1)`,
		`INSERT INTO subtitle_reviews (id, track_id, user_id, action, created_at) VALUES (1, 61, 7, 'approve', $1)`,
	}, check: func(ctx context.Context, t *testing.T, d *db.DB) {
		tr, err := track.Get(ctx, d.R, 61)
		if err != nil || tr.VideoID != 51 || tr.Status != track.StatusApproved || tr.CueCount != 2 || tr.Label != "한국어" {
			t.Errorf("track: %+v %v", tr, err)
			return
		}
		st, err := tr.Cues()
		if err != nil || len(st.Cues) != 2 || st.Cues[1].Text != "Привет из Сеула" || st.Cues[0].Start != time.Second {
			t.Errorf("track's cues: %+v %v", st, err)
		}
	}},
	{version: 9, sql: []string{
		`INSERT INTO publication_log (id, video_id, channel, name, reached_at, created_at) VALUES (71, 51, 'site', 'website', $1, $1)`,
	}, check: func(ctx context.Context, t *testing.T, d *db.DB) {
		var name string
		if err := d.R.QueryRowContext(ctx, "SELECT name FROM publication_log WHERE id = 71").Scan(&name); err != nil || name != "website" {
			t.Errorf("publication log: %q %v", name, err)
		}
	}},
	// Follows from before the followed actor was kept (0032: the city's) and after it; since
	// 0034 one remote may follow two of the city's actors, and every earlier follow stays.
	{version: 12, sql: []string{
		`INSERT INTO fed_followers (actor_id, follow_id, inbox, shared_inbox, state, created_at)
			VALUES ('https://social.example/users/ana', 'https://social.example/f/1', 'https://social.example/users/ana/inbox', 'https://social.example/inbox', 'accepted', $1)`,
	}, check: func(ctx context.Context, t *testing.T, d *db.DB) {
		fs, err := fed.Followers(ctx, d.R, 10)
		if err != nil || !slices.ContainsFunc(fs, func(f fed.Follower) bool {
			return f.ActorID == "https://social.example/users/ana" && f.Followed == "" && f.State == "accepted"
		}) {
			t.Errorf("follow of the city: %+v %v", fs, err)
		}
	}},
	{version: 32, sql: []string{
		`INSERT INTO fed_followers (actor_id, follow_id, inbox, shared_inbox, state, created_at, followed)
			VALUES ('https://tube.example/accounts/bo', 'https://tube.example/f/2', 'https://tube.example/accounts/bo/inbox', '', 'pending', $1, 'https://busan.example/ap/channel')`,
	}, check: func(ctx context.Context, t *testing.T, d *db.DB) {
		fs, err := fed.Followers(ctx, d.R, 10)
		if err != nil || !slices.ContainsFunc(fs, func(f fed.Follower) bool {
			return f.ActorID == "https://tube.example/accounts/bo" && f.Followed == "https://busan.example/ap/channel" && f.State == "pending"
		}) {
			t.Errorf("follow of the channel: %+v %v", fs, err)
		}
		// The same remote may now follow the city beside the channel.
		if _, err := d.W.ExecContext(ctx, `INSERT INTO fed_followers (actor_id, follow_id, inbox, shared_inbox, state, created_at, followed)
			VALUES ('https://tube.example/accounts/bo', 'https://tube.example/f/3', 'https://tube.example/accounts/bo/inbox', '', 'accepted', $1, '')`,
			time.Now().UTC()); err != nil {
			t.Errorf("a second follow of one remote: %v", err)
		}
	}},
}

// TestMigrateForwardWithData: from the schema of every earlier migration, with the register,
// an activity, a milestone, a video with a text and a rendition, a subtitle track with cues and
// a user in it (as much as that schema holds), the remaining migrations apply and today's
// domain code reads every row back.
func TestMigrateForwardWithData(t *testing.T) {
	t.Parallel()
	probe := dbtest.Open(t)
	versions, err := probe.MigrationVersions()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range versions[:len(versions)-1] {
		t.Run(fmt.Sprintf("from_%04d", k), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d, err := db.Open(ctx, dbtest.URL(t), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Close() })
			if _, err := d.MigrateTo(ctx, k); err != nil {
				t.Fatalf("migrate to %d: %v", k, err)
			}
			if v, err := d.SchemaVersion(ctx); err != nil || v != k {
				t.Fatalf("schema version %d (%v), want %d", v, err, k)
			}
			at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
			var written []fixture
			for _, f := range fixtures {
				if f.version > k {
					break
				}
				if f.until != 0 && k >= f.until {
					continue
				}
				for _, q := range f.sql {
					// Only the statements that use the timestamp take it: PostgreSQL refuses an unused parameter's type.
					var args []any
					if strings.Contains(q, "$1") {
						args = []any{at}
					}
					if _, err := d.W.ExecContext(ctx, q, args...); err != nil {
						t.Fatalf("fixture of %04d at schema %04d: %v\n%s", f.version, k, err, q)
					}
				}
				written = append(written, f)
			}
			if _, err := d.Migrate(ctx); err != nil {
				t.Fatalf("migrate from %d: %v", k, err)
			}
			latest := versions[len(versions)-1]
			if v, err := d.SchemaVersion(ctx); err != nil || v != latest {
				t.Fatalf("schema version %d (%v), want %d", v, err, latest)
			}
			for _, f := range written {
				f.check(ctx, t, d)
			}
		})
	}
}
