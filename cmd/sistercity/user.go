package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"sistercity/internal/auth"
)

// runUser manages accounts from the command line, for the first admin and for lost passwords.
func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("want a subcommand: create, set-role, reset-password, list")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "viewer", "role: admin, editor, translator, viewer")
	name := fs.String("name", "", "display name")
	cfgArgs, rest := splitArgs(args)
	cfg, err := parseConfig(fs, cfgArgs)
	if err != nil {
		return err
	}
	rest = append(fs.Args(), rest...)
	d, err := openDB(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer d.Close()
	if sub == "list" {
		users, err := auth.Users(ctx, d.R)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLE\tDISABLED\tNAME")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", u.Username, u.Role, u.Disabled, u.DisplayName)
		}
		return tw.Flush()
	}
	if len(rest) != 1 {
		return fmt.Errorf("user %s: want one USERNAME", sub)
	}
	username := rest[0]
	switch sub {
	case "create":
		password := os.Getenv("SISTERCITY_PASSWORD")
		generated := password == ""
		if generated {
			password = auth.RandomPassword()
		}
		err = d.InTx(ctx, func(tx *sql.Tx) error {
			u, err := auth.CreateUser(ctx, tx, username, *name, password, auth.Role(*role))
			if err != nil {
				return err
			}
			return auth.Audit(ctx, tx, nil, auth.ActionCreate, auth.EntityUser, u.ID, nil, map[string]string{"username": u.Username, "role": string(u.Role)})
		})
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(stdout, "created %s (%s)\n", username, *role)
		if generated {
			fmt.Fprintf(stdout, "password: %s\n", password)
		}
	case "set-role":
		err = d.InTx(ctx, func(tx *sql.Tx) error {
			u, err := auth.GetUserByName(ctx, tx, username)
			if err != nil {
				return err
			}
			if err := auth.SetRole(ctx, tx, u.ID, auth.Role(*role)); err != nil {
				return err
			}
			return auth.Audit(ctx, tx, nil, auth.ActionSetRole, auth.EntityUser, u.ID, map[string]string{"role": string(u.Role)}, map[string]string{"role": *role})
		})
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(stdout, "%s is now %s\n", username, *role)
	case "reset-password":
		password := os.Getenv("SISTERCITY_PASSWORD")
		if password == "" {
			password = auth.RandomPassword()
		}
		err = d.InTx(ctx, func(tx *sql.Tx) error {
			u, err := auth.GetUserByName(ctx, tx, username)
			if err != nil {
				return err
			}
			if err := auth.SetPassword(ctx, tx, u.ID, password); err != nil {
				return err
			}
			return auth.Audit(ctx, tx, nil, auth.ActionResetPassword, auth.EntityUser, u.ID, nil, nil)
		})
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(stdout, "new password for %s: %s\n", username, password)
	default:
		return fmt.Errorf("unknown user subcommand %q", sub)
	}
	return nil
}

// splitArgs separates flags from positional arguments wherever they stand, so that both
// "user create --role admin ana" and "user create ana --role admin" work.
func splitArgs(args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			if !containsEq(a) && i+1 < len(args) && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		positional = append(positional, a)
	}
	return flags, positional
}

func containsEq(s string) bool {
	for _, r := range s {
		if r == '=' {
			return true
		}
	}
	return false
}

func isBoolFlag(a string) bool {
	switch a {
	case "-demo", "--demo", "-secure-cookies", "--secure-cookies", "-h", "--help", "-help":
		return true
	}
	return false
}
