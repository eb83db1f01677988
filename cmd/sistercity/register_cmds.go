package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/i18n"
	"sistercity/internal/register"
)

// runImport brings a register file (CSV or JSON) into the database: everything or, when the
// file has any problem, nothing.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "", "file format: csv or json (default: from the file name, else from the content)")
	statsAsOf := fs.String("stats-as-of", "", "date (YYYY-MM-DD) the population and area figures were counted, for rows without stats_as_of")
	homeJSON := fs.String("home-city-json", "", "JSON file describing the home city, as \"home_city\" in an export, when the site has none yet")
	homeName := fs.String("home-name", "", "English name of the home city, when the site has none yet")
	homeCountry := fs.String("home-country", "", "ISO 3166 code of the home city's country, with --home-name")
	dryRun := fs.Bool("dry-run", false, "check the file and report what would change, without saving")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sistercity import [flags] FILE   (FILE - reads standard input)")
		fs.PrintDefaults()
	}
	flags, rest := splitArgs(boolFlagsWithValue(args, "dry-run"))
	cfg, err := parseConfig(fs, flags)
	if err != nil {
		return err
	}
	rest = append(fs.Args(), rest...)
	if len(rest) != 1 {
		fs.Usage()
		return errors.New("want one FILE")
	}
	name := rest[0]
	if *format == "" {
		*format = register.FormatOf(name)
	}
	if *format != "" && *format != register.FormatCSV && *format != register.FormatJSON {
		return fmt.Errorf("--format %q: want csv or json", *format)
	}
	opts := register.ImportOptions{Today: civil.Today(time.Local), DryRun: *dryRun}
	if *statsAsOf != "" {
		if opts.StatsAsOf, err = civil.Parse(*statsAsOf); err != nil {
			return fmt.Errorf("--stats-as-of: %w", err)
		}
	}
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	l := cat.Localizer("en")
	switch {
	case *homeJSON != "" && *homeName != "":
		return errors.New("give --home-city-json or --home-name, not both")
	case *homeJSON != "":
		f, err := os.Open(*homeJSON)
		if err != nil {
			return err
		}
		opts.HomeCity, err = register.ReadCityJSON(f)
		f.Close()
		if err != nil {
			return fileProblems(l, stderr, *homeJSON, err)
		}
	case *homeName != "" || *homeCountry != "":
		opts.HomeCity = &register.City{Country: strings.ToUpper(*homeCountry), Kind: register.KindCity,
			Texts: []register.Text{{Lang: "en", Name: *homeName}}}
	}

	var in io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	file, err := register.Read(in, *format)
	if err != nil {
		return fileProblems(l, stderr, name, err)
	}
	d, err := openDB(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer d.Close()
	var res *register.ImportResult
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if res, err = register.Import(ctx, tx, file, opts); err != nil || opts.DryRun {
			return err
		}
		after := map[string]any{"file": filepath.Base(name), "format": file.Format}
		for k, v := range res.Summary() {
			after[k] = v
		}
		return auth.Audit(ctx, tx, nil, auth.ActionImport, auth.EntityRegister, res.HomeCityID, nil, after)
	})
	if err != nil {
		return fileProblems(l, stderr, name, err)
	}
	rows := l.N("import.result.rows", res.Rows)
	if opts.DryRun {
		fmt.Fprintln(stdout, l.T("import.cli.checked", "file", name, "rows", rows))
	} else {
		fmt.Fprintln(stdout, l.T("import.cli.imported", "file", name, "rows", rows))
	}
	fmt.Fprintln(stdout, l.T("import.cli.cities", "created", res.CitiesCreated, "updated", res.CitiesUpdated, "unchanged", res.CitiesUnchanged))
	fmt.Fprintln(stdout, l.T("import.cli.partnerships", "created", res.PartnershipsCreated, "updated", res.PartnershipsUpdated,
		"unchanged", res.PartnershipsUnchanged))
	return nil
}

// fileProblems prints every problem of a file, one a line, as "line N, field F: message", and
// returns the error that makes the command exit with status 1.
func fileProblems(l *i18n.Localizer, stderr io.Writer, name string, err error) error {
	fe, ok := register.AsFileErrors(err)
	if !ok {
		return explain(err)
	}
	var hints []string
	for _, e := range fe.List {
		msg := l.Msg(e.Msg)
		switch {
		case e.Place != (register.Place{}) && e.Field != "":
			msg = l.T("import.cli.problem", "where", l.Msg(e.Where()), "field", e.Field, "message", msg)
		case e.Place != (register.Place{}):
			msg = l.T("import.cli.problem_nofield", "where", l.Msg(e.Where()), "message", msg)
		case e.Field != "":
			msg = l.T("import.cli.problem_noplace", "field", e.Field, "message", msg)
		}
		fmt.Fprintf(stderr, "%s: %s\n", name, msg)
		switch e.Msg.Key {
		case "import.error.no_home_city":
			hints = append(hints, l.T("import.cli.home_hint"))
		case "import.error.stats_as_of_option":
			hints = append(hints, l.T("import.cli.stats_hint"))
		}
	}
	if more := fe.Total - len(fe.List); more > 0 {
		fmt.Fprintln(stderr, l.N("import.errors.more", more))
	}
	for _, h := range hints {
		fmt.Fprintln(stderr, h)
	}
	return errors.New(l.N("import.errors.count", fe.Total))
}

// runExport writes the whole register as CSV or JSON, to standard output or a file.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "", "csv or json (default: from --output's name, else csv)")
	output := fs.String("output", "", "write to FILE instead of standard output")
	flags, rest := splitArgs(args)
	cfg, err := parseConfig(fs, flags)
	if err != nil {
		return err
	}
	if rest = append(fs.Args(), rest...); len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q (use --output FILE)", rest[0])
	}
	if *format == "" {
		*format = register.FormatOf(*output)
	}
	if *format == "" {
		*format = register.FormatCSV
	}
	if *format != register.FormatCSV && *format != register.FormatJSON {
		return fmt.Errorf("--format %q: want csv or json", *format)
	}
	d, err := openDB(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer d.Close()
	tx, err := d.R.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	reg, err := register.Load(ctx, tx)
	_ = tx.Rollback()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if *format == register.FormatJSON {
		err = register.WriteJSON(&buf, reg)
	} else {
		err = register.WriteCSV(&buf, reg)
	}
	if err != nil {
		return err
	}
	if *output == "" || *output == "-" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	return writeFileAtomically(*output, buf.Bytes())
}

// writeFileAtomically writes data to a temporary file beside path and renames it into place, so
// that an interrupted export never leaves half a file under the name.
func writeFileAtomically(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// boolFlagsWithValue writes the named boolean flags as -name=true, so that splitArgs, which
// takes the word after an unknown flag as its value, leaves the next argument alone.
func boolFlagsWithValue(args []string, names ...string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		for _, n := range names {
			if a == "-"+n || a == "--"+n {
				out[i] = a + "=true"
			}
		}
	}
	return out
}
