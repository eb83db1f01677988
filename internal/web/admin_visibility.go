package web

import (
	"sistercity/internal/i18n"
	"sistercity/internal/visibility"
)

// visibilityOptions are the visibilities as the admin lists' filters offer them.
func visibilityOptions(l *i18n.Localizer) []option {
	var out []option
	for _, v := range visibility.Values {
		out = append(out, option{v, l.T("visibility." + v)})
	}
	return out
}
