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
	"sistercity/internal/messages"
	"sistercity/internal/register"
)

// The demo's call for citizens' messages: "Messages to Busan", for the Eurasian campaign of the
// exchange demo, open from two weeks before the demo is loaded to three months after, inviting
// the citizens of Vladivostok and Saint Petersburg, with photos and short videos. Three text
// messages are approved (Russian and Korean; one Russian message with its Korean translation)
// and one waits in the queue; a photo message and a video message made by ffmpeg, both
// approved, come with the demo video (loadMessagesMediaDemo), which has the media store. The
// messages are the demo's own words, not real citizens'.

const demoCallTitle = "Messages to Busan"

func loadMessagesDemo(ctx context.Context, d *db.DB, log *slog.Logger) error {
	calls, err := messages.Calls(ctx, d.R, 0, 0)
	if err != nil {
		return err
	}
	for _, c := range calls {
		if c.Text("en").Title == demoCallTitle {
			return nil
		}
	}
	now := time.Now().UTC()
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		activity, err := exchange.FindByTitle(ctx, tx, "en", "Eurasian campaign for the 30th anniversary of Korea–Russia diplomatic relations")
		if errors.Is(err, db.ErrNotFound) {
			return fmt.Errorf("demo: the campaign of the exchange demo is missing")
		} else if err != nil {
			return err
		}
		ps, err := register.Partnerships(ctx, tx)
		if err != nil {
			return err
		}
		c := &messages.Call{ActivityID: activity, OpensOn: civil.Of(now.AddDate(0, 0, -14)), ClosesOn: civil.Of(now.AddDate(0, 3, 0)),
			AcceptsPhoto: true, MaxPhotoBytes: 5 << 20, RetentionDays: 90,
			AcceptsVideo: true, MaxVideoBytes: 50 << 20, MaxVideoSeconds: 60,
			Texts: []messages.CallText{
				{Lang: "en", Title: demoCallTitle, Invitation: "Send a message of encouragement to the citizens and medical staff of Busan. Approved messages appear here and may be used in the partner video.",
					Rules: "Up to 1,000 characters. No advertising, no personal data of others."},
				{Lang: "ru", Title: "Послания Пусану", Invitation: "Отправьте слова поддержки жителям и медикам Пусана. Одобренные послания появятся здесь и могут войти в совместное видео.",
					Rules: "До 1000 знаков. Без рекламы и чужих персональных данных."},
				{Lang: "ko", Title: "부산에 보내는 메시지", Invitation: "부산 시민과 의료진에게 응원 메시지를 보내 주세요. 승인된 메시지는 이 페이지에 게시되며 공동 영상에 쓰일 수 있습니다.",
					Rules: "1,000자 이내. 광고나 다른 사람의 개인정보는 쓰지 마세요."},
			},
			Consents: []messages.Wording{
				{Lang: "en", Purpose: messages.PurposePublish, Text: "I agree that my message, name and city are published on this site."},
				{Lang: "en", Purpose: messages.PurposeVideo, Text: "I agree that my message is used in the video compiled for the partner city."},
				{Lang: "en", Purpose: messages.PurposePartner, Text: "I agree that my message is shared with the partner city's office."},
				{Lang: "ru", Purpose: messages.PurposePublish, Text: "Я согласен(на) на публикацию послания, имени и города на этом сайте."},
				{Lang: "ru", Purpose: messages.PurposeVideo, Text: "Я согласен(на) на использование послания в видео для города-партнёра."},
				{Lang: "ru", Purpose: messages.PurposePartner, Text: "Я согласен(на) на передачу послания администрации города-партнёра."},
				{Lang: "ko", Purpose: messages.PurposePublish, Text: "메시지와 이름, 도시를 이 사이트에 게시하는 데 동의합니다."},
				{Lang: "ko", Purpose: messages.PurposeVideo, Text: "메시지를 자매도시에 보낼 영상에 쓰는 데 동의합니다."},
				{Lang: "ko", Purpose: messages.PurposePartner, Text: "메시지를 자매도시 담당 부서와 공유하는 데 동의합니다."},
			},
		}
		for _, p := range ps {
			if p.PartnerCity != nil && (p.PartnerCity.Wikidata == wikidataVladivostok || p.PartnerCity.Wikidata == wikidataSPb) &&
				p.Type == register.TypeSister {
				c.Cities = append(c.Cities, p.PartnerCityID)
			}
		}
		if errs := c.Validate([]string{"en", "ko", "ru"}); len(errs) > 0 {
			return fmt.Errorf("demo: call: %w", errs)
		}
		if err := messages.CreateCall(ctx, tx, c); err != nil {
			return err
		}
		if err := auth.Audit(ctx, tx, nil, auth.ActionCreate, auth.EntityMessageCall, c.ID, nil, c); err != nil {
			return err
		}
		all := []string{messages.PurposePublish, messages.PurposeVideo, messages.PurposePartner}
		for i, m := range []struct {
			sub         messages.Submission
			approve     bool
			translation string // into Korean
		}{
			{messages.Submission{Name: "Анна", City: "Владивосток", Lang: "ru", Body: "Дорогие друзья в Пусане! Держитесь, мы с вами. Спасибо врачам и медсёстрам за их труд.", Consents: all}, true,
				"부산의 친구 여러분! 힘내세요, 저희가 함께합니다. 의사와 간호사분들의 노고에 감사드립니다."},
			{messages.Submission{Anonymous: true, City: "Санкт-Петербург", Lang: "ru", Body: "Желаем здоровья всем жителям Пусана. До встречи на Днях Пусана!", Consents: all[:1]}, true, ""},
			{messages.Submission{Name: "김민지", City: "부산", Lang: "ko", Body: "블라디보스토크 시민 여러분의 응원에 감사드립니다. 함께 이겨냅시다!", Consents: all}, true, ""},
			{messages.Submission{Name: "Сергей", City: "Владивосток", Lang: "ru", Body: "Привет из Владивостока! Скоро увидимся.", Consents: all[:2]}, false, ""},
		} {
			sub := m.sub
			if errs := sub.Validate(c, []string{"en", "ko", "ru"}); len(errs) > 0 {
				return fmt.Errorf("demo: message %d: %w", i, errs)
			}
			msg, _, err := messages.Submit(ctx, tx, c, &sub, "", now.Add(time.Duration(i-10)*time.Hour))
			if err != nil {
				return err
			}
			if m.approve {
				if _, err := messages.Decide(ctx, tx, msg.ID, messages.StatusApproved, "", now); err != nil {
					return err
				}
			}
			if m.translation != "" {
				if err := messages.SaveTranslation(ctx, tx, msg.ID, "ko", m.translation); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo: citizens' messages: %w", err)
	}
	log.Info("demo data", "message_call", demoCallTitle)
	return nil
}
