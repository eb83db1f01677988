package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// maxFileBytes bounds the configuration file: it is a few dozen settings.
const maxFileBytes = 1 << 20

// LoadFile reads the TOML file named by the --config flag of fs (after fs.Parse) and sets each
// flag it names, unless that flag was given on the command line or its SISTERCITY_* variable
// is set. The file's keys are the flags' names (data-dir = "/var/lib/sistercity"); durations are
// strings ("12h"). An unknown key, a value of the wrong kind or an unreadable file is an error
// naming the file and the key. Without --config it does nothing.
func LoadFile(fs *flag.FlagSet) error {
	f := fs.Lookup("config")
	if f == nil || f.Value.String() == "" {
		return nil
	}
	path := f.Value.String()
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	if info.Size() > maxFileBytes {
		return fmt.Errorf("--config %s: larger than %d bytes", path, maxFileBytes)
	}
	var values map[string]any
	md, err := toml.DecodeFile(path, &values)
	if err != nil {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	keys := md.Keys()
	slices.SortFunc(keys, func(a, b toml.Key) int { return strings.Compare(a.String(), b.String()) })
	for _, key := range keys {
		name := key.String()
		if len(key) != 1 {
			continue // inside a table, reported with the table below
		}
		fl := fs.Lookup(name)
		if fl == nil || name == "config" {
			errs = append(errs, fmt.Errorf("--config %s: unknown setting %q", path, name))
			continue
		}
		if given[name] {
			continue
		}
		if _, set := os.LookupEnv(EnvName(name)); set {
			continue
		}
		var text string
		switch v := values[name].(type) {
		case string:
			text = v
		case bool, int64:
			text = fmt.Sprint(v)
		default:
			errs = append(errs, fmt.Errorf("--config %s: %s: want a string, a number or true/false", path, name))
			continue
		}
		if err := fs.Set(name, text); err != nil {
			errs = append(errs, fmt.Errorf("--config %s: %s = %q: %v", path, name, text, err))
		}
	}
	return errors.Join(errs...)
}

// EnvName is the environment variable of the flag name: data-dir → SISTERCITY_DATA_DIR.
func EnvName(flagName string) string {
	return "SISTERCITY_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
