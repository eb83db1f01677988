package web

import (
	"strconv"

	"sistercity/internal/i18n"
	"sistercity/internal/milestone"
)

// labelled is a text with the language it is written in, for a lang attribute when that is not
// the page's language.
type labelled struct {
	Text string
	Lang string
}

// milestoneTitle names one occurrence of a milestone in the reader's language: "Vladivostok:
// 160 years since its founding", "블라디보스토크 창건 160주년". A title typed by hand keeps the
// language it was typed in.
func milestoneTitle(l *i18n.Localizer, o *milestone.Occurrence) labelled {
	lang := l.Lang
	switch o.Kind {
	case milestone.KindPartnership:
		return labelled{l.N("milestone.title.partnership", o.Years, "city", o.Partnership.PartnerCity.Name(lang)), lang}
	case milestone.KindFounding:
		return labelled{l.N("milestone.title.founding", o.Years, "city", o.City.Name(lang)), lang}
	case milestone.KindCityDay:
		return labelled{l.T("milestone.title.city_day", "city", o.City.Name(lang)), lang}
	case milestone.KindRelations:
		return labelled{l.N("milestone.title.relations", o.Years, "a", l.Region(o.Relation.CountryA), "b", l.Region(o.Relation.CountryB)), lang}
	}
	m := o.Milestone
	title := m.Title(lang)
	if o.Years > 0 {
		title = l.N("milestone.title.custom_years", o.Years, "title", title)
	}
	return labelled{title, m.TitleLang(lang)}
}

// seriesTitle names a milestone as a whole, for a calendar whose events repeat every year:
// "Anniversary of the partnership with Vladivostok (1992)".
func seriesTitle(l *i18n.Localizer, sr *milestone.Series) labelled {
	lang := l.Lang
	year := strconv.Itoa(sr.Origin.Year)
	switch sr.Kind {
	case milestone.KindPartnership:
		return labelled{l.T("milestone.series.partnership", "city", sr.Partnership.PartnerCity.Name(lang), "year", year), lang}
	case milestone.KindFounding:
		return labelled{l.T("milestone.series.founding", "city", sr.City.Name(lang), "year", year), lang}
	case milestone.KindCityDay:
		return labelled{l.T("milestone.title.city_day", "city", sr.City.Name(lang)), lang}
	case milestone.KindRelations:
		return labelled{l.T("milestone.series.relations", "a", l.Region(sr.Relation.CountryA), "b", l.Region(sr.Relation.CountryB),
			"year", year), lang}
	}
	return labelled{sr.Milestone.Title(lang), sr.Milestone.TitleLang(lang)}
}
