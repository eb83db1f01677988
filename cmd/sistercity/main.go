// Command sistercity is the register, exchange programme and video publisher of a city's
// international-relations office. See the README for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"
	// Go's zone database, built in: the zones of the register and of the forms are known on a
	// host that has none of its own.
	_ "time/tzdata"

	"sistercity/internal/config"
	"sistercity/internal/db"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand: its flags are bound by run itself.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":   {"run the web server (and the job workers)", runServe},
		"migrate": {"apply database migrations and exit", runMigrate},
		"worker":  {"run only the job workers (beside serve --workers=0, or more of them)", runWorker},
		"user":    {"manage accounts: user create|set-role|reset-password|list", runUser},
		"import":  {"import the partner register from a CSV or JSON file", runImport},
		"export":  {"export the partner register as CSV or JSON", runExport},
		"backup":  {"write a snapshot (--to DIR) or check one (--verify DIR)", runBackup},
		"restore": {"restore a snapshot into a new data directory", runRestore},

		"doctor": {"check and explain everything a deployment needs; non-zero exit on a failure", runDoctor},
		"version": {"print the version", func(_ context.Context, _ []string, out, _ io.Writer) error {
			fmt.Fprintln(out, "sistercity", version)
			return nil
		}},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sistercity: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	if err := cmd.run(ctx, args[1:], stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "sistercity %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: sistercity COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'sistercity COMMAND -h' for a command's flags.")
}

// parseConfig binds the configuration flags on fs, parses args, reads the --config file and
// validates.
func parseConfig(fs *flag.FlagSet, args []string) (config.Config, error) {
	cfg := config.Default()
	config.Bind(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if err := config.LoadFile(fs); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// newLogger sets up log/slog: text in a terminal, JSON for log collectors.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDB opens and migrates the configured database.
func openDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*db.DB, error) {
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	n, err := d.Migrate(ctx)
	if err != nil {
		d.Close()
		if errors.Is(err, db.ErrNewerDatabase) {
			return nil, fmt.Errorf("sistercity %s refuses to start: %w", version, err)
		}
		return nil, err
	}
	if n > 0 {
		log.Info("applied migrations", "count", n, "database", string(d.Dialect))
	}
	return d, nil
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "list the migrations that would run, and change nothing")
	cfg, err := parseConfig(fs, args)
	if err != nil {
		return err
	}
	if *dryRun {
		return listPending(ctx, cfg, stdout)
	}
	d, err := openDB(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintln(stdout, "database is up to date")
	return nil
}

// listPending prints what migrate would apply.
func listPending(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	pending, err := d.Pending(ctx)
	if errors.Is(err, db.ErrNewerDatabase) {
		return fmt.Errorf("sistercity %s: %w", version, err)
	}
	if err != nil {
		return err
	}
	have, err := d.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	latest, err := d.LatestMigration()
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		fmt.Fprintf(stdout, "database is up to date (schema version %d); nothing would run\n", have)
		return nil
	}
	fmt.Fprintf(stdout, "database at schema version %d; migrate would apply %d migrations, up to schema version %d:\n", have, len(pending), latest)
	for _, p := range pending {
		fmt.Fprintln(stdout, " ", p)
	}
	return nil
}
