package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/langtext"
	"sistercity/internal/milestone"
	"sistercity/internal/register"
	"sistercity/internal/visibility"
)

// The exchange programme of the 2020 press release: the Busan delegation's official visit to
// Vladivostok in 2019, the Eurasian campaign for the 30th anniversary of Korea–Russia
// diplomatic relations with its "Busan Day" in Vladivostok, switched to online because of
// COVID-19, the April and May 2020 video conferences with Saint Petersburg, and Vladivostok's
// support video of July 2020 — with the diplomatic relations of 1990-09-30. The press release
// names months, not days: the days chosen here are illustrative, and said so in the notes.

// Wikidata ids of the demo's partner cities, as in demo/story.csv.
const (
	wikidataVladivostok = "Q959"
	wikidataSPb         = "Q656"
)

// vladivostokVenue is where the activities in Vladivostok take place, in each language.
var vladivostokVenue = langtext.Texts{"ko": "블라디보스토크", "ru": "Владивосток", "en": "Vladivostok"}

// demoActivity is one activity of the story with its history: the status it was first given
// and, when it changed, the change.
type demoActivity struct {
	key       string // parent reference within the demo
	parent    string
	partners  []string // Wikidata ids
	activity  exchange.Activity
	firstOn   civil.Date
	first     string // the first status, when it later changed
	changedOn civil.Date
	reason    langtext.Texts
	checklist bool // add the delegation items, all done
}

func demoDay(s string) exchange.Moment { return exchange.OnDate(civil.MustParse(s)) }

func demoAt(date string, hour, min int, zone string) exchange.Moment {
	m, err := exchange.MomentAt(civil.MustParse(date), hour, min, zone)
	if err != nil {
		panic(err)
	}
	return m
}

func demoActivities() []demoActivity {
	conference := func(date, en, ko, ru string) demoActivity {
		return demoActivity{
			partners: []string{wikidataSPb},
			activity: exchange.Activity{
				Kind: exchange.KindVideoConference, OrganiserKind: exchange.OrganiserCity, Mode: exchange.ModeOnline,
				FirstMode: exchange.ModeOnline, Status: exchange.StatusHeld,
				Texts: []exchange.Text{
					{Lang: "en", Title: "Video conference with Saint Petersburg on the COVID-19 response (" + en + ")",
						Summary:  "Busan and Saint Petersburg shared information on their COVID-19 response. (The press release gives the month; the day is illustrative.)",
						Outcomes: "Shared the status of negative-pressure isolation wards, data on cases, and the follow-up processes after discharge."},
					{Lang: "ko", Title: "상트페테르부르크와 코로나19 대응 화상회의(" + ko + ")",
						Summary:  "부산시와 상트페테르부르크시가 코로나19 대응 정보를 공유했습니다. (보도자료에는 달만 나와 있어 날짜는 예시입니다.)",
						Outcomes: "음압병동 운영 현황, 확진자 데이터, 퇴원 후 사후 관리 절차를 공유했습니다."},
					{Lang: "ru", Title: "Видеоконференция с Санкт-Петербургом о борьбе с COVID-19 (" + ru + ")",
						Summary:  "Пусан и Санкт-Петербург обменялись опытом борьбы с COVID-19. (В пресс-релизе указан только месяц; день условный.)",
						Outcomes: "Обменялись сведениями о работе изоляторов с отрицательным давлением, данными о заболевших и порядком наблюдения после выписки."},
				},
				Topics:  []string{"negative-pressure isolation wards", "data sharing", "follow-up processes"},
				Planned: exchange.Span{Start: demoAt(date, 16, 0, "Asia/Seoul"), End: demoAt(date, 17, 30, "Asia/Seoul")},
				Actual:  exchange.Span{Start: demoAt(date, 16, 0, "Asia/Seoul"), End: demoAt(date, 17, 30, "Asia/Seoul")},
			},
			firstOn: civil.MustParse(date),
		}
	}
	return []demoActivity{
		{
			partners: []string{wikidataVladivostok},
			activity: exchange.Activity{
				Kind: exchange.KindOutboundVisit, OrganiserKind: exchange.OrganiserCity, Mode: exchange.ModeInPerson,
				FirstMode: exchange.ModeInPerson, Status: exchange.StatusHeld, Venue: vladivostokVenue,
				Texts: []exchange.Text{
					{Lang: "en", Title: "Official visit of the Busan city delegation to Vladivostok",
						Summary: "The Busan city delegation continued active exchanges with an official visit to Vladivostok. (The press release gives the year; the days are illustrative.)"},
					{Lang: "ko", Title: "부산시 대표단 블라디보스토크 공식 방문",
						Summary: "부산시 대표단이 블라디보스토크를 공식 방문해 활발한 교류를 이어 갔습니다. (보도자료에는 연도만 나와 있어 날짜는 예시입니다.)"},
					{Lang: "ru", Title: "Официальный визит делегации Пусана во Владивосток",
						Summary: "Делегация Пусана продолжила активные обмены официальным визитом во Владивосток. (В пресс-релизе указан только год; даты условные.)"},
				},
				Participants: []exchange.Participant{{Name: "Busan city delegation", Organisation: "Busan Metropolitan City"}},
				Topics:       []string{"culture", "tourism", "economy"},
				Planned:      exchange.Span{Start: demoDay("2019-09-04"), End: demoDay("2019-09-06")},
				Actual:       exchange.Span{Start: demoDay("2019-09-04"), End: demoDay("2019-09-06")},
			},
			firstOn: civil.MustParse("2019-06-03"), first: exchange.StatusConfirmed,
			changedOn: civil.MustParse("2019-09-06"), checklist: true,
		},
		{
			key:      "campaign",
			partners: []string{wikidataVladivostok, wikidataSPb},
			activity: exchange.Activity{
				Kind: exchange.KindCampaign, OrganiserKind: exchange.OrganiserCity, Mode: exchange.ModeHybrid,
				FirstMode: exchange.ModeInPerson, Status: exchange.StatusConfirmed,
				Texts: []exchange.Text{
					{Lang: "en", Title: "Eurasian campaign for the 30th anniversary of Korea–Russia diplomatic relations",
						Summary: "Events in the Russian sister cities selected as part of the Eurasian campaigns for the 30th anniversary of diplomatic relations between Korea and Russia."},
					{Lang: "ko", Title: "한·러 수교 30주년 기념 유라시아 캠페인",
						Summary: "한·러 수교 30주년을 맞아 유라시아 캠페인의 하나로 선정된 러시아 자매도시 행사입니다."},
					{Lang: "ru", Title: "Евразийская кампания к 30-летию дипломатических отношений Республики Корея и России",
						Summary: "Мероприятия в российских городах-побратимах в рамках евразийских кампаний к 30-летию дипломатических отношений Кореи и России."},
				},
				Topics:  []string{"culture", "tourism"},
				Planned: exchange.Span{Start: demoDay("2020-01-01"), End: demoDay("2020-12-31")},
			},
			firstOn: civil.MustParse("2020-01-01"),
		},
		{
			parent:   "campaign",
			partners: []string{wikidataVladivostok},
			activity: exchange.Activity{
				Kind: exchange.KindCulturalEvent, OrganiserKind: exchange.OrganiserOther, OrganiserName: "City of Vladivostok",
				Mode: exchange.ModeOnline, FirstMode: exchange.ModeInPerson, Status: exchange.StatusSwitchedOnline, Venue: vladivostokVenue,
				Texts: []exchange.Text{
					{Lang: "en", Title: "Busan Day in Vladivostok",
						Summary: "A cultural event introducing Busan, planned by Vladivostok as part of the Eurasian campaign. (The day is illustrative.)"},
					{Lang: "ko", Title: "블라디보스토크 ‘부산의 날’",
						Summary: "유라시아 캠페인의 하나로 블라디보스토크시가 계획한, 부산을 알리는 문화 행사입니다. (날짜는 예시입니다.)"},
					{Lang: "ru", Title: "«День Пусана» во Владивостоке",
						Summary: "Культурное мероприятие о Пусане, запланированное Владивостоком в рамках евразийской кампании. (Дата условная.)"},
				},
				Topics:  []string{"culture"},
				Planned: exchange.Span{Start: demoDay("2020-07-04")},
			},
			firstOn: civil.MustParse("2020-01-20"), first: exchange.StatusPlanned,
			changedOn: civil.MustParse("2020-07-10"),
			reason: langtext.Texts{
				"en": "COVID-19: the event could not be held face to face and switched to non-face-to-face exchanges.",
				"ko": "코로나19로 대면 행사를 열 수 없어 비대면 교류로 전환했습니다.",
				"ru": "Из-за COVID-19 мероприятие не удалось провести очно, и его перевели в дистанционный формат.",
			},
		},
		conference("2020-04-22", "April", "4월", "апрель"),
		conference("2020-05-20", "May", "5월", "май"),
		{
			partners: []string{wikidataVladivostok},
			activity: exchange.Activity{
				Kind: exchange.KindVideoMessage, OrganiserKind: exchange.OrganiserOther, OrganiserName: "City of Vladivostok",
				Mode: exchange.ModeOnline, FirstMode: exchange.ModeOnline, Status: exchange.StatusHeld,
				Texts: []exchange.Text{
					{Lang: "en", Title: "COVID-19 support video from Vladivostok",
						Summary:  "Messages of encouragement to the citizens and medical staff of Busan and Vladivostok, from citizens who took part in a cultural exchange event, a wish to restore exchanges, and congratulations on the 160th anniversary of Vladivostok.",
						Outcomes: "Released with Korean and Russian subtitles on the Busan website's video index, its social networks and the foundation's website; the Russian version is on the Vladivostok city homepage."},
					{Lang: "ko", Title: "블라디보스토크 코로나19 극복 응원 영상",
						Summary:  "부산과 블라디보스토크 시민과 의료진을 응원하는 메시지, 문화 교류 행사에 참가한 두 도시 시민의 응원, 교류 재개에 대한 바람, 블라디보스토크 창건 160주년 축하 메시지를 담았습니다.",
						Outcomes: "한국어와 러시아어 자막으로 제작해 부산시 누리집 영상 게시판과 공식 SNS, 부산국제교류재단 누리집에 공개했고, 러시아어 영상은 블라디보스토크시 누리집에 게시되었습니다."},
					{Lang: "ru", Title: "Видеообращение Владивостока в поддержку борьбы с COVID-19",
						Summary:  "Слова поддержки жителям и медикам Пусана и Владивостока от горожан — участников культурного обмена, надежда на возобновление обменов и поздравление со 160-летием Владивостока.",
						Outcomes: "Выпущено с корейскими и русскими субтитрами на сайте Пусана, в его соцсетях и на сайте фонда; русская версия размещена на сайте администрации Владивостока."},
				},
				Topics:  []string{"COVID-19", "160th anniversary of Vladivostok"},
				Planned: exchange.Span{Start: demoDay("2020-07-10")},
				Actual:  exchange.Span{Start: demoDay("2020-07-10")},
			},
			firstOn: civil.MustParse("2020-07-10"),
		},
	}
}

// loadExchangeDemo loads the story's exchange programme and milestones into a register that
// holds the demo cities; what is there already (by English title, by pair of countries) is
// left as it is, so a second start changes nothing.
func loadExchangeDemo(ctx context.Context, d *db.DB, log *slog.Logger) error {
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	l := cat.Localizer("en")
	created := 0
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := milestone.FindRelation(ctx, tx, "KR", "RU"); errors.Is(err, db.ErrNotFound) {
			r := &milestone.Relation{CountryA: "KR", CountryB: "RU", EstablishedOn: civil.MustParse("1990-09-30"),
				Note: "Established between the Republic of Korea and the USSR; continued by the Russian Federation."}
			if errs := r.Validate(civil.Today(time.UTC)); len(errs) > 0 {
				return fmt.Errorf("demo: relation: %w", errs)
			}
			if err := milestone.CreateRelation(ctx, tx, r); err != nil {
				return err
			}
			if err := auth.Audit(ctx, tx, nil, auth.ActionCreate, auth.EntityDiplomaticRelation, r.ID, nil, r); err != nil {
				return err
			}
			created++
		} else if err != nil {
			return err
		}

		ps, err := register.Partnerships(ctx, tx)
		if err != nil {
			return err
		}
		byWikidata := map[string]int64{}
		for _, p := range ps {
			if p.PartnerCity != nil && p.PartnerCity.Wikidata != "" && p.Type == register.TypeSister {
				byWikidata[p.PartnerCity.Wikidata] = p.ID
			}
		}
		keys := map[string]int64{}
		for _, da := range demoActivities() {
			a := da.activity
			if id, err := exchange.FindByTitle(ctx, tx, "en", a.Title("en")); err == nil {
				if da.key != "" {
					keys[da.key] = id
				}
				continue
			} else if !errors.Is(err, db.ErrNotFound) {
				return err
			}
			for _, w := range da.partners {
				id, ok := byWikidata[w]
				if !ok {
					return fmt.Errorf("demo: no sister partnership with the city %s", w)
				}
				a.Partnerships = append(a.Partnerships, id)
			}
			a.ParentID = keys[da.parent]
			if errs := a.Validate(time.Now()); len(errs) > 0 {
				return fmt.Errorf("demo: %s: %w", a.Title("en"), errs)
			}
			if errs, err := exchange.CheckLinks(ctx, tx, &a, l); err != nil || len(errs) > 0 {
				return fmt.Errorf("demo: %s: %w", a.Title("en"), errors.Join(err, errs.Err()))
			}
			final := a.Status
			if da.first != "" {
				a.Status = da.first
				if da.first == exchange.StatusPlanned || da.first == exchange.StatusConfirmed {
					a.Actual = exchange.Span{}
					if a.Mode != a.FirstMode {
						a.Mode = a.FirstMode
					}
				}
			}
			// The demo's exchanges are those of a press release: public, Busan Day planned
			// at first included.
			a.Visibility = visibility.Public
			if err := exchange.Create(ctx, tx, &a, da.firstOn, nil, 0); err != nil {
				return err
			}
			if da.first != "" {
				b := da.activity
				b.ID, b.Version, b.Partnerships, b.ParentID, b.Status = a.ID, a.Version, a.Partnerships, a.ParentID, final
				if err := exchange.Update(ctx, tx, &b, da.changedOn, da.reason, 0); err != nil {
					return err
				}
			}
			if da.checklist {
				items, err := exchange.AddStandardItems(ctx, tx, a.ID)
				if err != nil {
					return err
				}
				for _, it := range items {
					it.Done = true
					if err := exchange.UpdateItem(ctx, tx, it); err != nil {
						return err
					}
				}
			}
			after, err := exchange.Get(ctx, tx, a.ID)
			if err != nil {
				return err
			}
			if err := auth.Audit(ctx, tx, nil, auth.ActionCreate, auth.EntityActivity, a.ID, nil, after); err != nil {
				return err
			}
			if da.key != "" {
				keys[da.key] = a.ID
			}
			created++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo: exchange programme: %w", err)
	}
	log.Info("demo data", "exchange_records_created", created)
	return nil
}
