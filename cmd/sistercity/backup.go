package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"sistercity/internal/backup"
	"sistercity/internal/config"
	"sistercity/internal/db"
)

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.String("to", "", "write a snapshot into this new or empty directory")
	verify := fs.String("verify", "", "check the snapshot in this directory against its manifest, and change nothing")
	cfg, err := parseConfig(fs, args)
	if err != nil {
		return err
	}
	switch {
	case (*to == "") == (*verify == ""):
		return errors.New("give either --to DIR (take a snapshot) or --verify DIR (check one)")
	case *verify != "":
		m, err := backup.Verify(*verify)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "snapshot %s is intact: %s match the manifest (taken %s by sistercity %s, %s, schema version %d)\n",
			*verify, fileCount(len(m.Files)), m.CreatedAt.Format("2006-01-02 15:04:05 UTC"), m.AppVersion, m.Database, m.SchemaVersion)
		printNotes(stdout, m.Notes)
		return nil
	}
	src, err := backupSource(cfg)
	if err != nil {
		return err
	}
	if src.DB, err = openExisting(ctx, cfg); err != nil {
		return err
	}
	defer src.DB.Close()
	m, err := backup.Take(ctx, src, *to)
	if err != nil {
		return err
	}
	var size int64
	for _, f := range m.Files {
		size += f.Size
	}
	fmt.Fprintf(stdout, "snapshot written to %s: %s, %d bytes, %s database at schema version %d\n",
		*to, fileCount(len(m.Files)), size, m.Database, m.SchemaVersion)
	printNotes(stdout, m.Notes)
	return nil
}

func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the snapshot directory (written by sistercity backup --to)")
	cfg, err := parseConfig(fs, args)
	if err != nil {
		return err
	}
	if *from == "" || !flagSet(fs, "data-dir") {
		return errors.New("give --from SNAPSHOT and --data-dir NEW (a new or empty directory); for a PostgreSQL snapshot also --database-url of an empty database, or restore the dump yourself")
	}
	m, notes, err := backup.Restore(ctx, *from, backup.Target{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s: %s checked before and after copying (%s database, schema version %d)\n",
		*from, cfg.DataDir, fileCount(len(m.Files)), m.Database, m.SchemaVersion)
	printNotes(stdout, notes)
	return nil
}

// fileCount counts files in English, as the command line speaks it.
func fileCount(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}

func printNotes(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintln(w, "note:", n)
	}
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set || os.Getenv("SISTERCITY_DATA_DIR") != ""
}

// openExisting opens the configured database without creating or migrating it: a backup of
// a mistyped --data-dir must not make an empty database there.
func openExisting(ctx context.Context, cfg config.Config) (*db.DB, error) {
	if cfg.DatabaseURL == "" {
		path := filepath.Join(cfg.DataDir, db.SQLiteFile)
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no database at %s: is --data-dir right?", path)
		}
	}
	return db.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
}

// backupSource says where the configured installation keeps its media.
func backupSource(cfg config.Config) (backup.Source, error) {
	src := backup.Source{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, AppVersion: version,
		Media: backup.Media{Kind: "local"}}
	switch {
	case strings.HasPrefix(cfg.MediaURL, "s3://"):
		u, err := url.Parse(cfg.MediaURL)
		if err != nil {
			return src, errors.New("the --media-url does not parse")
		}
		src.Media = backup.Media{Kind: "s3", Bucket: u.Host, Prefix: u.Query().Get("prefix")}
	case strings.HasPrefix(cfg.MediaURL, "file://"):
		dir := filepath.FromSlash(strings.TrimPrefix(cfg.MediaURL, "file://"))
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cfg.DataDir, dir)
		}
		absData, err1 := filepath.Abs(cfg.DataDir)
		absMedia, err2 := filepath.Abs(dir)
		if err := errors.Join(err1, err2); err != nil {
			return src, err
		}
		if rel, err := filepath.Rel(absData, absMedia); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			src.MediaDir = absMedia // outside the data directory: copied as files/media
		}
	}
	return src, nil
}
