package main

import (
	"errors"
	"fmt"
	"strings"

	"sistercity/internal/auth"
	"sistercity/internal/db"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
)

// explain turns an error meant for a user into English sentences for the terminal.
func explain(err error) error {
	cat, cerr := i18n.Load()
	if cerr != nil {
		return err
	}
	l := cat.Localizer("en")
	if f, ok := problem.AsFields(err); ok {
		var lines []string
		for _, e := range f {
			lines = append(lines, fmt.Sprintf("%s: %s", e.Field, l.Msg(e.Msg)))
		}
		return errors.New(strings.Join(lines, "\n"))
	}
	var pe *problem.Error
	switch {
	case errors.As(err, &pe):
		return errors.New(l.Msg(pe.Msg))
	case errors.Is(err, auth.ErrUsernameTaken):
		return errors.New("that username is taken")
	case errors.Is(err, db.ErrNotFound):
		return errors.New("no such user")
	}
	return err
}
