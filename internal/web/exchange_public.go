package web

import (
	"context"
	"slices"

	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/langtext"
	"sistercity/internal/register"
)

// timelineAhead is how far ahead of today a partner page's timeline shows round anniversaries.
const timelineAhead = 2 // years

// exchangeTimeline lists the exchange programme's lines of a partner page's timeline for the
// partnerships shown there: activities held, those still planned (marked so), each with its
// published videos and open calls for messages, and the round anniversaries from each signing
// to two years from now. Cancelled activities are left out.
func (s *Server) exchangeTimeline(ctx context.Context, p *page, partnerships []*register.Partnership) ([]timelineEvent, error) {
	if len(partnerships) == 0 {
		return nil, nil
	}
	l := p.L
	ids := map[int64]bool{}
	for _, ps := range partnerships {
		ids[ps.ID] = true
	}
	acts, err := s.activities(ctx)
	if err != nil {
		return nil, err
	}
	calls, err := s.openCallLinks(ctx, p, 0, 0)
	if err != nil {
		return nil, err
	}
	var out []timelineEvent
	for _, a := range acts {
		if a.Status == exchange.StatusCancelled || !slices.ContainsFunc(a.Partnerships, func(id int64) bool { return ids[id] }) {
			continue
		}
		ev := timelineEvent{On: a.When().Start.Date, Text: l.T("exchange.kind." + a.Kind), Title: a.Title(l.Lang),
			TitleLang: a.TitleLang(l.Lang)}
		ev.Marker, ev.Note = activityState(l, a, p.Today)
		for _, v := range a.Videos {
			if v.Published() {
				ev.Videos = append(ev.Videos, v.Localize(l.Lang))
			}
		}
		for _, c := range calls {
			if c.ActivityID == a.ID {
				ev.Calls = append(ev.Calls, c)
			}
		}
		out = append(out, ev)
	}

	from := p.Today
	for _, ps := range partnerships {
		if !ps.SignedOn.IsZero() && ps.SignedOn.Before(from) {
			from = ps.SignedOn
		}
	}
	to := civil.Of(p.Today.Time().AddDate(timelineAhead, 0, 0))
	rounds, err := s.roundAnniversaries(ctx, p.Today, to)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, o := range rounds {
		if o.On.Before(from) || !slices.ContainsFunc(o.Partnerships, func(id int64) bool { return ids[id] }) {
			continue
		}
		key := o.Key() + o.On.String()
		if seen[key] {
			continue
		}
		seen[key] = true
		t := milestoneTitle(l, &o)
		ev := timelineEvent{On: o.On, Text: l.T("milestone.kind." + o.Kind), Title: t.Text, TitleLang: t.Lang, Round: true}
		if o.On.After(p.Today) {
			ev.Marker = l.T("timeline.upcoming")
		}
		out = append(out, ev)
	}
	return out, nil
}

// activityState says where an activity of the timeline stands, once: a marker for one that has
// not taken place (its status — planned, confirmed, postponed, switched to online — or, when its
// day has passed without it being recorded as held, that), and a note (the reason of a switch to
// online, the mode of one held other than in person). Marker and note never name two states,
// so a line cannot read "Planned … (Held)" or "Planned … (Postponed)".
func activityState(l *i18n.Localizer, a *exchange.Activity, today civil.Date) (marker string, note typedPart) {
	if a.Happened(today) {
		switch {
		case a.Status == exchange.StatusSwitchedOnline:
			if reason := switchReason(a); !reason.Empty() {
				note = withTypedText(l, "timeline.switched", "reason", reason)
			} else {
				note = typedPart{Before: l.T("exchange.status.switched_online")}
			}
		case a.Mode != exchange.ModeInPerson:
			note = typedPart{Before: l.T("exchange.mode." + a.Mode)}
		}
		return "", note
	}
	switch {
	case a.Status == exchange.StatusSwitchedOnline:
		return l.T("exchange.status.switched_online"), typedText(l, switchReason(a))
	case a.Status == exchange.StatusPostponed:
		return l.T("exchange.status.postponed"), typedPart{}
	case a.When().Start.Date.Before(today):
		// Planned or confirmed for a day now past, and not recorded as held.
		return l.T("face.timeline.unrecorded"), typedPart{}
	}
	return l.T("exchange.status." + a.Status), typedPart{}
}

// switchReason returns the reason recorded with the latest switch to online, per language.
func switchReason(a *exchange.Activity) langtext.Texts {
	var reason langtext.Texts
	for _, h := range a.History {
		if h.Status == exchange.StatusSwitchedOnline {
			reason = h.Reason
		}
	}
	return reason
}
