// Package packaging holds the Debian package's files (nfpm.yaml, the unit, the configuration,
// the maintainer scripts); its tests build the package with scripts/deb.sh and check it.
package packaging

import (
	"bufio"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sistercity/internal/config"
)

// run runs a command in the top directory and returns its standard output; a failure ends the
// test with the command's output.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = ".."
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// TestDebPackage builds the package as make deb does, then checks its contents and metadata,
// lints it, unpacks it and runs the packaged binary on the packaged configuration, and
// verifies the packaged systemd unit. The package is not installed.
func TestDebPackage(t *testing.T) {
	t.Parallel()
	run(t, "bash", "-c", ". scripts/lib.sh && need_pkg lintian:lintian dpkg-deb:dpkg systemd-analyze:systemd")
	out := t.TempDir()
	cmd := exec.Command("bash", "scripts/deb.sh")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "DEB_OUT_DIR="+out)
	built, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/deb.sh: %v\n%s", err, built)
	}
	lines := strings.Split(strings.TrimSpace(string(built)), "\n")
	deb := lines[len(lines)-1]
	if !filepath.IsAbs(deb) {
		deb = filepath.Join("..", deb)
	}
	if !strings.HasPrefix(deb, out) || !strings.HasSuffix(deb, "_amd64.deb") {
		t.Fatalf("scripts/deb.sh printed %q, want a .deb in %s", deb, out)
	}

	t.Run("contents", func(t *testing.T) {
		contents := run(t, "dpkg-deb", "--contents", deb)
		for path, mode := range map[string]string{
			"./usr/bin/sistercity":                               "-rwxr-xr-x root/root",
			"./etc/sistercity/config.toml":                       "-rw-r--r-- root/root",
			"./usr/lib/systemd/system/sistercity.service":        "-rw-r--r-- root/root",
			"./var/lib/sistercity/":                              "drwxr-xr-x root/root",
			"./usr/lib/systemd/system/sistercity-backup.service": "-rw-r--r-- root/root",
			"./usr/lib/systemd/system/sistercity-backup.timer":   "-rw-r--r-- root/root",
			"./var/lib/sistercity-backups/":                      "drwxr-xr-x root/root",
			"./usr/share/doc/sistercity/copyright":               "-rw-r--r-- root/root",
			"./usr/share/doc/sistercity/changelog.Debian.gz":     "-rw-r--r-- root/root",
			"./usr/share/lintian/overrides/sistercity":           "-rw-r--r-- root/root",
		} {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(mode) + `\s.*\s` + regexp.QuoteMeta(path) + `$`).MatchString(contents) {
				t.Errorf("%s (%s) missing from the package:\n%s", path, mode, contents)
			}
		}
		if depends := run(t, "dpkg-deb", "--field", deb, "Depends"); !strings.Contains(depends, "ffmpeg") || !strings.Contains(depends, "fonts-noto-cjk") || !strings.Contains(depends, "adduser") {
			t.Errorf("Depends: %s", depends)
		}
		if conffiles := run(t, "dpkg-deb", "--info", deb, "conffiles"); strings.TrimSpace(conffiles) != "/etc/sistercity/config.toml" {
			t.Errorf("conffiles: %q", conffiles)
		}
		control := t.TempDir()
		run(t, "dpkg-deb", "--control", deb, control)
		for _, script := range []string{"postinst", "prerm", "postrm"} {
			if info := run(t, "dpkg-deb", "--info", deb, script); !strings.HasPrefix(info, "#!/bin/sh") {
				t.Errorf("%s missing: %q", script, info)
			}
			run(t, "sh", "-n", filepath.Join(control, script))
		}
	})

	t.Run("lintian", func(t *testing.T) {
		cmd := exec.Command("lintian", "--tag-display-limit", "0", deb)
		report, err := cmd.CombinedOutput()
		t.Logf("lintian:\n%s", report)
		if err != nil {
			t.Errorf("lintian: %v", err)
		}
		for line := range strings.Lines(string(report)) {
			if strings.HasPrefix(line, "E: ") {
				t.Errorf("lintian error: %s", line)
			}
		}
	})

	root := t.TempDir()
	run(t, "dpkg-deb", "-x", deb, root)
	bin := filepath.Join(root, "usr/bin/sistercity")

	t.Run("binary", func(t *testing.T) {
		version := run(t, bin, "version")
		if !strings.HasPrefix(version, "sistercity ") || strings.Contains(version, "dev") {
			t.Errorf("version: %q", version)
		}
		// The packaged configuration as it stands, with the data directory moved into the
		// test's directory by a flag (which wins over the file): migrate creates the database.
		data := filepath.Join(t.TempDir(), "data")
		run(t, bin, "migrate", "--config", filepath.Join(root, "etc/sistercity/config.toml"), "--data-dir", data)
		if _, err := os.Stat(filepath.Join(data, "sistercity.db")); err != nil {
			t.Errorf("migrate with the packaged configuration made no database: %v", err)
		}
	})

	// The maintainer scripts run for real, by dpkg, in a throwaway copy of this machine: an
	// overlay of / (changes go to a temporary directory) in a mount namespace of its own,
	// chrooted. The machine itself is not changed. The dependencies are forced: only the
	// scripts are under test, not whether ffmpeg is installed.
	t.Run("maintainer scripts", func(t *testing.T) {
		dir := t.TempDir()
		for _, d := range []string{"upper", "work", "merged"} {
			if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		pkg, err := os.ReadFile(deb)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "upper", "sistercity.deb"), pkg, 0o644); err != nil {
			t.Fatal(err)
		}
		script := `set -eu
d=` + dir + `
mount -t overlay overlay -o lowerdir=/,upperdir=$d/upper,workdir=$d/work $d/merged
mount -t proc proc $d/merged/proc
chroot $d/merged sh -eu -c '
export DEBIAN_FRONTEND=noninteractive
rm -f /var/lib/man-db/auto-update   # no manual-page index rebuilt in the copy: seconds saved
dpkg -i --force-depends /sistercity.deb >/dev/null
dpkg -i --force-depends /sistercity.deb >/dev/null   # again: postinst is idempotent
echo "user: $(id -un sistercity) $(id -gn sistercity) $(getent passwd sistercity | cut -d: -f6,7)"
echo "data: $(stat -c "%U:%G %a" /var/lib/sistercity)"
echo "config: $(stat -c "%U:%G %a" /etc/sistercity/config.toml)"
su -s /bin/sh sistercity -c "/usr/bin/sistercity migrate --config /etc/sistercity/config.toml" >/dev/null 2>&1
echo "database: $(stat -c %U /var/lib/sistercity/sistercity.db)"
su -s /bin/sh sistercity -c "/usr/bin/sistercity backup --config /etc/sistercity/config.toml --to /var/lib/sistercity-backups/first" >/dev/null 2>&1
echo "backups: $(stat -c "%U:%G %a" /var/lib/sistercity-backups) $(ls /var/lib/sistercity-backups/first/manifest.json)"
dpkg -P sistercity >/dev/null 2>&1
echo "purged, data kept: $(ls /var/lib/sistercity/sistercity.db), config: $(ls /etc/sistercity 2>&1 | grep -c "No such")"
dpkg -i --force-depends /sistercity.deb >/dev/null
SISTERCITY_PURGE_DATA=yes dpkg -P sistercity >/dev/null 2>&1
echo "purged with SISTERCITY_PURGE_DATA=yes, data: $(ls -d /var/lib/sistercity /var/lib/sistercity-backups 2>&1 | grep -c "No such")"
'
`
		cmd := exec.Command("unshare", "--mount", "sh", "-c", script)
		report, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("installing in an overlay of / (needs root and unshare): %v\n%s", err, report)
		}
		for _, want := range []string{
			"user: sistercity sistercity /var/lib/sistercity:/usr/sbin/nologin\n",
			"data: sistercity:sistercity 750\n",
			"config: root:sistercity 640\n",
			"database: sistercity\n",
			"backups: sistercity:sistercity 750 /var/lib/sistercity-backups/first/manifest.json\n",
			"purged, data kept: /var/lib/sistercity/sistercity.db, config: 1\n",
			"purged with SISTERCITY_PURGE_DATA=yes, data: 2\n",
		} {
			if !strings.Contains(string(report), want) {
				t.Errorf("want %q in:\n%s", want, report)
			}
		}
	})

	t.Run("unit", func(t *testing.T) {
		unit, err := os.ReadFile(filepath.Join(root, "usr/lib/systemd/system/sistercity.service"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes",
			"ReadWritePaths=/var/lib/sistercity", "Restart=on-failure", "User=sistercity",
			"ExecStart=/usr/bin/sistercity serve --config /etc/sistercity/config.toml"} {
			if !strings.Contains(string(unit), want+"\n") {
				t.Errorf("the unit lacks %s", want)
			}
		}
		// systemd-analyze verify checks that ExecStart's program exists and is executable on
		// this machine, where the package is not installed: the copy it verifies runs the
		// unpacked binary; every other line is the packaged one.
		dir := t.TempDir()
		copied := strings.ReplaceAll(string(unit), "ExecStart=/usr/bin/sistercity", "ExecStart="+bin)
		if err := os.WriteFile(filepath.Join(dir, "sistercity.service"), []byte(copied), 0o644); err != nil {
			t.Fatal(err)
		}
		// The nightly snapshot's service and timer, as packaged (the service runs /bin/sh).
		for _, name := range []string{"sistercity-backup.service", "sistercity-backup.timer"} {
			b, err := os.ReadFile(filepath.Join(root, "usr/lib/systemd/system", name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		backupUnit, _ := os.ReadFile(filepath.Join(dir, "sistercity-backup.service"))
		for _, want := range []string{"ProtectSystem=strict", "NoNewPrivileges=yes", "User=sistercity",
			"ReadWritePaths=/var/lib/sistercity /var/lib/sistercity-backups"} {
			if !strings.Contains(string(backupUnit), want+"\n") {
				t.Errorf("the backup unit lacks %s", want)
			}
		}
		cmd := exec.Command("systemd-analyze", "verify", filepath.Join(dir, "sistercity.service"),
			filepath.Join(dir, "sistercity-backup.service"), filepath.Join(dir, "sistercity-backup.timer"))
		report, err := cmd.CombinedOutput()
		// verify exits 0 on a misspelt or unknown setting, which it reports and ignores.
		if err != nil || len(strings.TrimSpace(string(report))) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, report)
		}
	})
}

// TestPackagedConfigHasEverySetting checks that packaging/config.toml names every setting of
// config.Bind, each showing its default (but data-dir, set for the package, and base-url, an
// example), and that the file with every line taken out of its comment loads and validates.
func TestPackagedConfigHasEverySetting(t *testing.T) {
	t.Parallel()
	text, err := os.ReadFile("config.toml")
	if err != nil {
		t.Fatal(err)
	}
	setting := regexp.MustCompile(`^#?([a-z-]+) = `)
	var uncommented strings.Builder
	named := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(string(text)))
	for sc.Scan() {
		line := sc.Text()
		if m := setting.FindStringSubmatch(line); m != nil {
			named[m[1]] = true
			line = strings.TrimPrefix(line, "#")
		}
		uncommented.WriteString(line + "\n")
	}

	cfg := config.Default()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	config.Bind(fs, &cfg)
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "config" && !named[f.Name] {
			t.Errorf("config.toml lacks %s", f.Name)
		}
	})

	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(uncommented.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--config", path}); err != nil {
		t.Fatal(err)
	}
	if err := config.LoadFile(fs); err != nil {
		t.Fatalf("config.toml with every setting uncommented: %v", err)
	}
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Name {
		case "config", "data-dir", "base-url":
			return
		}
		if f.Value.String() != f.DefValue {
			t.Errorf("config.toml shows %s = %s, the default is %s", f.Name, f.Value, f.DefValue)
		}
	})
	if cfg.DataDir != "/var/lib/sistercity" {
		t.Errorf("data-dir %q", cfg.DataDir)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("config.toml with every setting uncommented: %v", err)
	}
}

// TestDebVersion checks the Debian versions scripts/debversion.sh makes of git describe: valid,
// and in the order of the releases.
func TestDebVersion(t *testing.T) {
	t.Parallel()
	var versions []string
	for _, tc := range []struct{ describe, want string }{
		{"cedcb3e", "0~git.cedcb3e"},
		{"cedcb3e-dirty", "0~git.cedcb3e+dirty"},
		{"v1.4.0-rc1", "1.4.0~rc1"},
		{"v1.4.0", "1.4.0"},
		{"v1.4.0-dirty", "1.4.0+dirty"},
		{"v1.4.0-12-gcedcb3e", "1.4.0+git12.cedcb3e"},
		{"v1.4.0-12-gcedcb3e-dirty", "1.4.0+git12.cedcb3e.dirty"},
		{"v1.10.0", "1.10.0"},
		{"7dba40b", "0~git.7dba40b"},
		{"1234567-dirty", "0~git.1234567+dirty"},
	} {
		got := strings.TrimSpace(run(t, "bash", "scripts/debversion.sh", tc.describe))
		if got != tc.want {
			t.Errorf("%s: %s, want %s", tc.describe, got, tc.want)
		}
		run(t, "dpkg", "--validate-version", got+"-1")
		versions = append(versions, tc.want)
	}
	for _, pair := range [][2]string{{versions[0], versions[2]}, {versions[2], versions[3]}, {versions[3], versions[5]}, {versions[5], versions[7]}} {
		run(t, "dpkg", "--compare-versions", pair[0], "lt", pair[1])
	}
	// A release tag without its v is refused rather than taken for a commit or a release.
	for _, bad := range []string{"not a version", "1.4.0", "release-2"} {
		if out, err := exec.Command("bash", "../scripts/debversion.sh", bad).CombinedOutput(); err == nil {
			t.Errorf("debversion.sh accepted %q: %s", bad, out)
		}
	}
}
